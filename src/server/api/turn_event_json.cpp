#include "server/api/turn_event_json.h"

#include <nlohmann/json.hpp>

#include "server/api/json_io.h"

namespace troupe::server::api {
namespace {

using nlohmann::json;

struct Writer {
  const ErrorAudience& audience;

  json operator()(const chat::UserMessageEvent& user) const { return ToJson(user.message); }
  json operator()(const chat::MessageStartEvent& start) const {
    json data = {{"message_index", start.message_index}, {"role", start.role}, {"stage", start.stage},
                 {"mood", start.mood}};
    if (start.regenerating) data["regenerating"] = *start.regenerating;
    return data;
  }
  json operator()(const chat::DeltaEvent& delta) const {
    return {{"message_index", delta.message_index}, {"text", delta.text}};
  }
  json operator()(const chat::TypingEvent& typing) const { return {{"message_index", typing.message_index}}; }
  json operator()(const chat::ToolCallEvent& call) const {
    json arguments = json::parse(call.arguments_json, nullptr, /*allow_exceptions=*/false);
    if (arguments.is_discarded()) arguments = call.arguments_json;  // as the model wrote it
    return {{"call_id", call.call_id}, {"tool", call.tool}, {"arguments", std::move(arguments)},
            {"needs_confirmation", call.needs_confirmation}};
  }
  json operator()(const chat::ToolResultEvent& result) const {
    json data = {{"call_id", result.call_id}, {"tool", result.tool}, {"outcome", result.outcome},
                 {"http_status", result.http_status}, {"latency_ms", result.latency_ms}};
    if (!result.error.empty()) data["error"] = result.error;
    return data;
  }
  json operator()(const chat::MessageEndEvent& end) const {
    return {{"message_index", end.message_index}, {"message", end.message ? ToJson(*end.message) : json()}};
  }
  json operator()(const chat::MediaEvent& media) const {
    return {{"message_index", media.message_index}, {"media_index", media.media_index},
            {"message", ToJson(media.message)}};
  }
  json operator()(const chat::HandoffEvent& handoff) const {
    const json metadata = json::parse(handoff.conversation.metadata_json, nullptr, false);
    const json record = metadata.is_object() ? metadata.value("handoff", json::object()) : json::object();
    const json assigned = record.is_object() ? record.value("assigned_to", json()) : json();
    return {{"conversation_id", handoff.conversation.id},
            {"status", std::string(store::ToString(handoff.conversation.status))},
            {"assigned_to", assigned},
            {"notice", "A person from the team answers here; the character does not reply until they hand back."}};
  }
  json operator()(const chat::ErrorEvent& failure) const {
    // Every error a turn reports comes from generating: the provider's words are for operators.
    const Status shown = ForCaller(failure.error, audience);
    json data = {{"code", std::string(StatusCodeName(shown.code()))}, {"message", shown.message()}};
    if (failure.partial_message_id) data["partial_message_id"] = *failure.partial_message_id;
    return data;
  }
  json operator()(const chat::DoneEvent& done) const {
    return {{"usage", {{"prompt_tokens", done.usage.prompt_tokens}, {"completion_tokens", done.usage.completion_tokens}}},
            {"conversation", ToJson(done.conversation)},
            {"incomplete", done.incomplete}};
  }
};

}  // namespace

SseEvent ToSse(const chat::TurnEvent& event, const ErrorAudience& audience) {
  return SseEvent{std::string(chat::EventName(event)), {}, std::visit(Writer{audience}, event).dump()};
}

}  // namespace troupe::server::api
