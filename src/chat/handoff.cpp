// A reply that hands the conversation to a human on its own (handoff.h).
#include "chat/handoff.h"

#include <set>

#include <spdlog/spdlog.h>

#include "chat/tools/confirmation.h"

namespace troupe::chat::internal {

using nlohmann::json;

namespace {

// How many of the user's latest messages and tool calls the agent's summary quotes.
constexpr size_t kQuotedMessages = 3;
constexpr size_t kQuotedCalls = 10;

json RoutingOf(const store::Message& message) {
  const json routing = ParseObject(message.metadata_json).value("routing", json::object());
  return routing.is_object() ? routing : json::object();
}

bool ToolFailed(const std::string& outcome) {
  static const std::set<std::string> kFine = {"ok", "awaiting_confirmation", "declined", "already_answered"};
  return kFine.count(outcome) == 0;
}

// Whether the reply made of history[from, to) got what the tools were for: a successful call and
// no failed one.
bool ToolsHelped(const std::vector<store::Message>& history, size_t from, size_t to) {
  bool failed = false;
  bool succeeded = false;
  for (size_t i = from; i < to; ++i) {
    const json calls = ParseObject(history[i].metadata_json).value("tools", json::array());
    if (!calls.is_array()) continue;
    for (const json& call : calls) {
      const std::string outcome = call.is_object() ? call.value("outcome", "") : "";
      failed |= ToolFailed(outcome);
      succeeded |= outcome == "ok";
    }
  }
  return succeeded && !failed;
}

// How many times in a row, before the latest message, the user asked for `intent` and the answer
// did not help (each time they asked again right after).
int UnresolvedInARow(const std::vector<store::Message>& history, const intents::Intent& intent) {
  int unresolved = 0;
  size_t reply_end = history.size() - 1;  // the latest user message
  for (size_t i = reply_end; i-- > 0;) {
    if (history[i].role != store::MessageRole::kUser) continue;
    if (RoutingOf(history[i]).value("intent", "") != intent.name) break;
    // Asked again right after its answer; the repetition alone says it did not help when the intent
    // has no tools, else the reply's tool calls say.
    if (!intent.tools.empty() && ToolsHelped(history, i + 1, reply_end)) break;
    ++unresolved;
    reply_end = i;
  }
  return unresolved;
}

std::string Quote(const std::string& text) { return "\"" + (text.size() > 200 ? text.substr(0, 200) + "..." : text) + "\""; }

// The message answers a change the character asked the user to confirm ("yes", "no"): what it was
// routed to does not matter, the answer does.
bool AnswersAConfirmation(const std::vector<store::Message>& history) {
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    if (it->role == store::MessageRole::kUser) continue;
    if (it->role != store::MessageRole::kAssistant) return false;
    if (!ParseObject(it->metadata_json).contains("tool_confirmation")) return false;
    return tools::ReadConfirmation(history.back().content) != tools::ConfirmationAnswer::kUnclear;
  }
  return false;
}

}  // namespace

std::optional<std::string> AutomaticHandoff(const Scene& scene, const Plan& plan) {
  if (!scene.parts.router || plan.history.empty() || plan.history.back().role != store::MessageRole::kUser ||
      AnswersAConfirmation(plan.history)) {
    return std::nullopt;
  }
  const store::Message& latest = plan.history.back();
  const json routing = RoutingOf(latest);
  const intents::RoutingThresholds& policy = scene.parts.router->catalog().routing;
  if (routing.value("level", "") == "human") {
    return routing.value("reason", "") == "handoff_intent" ? "asked" : "low_confidence";
  }
  if (latest.sentiment && *latest.sentiment <= policy.handoff_sentiment) return "negative_sentiment";
  if (policy.handoff_predicted_above > 0 && plan.predicted_handoff &&
      *plan.predicted_handoff >= policy.handoff_predicted_above) {
    return "predicted";
  }
  const intents::Intent* intent = scene.parts.router->catalog().Find(routing.value("intent", ""));
  if (intent != nullptr && !intent->chit_chat && policy.handoff_after_failures > 0 &&
      UnresolvedInARow(plan.history, *intent) >= policy.handoff_after_failures) {
    return "repeated_failure";
  }
  return std::nullopt;
}

