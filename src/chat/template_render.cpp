// A response template rendered for an agent (ChatRuntime::RenderTemplate): the same filling as a
// templated reply's (template_reply.h), from what the conversation has kept rather than a turn's.
#include <future>
#include <memory>

#include "chat/runtime.h"
#include "chat/template_reply.h"
#include "chat/templates/template_values.h"
#include "chat/turn_context.h"

namespace troupe::chat {

namespace {

using nlohmann::json;

// How many of the newest messages the model sees when it fills the slots.
constexpr size_t kRenderHistoryMessages = 12;

// The tool values the newest reply that kept any kept, as one JSON object's text ("{}": none).
std::string LatestToolValues(const std::vector<store::Message>& history) {
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    const json metadata = internal::ParseObject(it->metadata_json);
    const auto values = metadata.find("tool_values");
    if (values != metadata.end() && values->is_object()) return values->dump();
  }
  return "{}";
}

std::vector<llm::ChatMessage> RenderPrompt(const std::vector<store::Message>& history, const std::string& tool_values) {
  std::vector<llm::ChatMessage> prompt;
  const size_t first = history.size() > kRenderHistoryMessages ? history.size() - kRenderHistoryMessages : 0;
  for (size_t i = first; i < history.size(); ++i) {
    const store::Message& message = history[i];
    if (message.role == store::MessageRole::kUser) {
      prompt.push_back({"user", message.content, "", {}, ""});
    } else if (message.role == store::MessageRole::kAssistant || message.role == store::MessageRole::kAgent) {
      prompt.push_back({"assistant", message.content, "", {}, ""});
    }
  }
  if (tool_values != "{}") prompt.push_back({"system", "Tools returned: " + tool_values, "", {}, ""});
  return prompt;
}

}  // namespace

Result<RenderedTemplate> ChatRuntime::RenderTemplate(int64_t conversation_id, std::string_view intent,
                                                     std::string_view name) {
  internal::TurnContext& context = *context_;
  TROUPE_ASSIGN_OR_RETURN(internal::Scene scene, context.LoadScene(conversation_id, TurnOptions{}));
  const intents::Intent* found = scene.parts.router ? scene.parts.router->catalog().Find(intent) : nullptr;
  if (found == nullptr) {
    return Status(StatusCode::kNotFound, "the character has no intent '" + std::string(intent) + "'", "intent");
  }
  internal::TemplatedReply reply;
  reply.intent = found->name;
  for (const templates::ResponseTemplate& response : found->templates) {
    if (response.name == name) reply.response = response;
  }
  if (reply.response.name.empty()) {
    return Status(StatusCode::kNotFound,
                  "the intent '" + found->name + "' has no template '" + std::string(name) + "'", "name");
  }
  TROUPE_ASSIGN_OR_RETURN(std::vector<store::Message> history, context.History(conversation_id));
  const std::string tool_values = LatestToolValues(history);
  internal::FillKnownValues(context, scene, {tool_values}, reply);

  std::vector<std::string> unfilled = templates::UnfilledSlots(reply.response, reply.values);
  const Stage* stage = context.StageOf(scene);
  Result<llm::Provider*> provider = stage != nullptr ? context.ProviderFor(scene, *stage, TurnOptions{})
                                                     : Result<llm::Provider*>(NotFound("the flow has no stages"));
  if (!unfilled.empty() && provider.ok()) {
    auto answered = std::make_shared<std::promise<Result<llm::ChatResult>>>();
    std::future<Result<llm::ChatResult>> answer = answered->get_future();
    llm::ChatCallbacks callbacks;
    callbacks.on_done = [answered](Result<llm::ChatResult> result) { answered->set_value(std::move(result)); };
    std::shared_ptr<llm::ChatCall> call = (*provider)->Start(
        templates::FillRequest(reply.response, unfilled, RenderPrompt(history, tool_values)), std::move(callbacks));
    if (Result<llm::ChatResult> result = answer.get(); result.ok()) {
      templates::AddModelValues(result->content, unfilled, reply.values);
    }
  }
  RenderedTemplate rendered;
  rendered.text = templates::Render(reply.response, reply.values);
  rendered.values = reply.values;
  rendered.unfilled = templates::UnfilledSlots(reply.response, reply.values);
  return rendered;
}

}  // namespace troupe::chat
