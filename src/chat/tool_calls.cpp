// The tools a reply offers and its rounds of calls (tool_calls.h).
#include "chat/tool_calls.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <memory>
#include <utility>

#include "chat/tools/tool_runner.h"

namespace troupe::chat::internal {

using nlohmann::json;

namespace {

// What of a tool's answer goes back to the model: enough for any lookup, not a whole page.
constexpr size_t kMostResultBytes = 8000;

std::string ResultForModel(const tools::ToolResult& result, const tools::ResultShape& shape) {
  if (result.status.ok()) {
    const std::string shown = tools::ShapeResult(shape, result.body);
    if (shown.size() <= kMostResultBytes) return shown;
    return shown.substr(0, kMostResultBytes) + "\n[cut: the answer was " + std::to_string(shown.size()) + " bytes]";
  }
  json error = {{"error", std::string(StatusCodeName(result.status.code()))}, {"message", result.status.message()}};
  if (result.http_status != 0) error["http_status"] = result.http_status;
  if (!result.body.empty()) error["body"] = result.body.substr(0, 500);
  return error.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string Notice(std::string_view status, std::string_view message) {
  return json{{"status", status}, {"message", message}}.dump();
}

// The arguments as the audit keeps them: masked, and JSON even when the model's were not.
std::string AuditedArguments(const std::string& masked) {
  return json::accept(masked) ? masked : json(masked).dump(-1, ' ', false, json::error_handler_t::replace);
}

// The outcome a turn after the one that asked recorded for the pending call once it was answered;
// "" when none did. (A model's call ids are unique within a turn only, so the turn tells them apart.)
std::string AnsweredOutcome(TurnContext& context, int64_t conversation_id, const PendingCall& pending) {
  store::PageRequest page;
  page.limit = 500;
  std::string outcome;
  do {
    Result<store::Page<store::ToolCallRecord>> calls = context.store.tool_calls().ListForConversation(conversation_id, page);
    if (!calls.ok()) return "";
    for (const store::ToolCallRecord& record : calls->items) {
      if (record.call_id == pending.call.id && record.outcome != "awaiting_confirmation" && record.message_id &&
          *record.message_id > pending.asked_on) {
        outcome = record.outcome;
      }
    }
    page.cursor = calls->next_cursor;
  } while (!page.cursor.empty());
  return outcome;
}

// One round: its calls one after another, each reported, audited and answered.
class RoundRun : public std::enable_shared_from_this<RoundRun> {
 public:
  enum class Mode { kAsModelAsked, kApproved, kDeclined };

  RoundRun(TurnContext& context, int64_t conversation_id, const ToolOffer& offer, std::string assistant_text,
           std::vector<llm::ToolCall> calls, TurnSink sink, std::function<void(ToolRound)> done, Mode mode)
      : context_(context),
        conversation_id_(conversation_id),
        offer_(offer),
        assistant_text_(std::move(assistant_text)),
        calls_(std::move(calls)),
        sink_(std::move(sink)),
        done_(std::move(done)),
        mode_(mode) {}

  void Next() {
    if (index_ == calls_.size()) return End();
    const llm::ToolCall& call = calls_[index_];
    const tools::HttpTool* tool = offer_.Find(call.name);
    const std::string masked = AuditedArguments(tools::MaskArguments(call.arguments_json, Secrets()));
    Emit(sink_, ToolCallEvent{call.id, call.name, masked, tool != nullptr && tool->confirm && mode_ != Mode::kApproved});
    tools::ToolAudit audit;
    audit.tool = call.name;
    audit.arguments_json = masked;
    if (tool == nullptr) {
      audit.outcome = "not_found";
      audit.error = "no tool named '" + call.name + "' is offered here";
      return Answered(audit, Notice("error", audit.error + "; answer without it"));
    }
    if (mode_ == Mode::kDeclined) {
      audit.outcome = "declined";
      return Answered(audit, Notice("declined", "The user said no. Nothing was done; do not say it was."));
    }
    if (tool->confirm && mode_ == Mode::kAsModelAsked) {
      if (pending_) {
        audit.outcome = "failed_precondition";
        audit.error = "one change at a time: ask about the first";
        return Answered(audit, Notice("error", audit.error));
      }
      pending_ = PendingCall{call, offer_.intent, offer_.answered_message_id.value_or(0)};
      audit.outcome = "awaiting_confirmation";
      return Answered(audit, Notice("awaiting_confirmation",
                                    "Nothing has been done yet. Tell the user exactly what will be done and ask "
                                    "them to confirm; it runs once they say yes."));
    }
    if (mode_ == Mode::kApproved) {
      const std::string earlier = AnsweredOutcome(context_, conversation_id_, *offer_.pending);
      if (!earlier.empty()) {
        audit.outcome = "already_answered";
        audit.error = "this call was answered before (" + earlier + ")";
        return Answered(audit, Notice("already_answered", "This was already carried out or declined earlier (" +
                                                              earlier + "); it is not done again."));
      }
    }
    auto self = shared_from_this();
    context_.options.tool_runner->Run(
        *tool, call.arguments_json,
        [self, shape = tool->result](tools::ToolResult result) {
          self->context_.Post([self, shape, result = std::move(result)] {
            self->Answered(result.audit, ResultForModel(result, shape), result.http_status);
          });
        },
        offer_.caller);
  }

 private:
  const std::map<std::string, std::string>& Secrets() const { return context_.options.tool_runner->options().secrets; }

  void Answered(const tools::ToolAudit& audit, std::string content, int http_status = 0) {
    const llm::ToolCall& call = calls_[index_];
    Emit(sink_, ToolResultEvent{call.id, call.name, audit.outcome, http_status, audit.latency_ms, audit.error});
    store::ToolCallRecord record;
    record.conversation_id = conversation_id_;
    record.message_id = offer_.answered_message_id;
    record.call_id = call.id;
    record.tool = call.name;
    record.intent = offer_.intent;
    record.arguments_json = audit.arguments_json.empty() ? "{}" : AuditedArguments(audit.arguments_json);
    record.method = audit.method;
    record.url = audit.url;
    record.http_status = http_status != 0 ? http_status : audit.http_status;
    record.outcome = audit.outcome;
    record.error = audit.error;
    record.latency_ms = audit.latency_ms;
    record.attempts = audit.attempts;
    if (Result<store::ToolCallRecord> stored = context_.store.tool_calls().Record(std::move(record)); !stored.ok()) {
      spdlog::warn("conversation {}: the audit of tool call {} was not stored: {}", conversation_id_, call.id,
                   stored.status().ToString());
    }
    llm::ChatMessage answer;
    answer.role = "tool";
    answer.name = call.name;
    answer.tool_call_id = call.id;
    answer.content = std::move(content);
    round_.messages.push_back(std::move(answer));
    round_.calls.push_back({{"call_id", call.id}, {"tool", call.name}, {"outcome", audit.outcome}});
    ++index_;
    // Through the queue, not recursion: a round of refused calls stays shallow.
    context_.Post([self = shared_from_this()] { self->Next(); });
  }

  void End() {
    llm::ChatMessage asked;
    asked.role = "assistant";
    asked.content = std::move(assistant_text_);
    asked.tool_calls = calls_;
    round_.messages.insert(round_.messages.begin(), std::move(asked));
    round_.pending = std::move(pending_);
    done_(std::move(round_));
  }

  TurnContext& context_;
  const int64_t conversation_id_;
  const ToolOffer& offer_;  // the reply's, which outlives its rounds
  std::string assistant_text_;
  std::vector<llm::ToolCall> calls_;
  TurnSink sink_;
  std::function<void(ToolRound)> done_;
  const Mode mode_;
  size_t index_ = 0;
  std::optional<PendingCall> pending_;
  ToolRound round_;
};

}  // namespace

json PendingCall::ToJson() const {
  return {{"call_id", call.id}, {"tool", call.name}, {"arguments", call.arguments_json}, {"intent", intent},
          {"asked_on", asked_on}};
}

std::optional<PendingCall> PendingCall::FromJson(const json& value) {
  if (!value.is_object()) return std::nullopt;
  PendingCall pending;
  for (auto [field, out] : {std::pair{"call_id", &pending.call.id}, std::pair{"tool", &pending.call.name},
                            std::pair{"arguments", &pending.call.arguments_json}, std::pair{"intent", &pending.intent}}) {
    const auto found = value.find(field);
    if (found == value.end() || !found->is_string()) return std::nullopt;
    *out = found->get<std::string>();
  }
  const auto asked_on = value.find("asked_on");
  if (asked_on != value.end() && asked_on->is_number_integer()) pending.asked_on = asked_on->get<int64_t>();
  return pending;
}

std::vector<llm::ToolDefinition> ToolOffer::Definitions() const {
  std::vector<llm::ToolDefinition> definitions;
  for (const tools::HttpTool& tool : tools) definitions.push_back({tool.name, tool.description, tool.parameters_json});
  return definitions;
}

const tools::HttpTool* ToolOffer::Find(const std::string& name) const {
  for (const tools::HttpTool& tool : tools) {
    if (tool.name == name) return &tool;
  }
  return nullptr;
}

ToolOffer OfferTools(const TurnContext& context, const Scene& scene, const Plan& plan) {
  ToolOffer offer;
  if (!plan.tools || !context.options.tool_runner || context.options.max_tool_steps <= 0 || !scene.parts.tools ||
      scene.parts.tools->empty() || plan.history.empty() || plan.history.back().role != store::MessageRole::kUser) {
    return offer;
  }
  const store::Message& asked = plan.history.back();
  offer.answered_message_id = asked.id;
  offer.caller["conversation_id"] = std::to_string(scene.conversation.id);
  if (Result<store::User> user = context.store.users().Get(scene.conversation.user_id); user.ok()) {
    offer.caller["user_id"] = user->external_id;
  }
  // The reply that asked for a confirmation, if the newest one did.
  for (auto it = plan.history.rbegin(); it != plan.history.rend(); ++it) {
    if (it->role == store::MessageRole::kUser) continue;
    if (it->role == store::MessageRole::kAssistant) {
      offer.pending = PendingCall::FromJson(ParseObject(it->metadata_json).value("tool_confirmation", json()));
    }
    break;
  }
  if (offer.pending) offer.answer = tools::ReadConfirmation(asked.content);

  std::vector<std::string> offered;
  if (scene.parts.router) {
    const json routing = ParseObject(asked.metadata_json).value("routing", json::object());
    const std::string name = routing.is_object() ? routing.value("intent", "") : "";
    const intents::Intent* intent = name.empty() ? nullptr : scene.parts.router->catalog().Find(name);
    if (intent != nullptr && !intent->chit_chat && routing.value("level", "") != "human") {
      offered = intent->tools;
      offer.intent = intent->name;
      offer.first_choice = intent->tool_choice;
    }
  } else {
    for (const tools::HttpTool& tool : *scene.parts.tools) offered.push_back(tool.name);
  }
  for (const tools::HttpTool& tool : *scene.parts.tools) {
    const bool wanted = std::find(offered.begin(), offered.end(), tool.name) != offered.end();
    // The call waiting for an answer stays reachable whatever the answer was routed to.
    const bool pending = offer.pending && offer.pending->call.name == tool.name;
    if (wanted || pending) offer.tools.push_back(tool);
  }
  if (offer.tools.empty() || (offer.first_choice == "required" && offered.empty())) offer.first_choice = "auto";
  return offer;
}

void RunToolRound(TurnContext& context, int64_t conversation_id, const ToolOffer& offer, std::string assistant_text,
                  std::vector<llm::ToolCall> calls, TurnSink sink, std::function<void(ToolRound)> done) {
  auto run = std::make_shared<RoundRun>(context, conversation_id, offer, std::move(assistant_text), std::move(calls),
                                        std::move(sink), std::move(done), RoundRun::Mode::kAsModelAsked);
  run->Next();
}

bool ResolvePendingCall(TurnContext& context, int64_t conversation_id, const ToolOffer& offer, TurnSink sink,
                        std::function<void(ToolRound)> done) {
  if (!offer.pending || offer.answer == tools::ConfirmationAnswer::kUnclear) return false;
  const RoundRun::Mode mode =
      offer.answer == tools::ConfirmationAnswer::kYes ? RoundRun::Mode::kApproved : RoundRun::Mode::kDeclined;
  auto run = std::make_shared<RoundRun>(context, conversation_id, offer, "", std::vector{offer.pending->call},
                                        std::move(sink), std::move(done), mode);
  run->Next();
  return true;
}

}  // namespace troupe::chat::internal