std::string HandoffInstruction(const Scene& scene, const Plan& plan) {
  const std::string intent = RoutingOf(plan.history.back()).value("intent", "");
  const intents::Intent* asked = scene.parts.router ? scene.parts.router->catalog().Find(intent) : nullptr;
  if (asked != nullptr && asked->handoff && !asked->prompt.empty()) return asked->prompt;
  return "A human colleague is taking over this conversation now. Tell {{user}} so in one or two short sentences, "
         "warmly, and that they will answer right here. Do not try to solve the problem yourself.";
}

json HandoffSummary(TurnContext& context, const Scene& scene, const Plan& plan, const std::string& reason) {
  json customer = {{"name", scene.user_name}};
  if (Result<store::User> user = context.store.users().Get(scene.conversation.user_id); user.ok()) {
    customer["external_id"] = user->external_id;
    customer["segment"] = user->segment;
  }
  const std::string intent_name = RoutingOf(plan.history.back()).value("intent", "");
  const intents::Intent* intent = scene.parts.router ? scene.parts.router->catalog().Find(intent_name) : nullptr;
  json last_messages = json::array();
  for (auto it = plan.history.rbegin(); it != plan.history.rend() && last_messages.size() < kQuotedMessages; ++it) {
    if (it->role == store::MessageRole::kUser) last_messages.insert(last_messages.begin(), it->content);
  }
  json wants = {{"intent", intent_name},
                {"description", intent != nullptr ? intent->description : ""},
                {"last_messages", last_messages}};
  std::vector<store::ToolCallRecord> calls;
  store::PageRequest page;
  page.limit = 500;
  if (Result<store::Page<store::ToolCallRecord>> found =
          context.store.tool_calls().ListForConversation(scene.conversation.id, page);
      found.ok()) {
    calls = std::move(found->items);
  }
  json tried = json::array();
  std::string tried_text;
  for (size_t i = calls.size() > kQuotedCalls ? calls.size() - kQuotedCalls : 0; i < calls.size(); ++i) {
    const store::ToolCallRecord& call = calls[i];
    tried.push_back({{"tool", call.tool}, {"outcome", call.outcome}, {"http_status", call.http_status}, {"error", call.error}});
    tried_text += (tried_text.empty() ? "" : "; ") + call.tool + " " + call.outcome +
                  (call.http_status != 0 ? " (HTTP " + std::to_string(call.http_status) + ")" : "");
  }
  std::string text = scene.user_name;
  if (customer.contains("external_id")) text += " (" + customer["external_id"].get<std::string>() + ")";
  text += intent != nullptr && !intent->description.empty() ? " wants: " + intent->description : " needs a person.";
  text += " Last said: " + Quote(plan.history.back().content) + ".";
  text += tried_text.empty() ? " No tools were tried." : " Tried: " + tried_text + ".";
  text += " Handed over: " + reason + ".";
  return {{"customer", customer}, {"reason", reason}, {"wants", wants}, {"tried", tried}, {"text", text}};
}

Result<store::Conversation> HandOff(TurnContext& context, int64_t conversation_id, const std::string& reason,
                                    json summary) {
  TROUPE_ASSIGN_OR_RETURN(store::Conversation conversation, context.store.conversations().Get(conversation_id));
  json metadata = ParseObject(conversation.metadata_json);
  metadata["handoff"] = {{"requested_by", "assistant"},
                         {"reason", reason},
                         {"agent", nullptr},
                         {"at", context.clock.NowMillis()},
                         {"summary", std::move(summary)}};
  conversation.metadata_json = metadata.dump();
  TROUPE_ASSIGN_OR_RETURN(conversation, context.store.conversations().UpdateState(conversation));
  TROUPE_RETURN_IF_ERROR(context.store.conversations().SetStatus(conversation_id, store::ConversationStatus::kHandedOff));
  // A new handoff: whoever had an earlier one of this conversation does not have this one.
  TROUPE_RETURN_IF_ERROR(context.store.agents().Unassign(conversation_id));
  const int64_t seen_since = context.clock.NowMillis() - context.options.agent_presence_timeout_ms;
  if (Result<std::optional<store::HandoffAssignment>> assigned =
          context.store.agents().AssignLeastBusy(conversation_id, seen_since);
      !assigned.ok()) {
    // The handoff stands; the conversation waits in the queue for an agent to claim it.
    spdlog::warn("conversation {}: not assigned to an agent: {}", conversation_id, assigned.status().ToString());
  }
  return context.store.conversations().Get(conversation_id);
}

}  // namespace troupe::chat::internal
