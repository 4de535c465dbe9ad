#include "server/api/json_io.h"

#include <charconv>

namespace troupe::server::api {
namespace {

using nlohmann::json;

// Stored JSON text back to a value: "" is null; text that does not parse (the store checks, so
// this is not expected) is returned as a string rather than dropped.
json JsonFromText(const std::string& text) {
  if (text.empty()) return nullptr;
  json value = json::parse(text, nullptr, false);
  return value.is_discarded() ? json(text) : value;
}

template <typename T>
json Optional(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

std::optional<int64_t> ParseInt(std::string_view text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace

json ToJson(const store::Character& c) {
  return {{"id", c.id},
          {"slug", c.slug},
          {"name", c.name},
          {"description", c.description},
          {"personality", c.personality},
          {"scenario", c.scenario},
          {"first_mes", c.first_mes},
          {"mes_example", c.mes_example},
          {"creator_notes", c.creator_notes},
          {"system_prompt", c.system_prompt},
          {"post_history_instructions", c.post_history_instructions},
          {"alternate_greetings", c.alternate_greetings},
          {"character_book", JsonFromText(c.character_book_json)},
          {"tags", c.tags},
          {"creator", c.creator},
          {"character_version", c.character_version},
          {"extensions", JsonFromText(c.extensions_json)},
          {"nickname", c.nickname},
          {"creator_notes_multilingual", JsonFromText(c.creator_notes_multilingual_json)},
          {"source", c.source},
          {"group_only_greetings", c.group_only_greetings},
          {"assets", JsonFromText(c.assets_json)},
          {"creation_date", Optional(c.creation_date)},
          {"modification_date", Optional(c.modification_date)},
          {"flow", c.flow},
          {"avatar", c.avatar},
          {"published", c.published},
          {"version", c.version},
          {"created_at", c.created_at},
          {"updated_at", c.updated_at}};
}

json ToJson(const store::User& u) {
  return {{"id", u.id},
          {"external_id", u.external_id},
          {"display_name", u.display_name},
          {"segment", u.segment},
          {"metadata", JsonFromText(u.metadata_json)},
          {"created_at", u.created_at},
          {"updated_at", u.updated_at}};
}

json ToJson(const store::Conversation& c) {
  return {{"id", c.id},
          {"user_id", c.user_id},
          {"character_id", c.character_id},
          {"title", c.title},
          {"stage", c.stage},
          {"mood", c.mood},
          {"affinity", c.affinity},
          {"status", store::ToString(c.status)},
          {"message_count", c.message_count},
          {"last_activity_at", c.last_activity_at},
          {"metadata", JsonFromText(c.metadata_json)},
          {"created_at", c.created_at},
          {"updated_at", c.updated_at}};
}

json ToJson(const store::Message& m) {
  return {{"id", m.id},
          {"conversation_id", m.conversation_id},
          {"parent_id", Optional(m.parent_id)},
          {"role", store::ToString(m.role)},
          {"content", m.content},
          {"stage", m.stage},
          {"prompt_tokens", m.prompt_tokens},
          {"completion_tokens", m.completion_tokens},
          {"latency_ms", m.latency_ms},
          {"sentiment", Optional(m.sentiment)},
          {"rating", Optional(m.rating)},
          {"incomplete", m.incomplete},
          {"metadata", JsonFromText(m.metadata_json)},
          {"created_at", m.created_at},
          {"updated_at", m.updated_at}};
}

json ToJson(const store::FeedbackEvent& e) {
  return {{"id", e.id},
          {"conversation_id", e.conversation_id},
          {"message_id", Optional(e.message_id)},
          {"user_id", Optional(e.user_id)},
          {"kind", e.kind},
          {"rating", Optional(e.rating)},
          {"comment", e.comment},
          {"sentiment", Optional(e.sentiment)},
          {"created_at", e.created_at}};
}

json ToJson(const store::Memory& m) {
  return {{"id", m.id},
          {"conversation_id", m.conversation_id},
          {"kind", store::ToString(m.kind)},
          {"content", m.content},
          {"covers_until_message_id", Optional(m.covers_until_message_id)},
          {"created_at", m.created_at},
          {"updated_at", m.updated_at}};
}

json ToJson(const store::ToolCallRecord& c) {
  json arguments = json::parse(c.arguments_json, nullptr, /*allow_exceptions=*/false);
  if (arguments.is_discarded()) arguments = c.arguments_json;
  return {{"id", c.id},
          {"conversation_id", c.conversation_id},
          {"message_id", Optional(c.message_id)},
          {"call_id", c.call_id},
          {"tool", c.tool},
          {"intent", c.intent},
          {"arguments", std::move(arguments)},
          {"method", c.method},
          {"url", c.url},
          {"http_status", c.http_status},
          {"outcome", c.outcome},
          {"error", c.error},
          {"latency_ms", c.latency_ms},
          {"attempts", c.attempts},
          {"created_at", c.created_at}};
}

json ToJson(const store::ApiKey& k) {
  // secret_hash stays out on purpose: it is as good as a password to anyone who can brute-force
  // nothing, but it is nobody's business.
  return {{"id", k.id},
          {"name", k.name},
          {"prefix", k.prefix},
          {"scopes", k.scopes},
          {"user_id", Optional(k.user_id)},
          {"created_at", k.created_at},
          {"last_used_at", Optional(k.last_used_at)},
          {"revoked_at", Optional(k.revoked_at)}};
}

json ToJson(const store::Job& j) {
  return {{"id", j.id},
          {"kind", j.kind},
          {"payload", JsonFromText(j.payload_json)},
          {"status", store::ToString(j.status)},
          {"progress", j.progress},
          {"attempts", j.attempts},
          {"max_attempts", j.max_attempts},
          {"priority", j.priority},
          {"result", JsonFromText(j.result_json)},
          {"error", j.error},
          {"run_after", j.run_after},
          {"cancel_requested", j.cancel_requested},
          {"created_at", j.created_at},
          {"updated_at", j.updated_at},
          {"finished_at", Optional(j.finished_at)}};
}

json ToJson(const store::ExperimentRecord& e) {
  return {{"id", e.id},
          {"character_id", e.character_id},
          {"name", e.name},
          {"kind", e.kind},
          {"metric", e.metric},
          {"return_days", e.return_days},
          {"planned_trials", e.planned_trials},
          {"variants", JsonFromText(e.variants_json)},
          {"status", store::ToString(e.status)},
          {"started_at", Optional(e.started_at)},
          {"stopped_at", Optional(e.stopped_at)},
          {"created_at", e.created_at},
          {"updated_at", e.updated_at}};
}

json ToJson(const store::OutcomeModelRecord& m) {
  return {{"id", m.id},
          {"outcome", m.outcome},
          {"first_messages", m.first_messages},
          {"return_days", m.return_days},
          {"features", m.features},
          {"examples", m.examples},
          {"report", JsonFromText(m.report_json)},
          {"created_at", m.created_at}};
}

Result<std::optional<int64_t>> IdQuery(const Request& request, std::string_view name) {
  std::optional<std::string> text = request.QueryParam(name);
  if (!text || text->empty()) return std::optional<int64_t>();
  std::optional<int64_t> id = ParseInt(*text);
  if (!id || *id <= 0) {
    return InvalidArgument(std::string(name) + " must be a positive integer, got '" + *text + "'", std::string(name));
  }
  return std::optional<int64_t>(*id);
}

Result<int64_t> PathId(const Request& request, std::string_view name) {
  std::optional<int64_t> id = ParseInt(request.PathParam(name));
  if (!id || *id <= 0) {
    return InvalidArgument(std::string(name) + " must be a positive integer", std::string(name));
  }
  return *id;
}

Result<store::PageRequest> PageFromQuery(const Request& request) {
  store::PageRequest page;
  if (std::optional<std::string> limit = request.QueryParam("limit")) {
    std::optional<int64_t> value = ParseInt(*limit);
    if (!value || *value < 1 || *value > 500) {
      return InvalidArgument("limit must be an integer from 1 to 500", "limit");
    }
    page.limit = static_cast<int>(*value);
  }
  if (std::optional<std::string> cursor = request.QueryParam("cursor")) {
    if (cursor->empty()) return InvalidArgument("cursor must not be empty", "cursor");
    page.cursor = std::move(*cursor);
  }
  return page;
}

Result<std::optional<bool>> BoolQuery(const Request& request, std::string_view name) {
  std::optional<std::string> text = request.QueryParam(name);
  if (!text) return std::optional<bool>();
  if (*text == "true") return std::optional<bool>(true);
  if (*text == "false") return std::optional<bool>(false);
  return InvalidArgument(std::string(name) + " must be true or false", std::string(name));
}

HttpResult<json> ObjectBody(const Request& request) {
  HttpResult<json> body = ParseJsonBody(request);
  if (body.ok() && !body->is_object()) {
    return HttpError::FromStatus(InvalidArgument("the body must be a JSON object"));
  }
  return body;
}

std::optional<std::vector<std::string>> OptionalStringArray(JsonObjectReader& reader,
                                                            std::string_view name) {
  const json* array = reader.OptionalArray(name);
  if (array == nullptr) return std::nullopt;
  std::vector<std::string> values;
  for (size_t i = 0; i < array->size(); ++i) {
    if (!(*array)[i].is_string()) {
      reader.Fail(name, "element " + std::to_string(i) + " must be a string");
      return std::nullopt;
    }
    values.push_back((*array)[i].get<std::string>());
  }
  return values;
}

std::optional<std::string> OptionalJsonText(JsonObjectReader& reader, std::string_view name,
                                            JsonShape shape) {
  const json* value = reader.OptionalAny(name);
  if (value == nullptr) return std::nullopt;
  const bool right = shape == JsonShape::kObject ? value->is_object() : value->is_array();
  if (!right) {
    reader.Fail(name, shape == JsonShape::kObject ? "must be an object" : "must be an array");
    return std::nullopt;
  }
  return value->dump();
}

Status NotFoundField(std::string message, std::string field) {
  return Status(StatusCode::kNotFound, std::move(message), std::move(field));
}

// An unset id or time of a campaign message is null.
static json OptionalCampaignField(const std::optional<int64_t>& value) { return value ? json(*value) : json(nullptr); }

json ToJson(const store::CampaignMessage& message) {
  return {{"id", message.id},
          {"campaign_id", message.campaign_id},
          {"user_id", message.user_id},
          {"text", message.text},
          {"status", ToString(message.status)},
          {"reason", message.reason},
          {"conversation_id", OptionalCampaignField(message.conversation_id)},
          {"message_id", OptionalCampaignField(message.message_id)},
          {"due_at", OptionalCampaignField(message.due_at)},
          {"delivered_at", OptionalCampaignField(message.delivered_at)},
          {"replied_at", OptionalCampaignField(message.replied_at)},
          {"outcome", message.outcome},
          {"created_at", message.created_at},
          {"updated_at", message.updated_at}};
}

}  // namespace troupe::server::api
