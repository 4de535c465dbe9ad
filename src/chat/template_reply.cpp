// Replies answered from a response template (template_reply.h).
#include "chat/template_reply.h"

#include <spdlog/spdlog.h>

#include "chat/templates/template_match.h"
#include "chat/templates/template_values.h"

namespace troupe::chat::internal {

using nlohmann::json;

namespace {

constexpr size_t kMostToolValues = 100;

// The outcome of the call a `tool` message answers, from the round's [{call_id, tool, outcome}].
std::string ToolOutcomeOfMessage(const llm::ChatMessage& message, const json& calls) {
  if (!calls.is_array()) return "";
  for (const json& call : calls) {
    if (call.is_object() && call.value("call_id", "") == message.tool_call_id &&
        call.value("tool", "") == message.name) {
      return call.value("outcome", "");
    }
  }
  return "";
}

}  // namespace

json TemplatedReply::ToJson() const {
  return {{"name", response.name}, {"intent", intent}, {"matched_by", matched_by}, {"score", score},
          {"values", values},      {"facts_kept", facts_kept}, {"fallback", fallback}};
}

std::optional<TemplatedReply> MatchTemplate(const Scene& scene, const Plan& plan) {
  if (!scene.parts.router || plan.history.empty() || plan.history.back().role != store::MessageRole::kUser) {
    return std::nullopt;
  }
  const store::Message& asked = plan.history.back();
  const json routing = ParseObject(asked.metadata_json).value("routing", json::object());
  if (!routing.is_object() || routing.value("level", "") == "human") return std::nullopt;
  const templates::TemplateMatcher matcher(scene.parts.router->catalog());
  const std::optional<templates::TemplateMatch> match =
      matcher.Match(routing.value("intent", ""), routing.value("confidence", 0.0), asked.content);
  if (!match) return std::nullopt;
  TemplatedReply reply;
  reply.intent = match->intent->name;
  reply.response = *match->response;
  reply.matched_by = match->matched_by;
  reply.score = match->score;
  return reply;
}

void FillKnownValues(TurnContext& context, const Scene& scene, const std::vector<std::string>& tool_results,
                     TemplatedReply& reply) {
  templates::FillFromToolResults(reply.response, tool_results, reply.values);
  if (Result<store::User> user = context.store.users().Get(scene.conversation.user_id); user.ok()) {
    templates::FillFromProfile(reply.response, *user, reply.values);
  }
  reply.rendered = templates::Render(reply.response, reply.values);
}

void FillWithModel(TurnContext& context, llm::Provider& provider, std::vector<llm::ChatMessage> prompt,
                   const std::shared_ptr<TurnControl>& control, TemplatedReply reply,
                   std::function<void(TemplatedReply)> done) {
  const std::vector<std::string> unfilled = templates::UnfilledSlots(reply.response, reply.values);
  if (unfilled.empty() || control->cancelled()) {
    reply.rendered = templates::Render(reply.response, reply.values);
    return done(std::move(reply));
  }
  llm::ChatRequest request = templates::FillRequest(reply.response, unfilled, std::move(prompt));
  llm::ChatCallbacks callbacks;
  auto shared_done = std::make_shared<std::function<void(TemplatedReply)>>(std::move(done));
  callbacks.on_done = [&context, unfilled, reply = std::move(reply),
                       shared_done](Result<llm::ChatResult> answer) mutable {
    if (answer.ok()) {
      templates::AddModelValues(answer->content, unfilled, reply.values);
    } else {
      spdlog::info("template {}: the model filled no slots: {}", reply.response.name, answer.status().ToString());
    }
    reply.rendered = templates::Render(reply.response, reply.values);
    context.Post([shared_done, reply = std::move(reply)]() mutable { (*shared_done)(std::move(reply)); });
  };
  control->SetCall(provider.Start(std::move(request), std::move(callbacks)));
}

std::string TemplateInstruction(const TemplatedReply& reply) {
  return "Answer the user with this, in your own words and the conversation's tone, keeping every name, number, "
         "price, date and link exactly as written: \"" + reply.rendered + "\"";
}

std::string CheckedReplyText(TemplatedReply& reply, const std::string& written) {
  templates::FactCheck check = templates::CheckFacts(reply.response, reply.values, written);
  if (written.find_first_not_of(" \t\r\n") == std::string::npos) check.kept = false;  // said nothing
  reply.facts_kept = check.kept;
  reply.fallback = !check.kept;
  return check.kept ? written : reply.rendered;
}

std::vector<std::string> OkToolResults(const std::vector<llm::ChatMessage>& tool_messages, const json& calls) {
  std::vector<std::string> results;
  for (const llm::ChatMessage& message : tool_messages) {
    if (message.role == "tool" && ToolOutcomeOfMessage(message, calls) == "ok") results.push_back(message.content);
  }
  return results;
}

json ToolValues(const std::vector<llm::ChatMessage>& tool_messages, const json& calls) {
  json values = json::object();
  for (const std::string& result : OkToolResults(tool_messages, calls)) {
    for (const auto& [name, value] : templates::ScalarFields(result)) {
      if (values.size() >= kMostToolValues && !values.contains(name)) continue;
      values[name] = value;
    }
  }
  return values;
}

}  // namespace troupe::chat::internal
