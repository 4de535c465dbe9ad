// The OpenAPI 3.0 document, generated from the route table (paths, methods, scopes, parameters,
// schema references) plus the schemas below. The schemas describe what json_io.cpp writes and
// what the handlers read; the API tests compare real responses against them field by field.
#include <cctype>
#include <set>

#include <nlohmann/json.hpp>

#include "server/api/api_call.h"
#include "server/api/openapi_schema_parts.h"

namespace troupe::server::api {
namespace {

using nlohmann::json;
using namespace openapi_parts;

// The writable character fields, shared by create and update.
json CharacterInputProperties() {
  return {{"slug", Type("string")},
          {"name", Type("string")},
          {"description", Type("string")},
          {"personality", Type("string")},
          {"scenario", Type("string")},
          {"first_mes", Type("string")},
          {"mes_example", Type("string")},
          {"creator_notes", Type("string")},
          {"system_prompt", Type("string")},
          {"post_history_instructions", Type("string")},
          {"alternate_greetings", StringArray()},
          {"character_book", AnyObject(true)},
          {"tags", StringArray()},
          {"creator", Type("string")},
          {"character_version", Type("string")},
          {"extensions", AnyObject()},
          {"nickname", Type("string")},
          {"creator_notes_multilingual", AnyObject(true)},
          {"source", StringArray()},
          {"group_only_greetings", StringArray()},
          {"assets", {{"type", "array"}, {"items", AnyObject()}, {"nullable", true}}},
          {"creation_date", Type("integer", true)},
          {"modification_date", Type("integer", true)},
          {"flow", Type("string")},
          {"published", Type("boolean")}};
}


// GET /api/v1/users/{user_id}/export and DELETE /api/v1/users/{user_id} (user_archive_json.h).
void AddUserDataSchemas(json& schemas, json conversation) {
  conversation["character_name"] = Type("string");
  conversation["messages"] = ArrayOf("Message");
  conversation["memories"] = ArrayOf("Memory");
  conversation["feedback"] = ArrayOf("FeedbackEvent");
  conversation["tool_calls"] = ArrayOf("ToolCall");
  schemas["UserExportConversation"] = Object(conversation);
  schemas["UserExport"] = Object({{"format", Enum({"troupe-user-export"})},
                                  {"version", Type("integer")},
                                  {"exported_at", Type("integer")},
                                  {"user", Ref("User")},
                                  {"profile", {{"type", "object"}, {"description", "the customer profile ({} when never set)"}}},
                                  {"conversations", ArrayOf("UserExportConversation")},
                                  {"feedback_elsewhere",
                                   {{"type", "array"},
                                    {"items", Ref("FeedbackEvent")},
                                    {"description", "feedback the user gave on conversations not theirs"}}},
                                  {"campaign_messages", ArrayOf("CampaignMessage")},
                                  {"api_keys", ArrayOf("ApiKey")}},
                                 {"format", "version", "exported_at", "user", "profile", "conversations",
                                  "feedback_elsewhere", "campaign_messages", "api_keys"});
  json counts;
  for (const char* kind : {"conversations", "messages", "memories", "feedback_events", "tool_calls", "api_keys",
                           "profiles", "campaign_messages", "jobs"}) {
    counts[kind] = Type("integer");
  }
  schemas["UserDeletion"] = Object({{"user_id", Type("integer")},
                                    {"deleted", Object(counts)},
                                    {"jobs_cancelled", {{"type", "integer"},
                                                        {"description", "running jobs naming the user asked to stop"}}}},
                                   {"user_id", "deleted", "jobs_cancelled"});
}

json Schemas() {
  json schemas;
  schemas["Error"] = Object(
      {{"error", Object({{"code", Type("string")}, {"message", Type("string")}, {"field", Type("string")}},
                        {"code", "message"})}},
      {"error"});

  json character = CharacterInputProperties();
  character["id"] = Type("integer");
  character["version"] = Type("integer");
  character["created_at"] = Type("integer");
  character["updated_at"] = Type("integer");
  // Set by the server only (card PNG import, PUT .../avatar); never accepted in a request body.
  character["avatar"] = Type("string");
  character["avatar"]["readOnly"] = true;
  schemas["Character"] = Object(character);
  schemas["CharacterCreate"] = Object(CharacterInputProperties(), {"name"});
  json character_update = CharacterInputProperties();
  character_update["version"] = Type("integer");
  schemas["CharacterUpdate"] = Object(character_update, {"version"});
  // A Character Card as POST /api/v1/characters imports it and .../card exports it: V2 or V3 (V1,
  // a flat object without `spec`, is accepted on import too). `data` holds the card's fields.
  schemas["CharacterCard"] = Object({{"spec", Enum({"chara_card_v2", "chara_card_v3"})},
                                     {"spec_version", Type("string")},
                                     {"data", AnyObject()}},
                                    {"spec", "data"});

  schemas["FlowCheck"] = Object({{"flow", Type("string")}, {"extensions", AnyObject()}}, {"flow"});
  schemas["FlowCheckResult"] = Object({{"valid", Type("boolean")},
                                       {"stages", StringArray()},
                                       {"error", [] {
                                          json error = Object({{"field", Type("string")}, {"message", Type("string")}});
                                          error["nullable"] = true;
                                          return error;
                                        }()}},
                                      {"valid", "stages", "error"});
  schemas["User"] = Object({{"id", Type("integer")},
                            {"external_id", Type("string")},
                            {"display_name", Type("string")},
                            {"segment", Type("string")},
                            {"metadata", AnyObject()},
                            {"created_at", Type("integer")},
                            {"updated_at", Type("integer")}});
  schemas["UserCreate"] = Object({{"external_id", Type("string")},
                                  {"display_name", Type("string")},
                                  {"segment", Type("string")},
                                  {"metadata", AnyObject()}},
                                 {"external_id"});
  schemas["UserUpdate"] = Object({{"display_name", Type("string")},
                                  {"segment", Type("string")},
                                  {"metadata", AnyObject()}});

  const json conversation = {{"id", Type("integer")},
                             {"user_id", Type("integer")},
                             {"character_id", Type("integer")},
                             {"title", Type("string")},
                             {"stage", Type("string")},
                             {"mood", Type("string")},
                             {"affinity", Type("number")},
                             {"status", Enum({"active", "handed_off", "closed"})},
                             {"message_count", Type("integer")},
                             {"last_activity_at", Type("integer")},
                             {"metadata", AnyObject()},
                             {"created_at", Type("integer")},
                             {"updated_at", Type("integer")}};
  schemas["Conversation"] = Object(conversation);
  schemas["ConversationCreate"] = Object(
      {{"character_id", Type("integer")},
       {"user_id", {{"type", "integer"}, {"description", "required, except for client keys (which must not send it)"}}},
       {"title", Type("string")},
       {"metadata", AnyObject()}},
      {"character_id"});

  schemas["Message"] = Object({{"id", Type("integer")},
                               {"conversation_id", Type("integer")},
                               {"parent_id", Type("integer", true)},
                               {"role", Enum({"system", "user", "assistant", "tool", "agent"})},
                               {"content", Type("string")},
                               {"stage", Type("string")},
                               {"prompt_tokens", Type("integer")},
                               {"completion_tokens", Type("integer")},
                               {"latency_ms", Type("integer")},
                               {"sentiment", Type("number", true)},
                               {"rating", Type("integer", true)},
                               {"incomplete", Type("boolean")},
                               {"metadata", AnyObject()},
                               {"created_at", Type("integer")},
                               {"updated_at", Type("integer")}});

  schemas["MessageCreate"] = Object({{"content", Type("string")},
                                     {"typing_delays", Type("boolean")},
                                     {"split_messages", Type("boolean")}},
                                    {"content"});
  schemas["StreamOptions"] = Object({{"typing_delays", Type("boolean")}, {"split_messages", Type("boolean")}});
  schemas["OpenOptions"] = Object({{"greeting", Type("integer")},
                                   {"typing_delays", Type("boolean")},
                                   {"split_messages", Type("boolean")}});
  schemas["Handoff"] = Object({{"reason", Type("string")}});
  schemas["AgentPresenceUpdate"] = Object(
      {{"status", Enum({"available", "away", "offline"})}, {"max_conversations", Type("integer")}}, {"status"});
  schemas["Agent"] = Object({{"key_prefix", Type("string")},
                             {"name", Type("string")},
                             {"status", Enum({"available", "away", "offline"})},
                             {"max_conversations", Type("integer")},
                             {"last_seen_at", Type("integer", true)},
                             {"assigned", Type("integer")}});
  schemas["HandoffQueueEntry"] = Object({{"conversation_id", Type("integer")},
                                         {"user_id", Type("integer")},
                                         {"character_id", Type("integer")},
                                         {"title", Type("string")},
                                         {"handed_off_at", Type("integer")},
                                         {"waiting_ms", Type("integer")},
                                         {"answered", Type("boolean")},
                                         {"requested_by", Type("string", true)},
                                         {"reason", Type("string", true)},
                                         {"summary_text", Type("string", true)},
                                         {"assigned_to", Type("string", true)},
                                         {"assigned_at", Type("integer", true)},
                                         {"last_customer_message", AnyObject(true)}});
  schemas["AssignConversation"] = Object({{"agent", Type("string")}});
  schemas["BranchCreate"] = Object({{"message_id", Type("integer")}}, {"message_id"});
  schemas["MessageUpdate"] = Object({{"content", Type("string")}, {"swipe", Type("integer")}});

  schemas["MessageList"] = Object({{"data", {{"type", "array"}, {"items", Ref("Message")}}}}, {"data"});

  schemas["Memory"] = Object({{"id", Type("integer")},
                              {"conversation_id", Type("integer")},
                              {"kind", Enum({"pinned", "summary", "fact"})},
                              {"content", Type("string")},
                              {"covers_until_message_id", Type("integer", true)},
                              {"created_at", Type("integer")},
                              {"updated_at", Type("integer")}});
  schemas["MemoryList"] = Object({{"data", {{"type", "array"}, {"items", Ref("Memory")}}}}, {"data"});
  schemas["MemoryCreate"] = Object({{"content", Type("string")}}, {"content"});
  schemas["MemoryUpdate"] = Object({{"content", Type("string")}}, {"content"});

  schemas["FeedbackEvent"] = Object({{"id", Type("integer")},
                                     {"conversation_id", Type("integer")},
                                     {"message_id", Type("integer", true)},
                                     {"user_id", Type("integer", true)},
                                     {"kind", Type("string")},
                                     {"rating", Type("integer", true)},
                                     {"comment", Type("string")},
                                     {"sentiment", {{"type", "number"},
                                                    {"nullable", true},
                                                    {"description", "the comment's tone, -1 to 1, scored when "
                                                                    "recorded; null without a comment or when "
                                                                    "recorded before scoring existed"}}},
                                     {"created_at", Type("integer")}});
  schemas["ToolCall"] = Object({{"id", Type("integer")},
                                {"conversation_id", Type("integer")},
                                {"message_id", Type("integer", true)},
                                {"call_id", Type("string")},
                                {"tool", Type("string")},
                                {"intent", Type("string")},
                                {"arguments", {{"description", "the call's arguments, secrets and personal data masked"}}},
                                {"method", Type("string")},
                                {"url", Type("string")},
                                {"http_status", Type("integer")},
                                {"outcome", Type("string")},
                                {"error", Type("string")},
                                {"latency_ms", Type("number")},
                                {"attempts", Type("integer")},
                                {"created_at", Type("integer")}});
  const json string_map = {{"type", "object"}, {"additionalProperties", Type("string")}};
  schemas["Template"] = Object({{"intent", Type("string")},
                                {"name", Type("string")},
                                {"text", {{"type", "string"}, {"description", "with {slot} placeholders"}}},
                                {"slots", StringArray()},
                                {"facts", {{"type", "array"}, {"items", Type("string")},
                                           {"description", "what a reply from the template must keep as written"}}}},
                               {"intent", "name", "text", "slots", "facts"});
  schemas["TemplateList"] = Object({{"data", {{"type", "array"}, {"items", Ref("Template")}}}}, {"data"});
  schemas["TemplateRenderRequest"] = Object({{"intent", Type("string")}, {"name", Type("string")}}, {"intent", "name"});
  schemas["RenderedTemplate"] = Object({{"text", Type("string")}, {"values", string_map}, {"unfilled", StringArray()}},
                                       {"text", "values", "unfilled"});
  schemas["FeedbackCreate"] = Object({{"kind", Enum({"rating", "csat", "comment", "report"})},
                                      {"message_id", Type("integer")},
                                      {"rating", {{"type", "integer"},
                                                  {"minimum", -1},
                                                  {"maximum", 5},
                                                  {"description", "rating: -1, 0 or 1; csat: 1 to 5"}}},
                                      {"comment", Type("string")}},
                                     {"kind"});

  json key = {{"id", Type("integer")},
              {"name", Type("string")},
              {"prefix", Type("string")},
              {"scopes", {{"type", "array"}, {"items", Enum({"admin", "studio", "agent", "client"})}}},
              {"user_id", Type("integer", true)},
              {"created_at", Type("integer")},
              {"last_used_at", Type("integer", true)},
              {"revoked_at", Type("integer", true)}};
  schemas["ApiKey"] = Object(key);
  key["key"] = {{"type", "string"}, {"description", "the secret key, shown only in this response"}};
  schemas["ApiKeyCreated"] = Object(key);
  // user: the end user (a User) for client keys, null for others.
  schemas["Me"] = Object({{"key", Ref("ApiKey")}, {"user", AnyObject(/*nullable=*/true)}}, {"key", "user"});
  schemas["ApiKeyCreate"] = Object(
      {{"name", Type("string")},
       {"scopes", {{"type", "array"}, {"items", Enum({"admin", "studio", "agent", "client"})}, {"minItems", 1}}},
       {"user_id", Type("integer")}},
      {"scopes"});

  AddUserDataSchemas(schemas, conversation);
  AddKpiSchemas(schemas);
  AddAnalyticsSchemas(schemas);
  AddCampaignSchemas(schemas);
  AddStudioSchemas(schemas);
  AddExperimentSchemas(schemas);
  AddPredictionSchemas(schemas);

  schemas["Job"] = Object({{"id", Type("integer")},
                           {"kind", Type("string")},
                           {"payload", AnyObject()},
                           {"status", Enum({"queued", "running", "succeeded", "failed", "cancelled"})},
                           {"progress", Type("number")},
                           {"attempts", Type("integer")},
                           {"max_attempts", Type("integer")},
                           {"priority", Type("integer")},
                           {"result", {{"nullable", true}}},
                           {"error", Type("string")},
                           {"run_after", Type("integer")},
                           {"cancel_requested", Type("boolean")},
                           {"created_at", Type("integer")},
                           {"updated_at", Type("integer")},
                           {"finished_at", Type("integer", true)}});
  AddCustomerSchemas(schemas);
  return schemas;
}

json ErrorResponse(std::string description) {
  return {{"description", std::move(description)},
          {"content", {{"application/json", {{"schema", Ref("Error")}}}}}};
}

json Operation(const ApiRoute& route) {
  json operation = {{"operationId", route.operation_id},
                    {"summary", route.summary},
                    {"tags", {route.tag}}};
  json parameters = json::array();
  // Path parameters from the pattern: a positive integer id, or a name ({segment_name}).
  std::string_view rest = route.pattern;
  while (true) {
    size_t open = rest.find('{');
    if (open == std::string_view::npos) break;
    size_t close = rest.find('}', open);
    parameters.push_back({{"name", std::string(rest.substr(open + 1, close - open - 1))},
                          {"in", "path"},
                          {"required", true},
                          {"schema", rest.substr(open, close - open).ends_with("_name")
                                         ? json{{"type", "string"}}
                                     : rest.substr(open, close - open).ends_with("_index")
                                         ? json{{"type", "integer"}, {"minimum", 0}}
                                         : json{{"type", "integer"}, {"minimum", 1}}}});
    rest.remove_prefix(close + 1);
  }
  for (const QueryParam& param : route.query) {
    parameters.push_back({{"name", param.name},
                          {"in", "query"},
                          {"description", param.description},
                          {"schema", Type(param.type)}});
  }
  if (route.paginated) {
    parameters.push_back({{"name", "limit"},
                          {"in", "query"},
                          {"description", "page size"},
                          {"schema", {{"type", "integer"}, {"minimum", 1}, {"maximum", 500}, {"default", 50}}}});
    parameters.push_back({{"name", "cursor"},
                          {"in", "query"},
                          {"description", "next_cursor of the previous page"},
                          {"schema", Type("string")}});
  }
  if (!route.is_public) {
    parameters.push_back({{"name", "X-Troupe-User"},
                          {"in", "header"},
                          {"description", "client keys: the end user's external id (created on first sight)"},
                          {"schema", Type("string")}});
  }
  operation["parameters"] = parameters;

  if (!route.request_schema.empty()) {
    operation["requestBody"] = {
        {"required", true},
        {"content", {{"application/json", {{"schema", Ref(route.request_schema)}}}}}};
  }

  // Card import: the record form, a card JSON, or a card PNG.
  if (route.operation_id == "createCharacter") {
    json& content = operation["requestBody"]["content"];
    content["application/json"]["schema"] = {{"oneOf", {Ref("CharacterCreate"), Ref("CharacterCard")}}};
    content["image/png"] = {{"schema", {{"type", "string"}, {"format", "binary"}}}};
  }
  if (route.operation_id == "importUserProfiles") {
    operation["requestBody"] = {{"required", true}, {"content", {{"text/csv", {{"schema", Type("string")}}}}}};
  }

  json success = {{"description", "success"}};
  if (route.operation_id == "exportCardPng") {
    success["content"] = {{"image/png", {{"schema", {{"type", "string"}, {"format", "binary"}}}}}};
  } else if (route.operation_id == "getMessageMedia") {
    const json binary = {{"schema", {{"type", "string"}, {"format", "binary"}}}};
    success["content"] = json::object();
    for (const char* type : {"audio/ogg", "audio/wav", "audio/mpeg", "image/png", "image/jpeg", "image/webp"}) {
      success["content"][type] = binary;
    }
  } else if (route.pattern == "/api/v1/openapi.json") {
    success["content"] = {{"application/json", {{"schema", {{"type", "object"}}}}}};
  } else if (route.event_stream) {
    success["description"] =
        "a Server-Sent Events stream: one event per change (event: the type, id: a sequence number, "
        "data: a JSON object); comment lines keep it alive";
    success["content"] = {{"text/event-stream", {{"schema", Type("string")}}}};
  } else if (route.paginated) {
    success["content"] = {
        {"application/json",
         {{"schema", Object({{"data", {{"type", "array"}, {"items", Ref(route.response_schema)}}},
                             {"next_cursor", Type("string", true)}},
                            {"data", "next_cursor"})}}}};
  } else if (!route.response_schema.empty()) {
    success["content"] = {{"application/json", {{"schema", Ref(route.response_schema)}}}};
  }
  if (route.operation_id == "exportUser") {
    success["headers"] = {{"Content-Disposition",
                           {{"description", "attachment; filename=\"user-<user_id>-export.json\""},
                            {"schema", Type("string")}}}};
  }
  json responses = {{std::to_string(route.success_status), success}};
  responses["400"] = ErrorResponse("bad input; error.field names the field or parameter");
  if (!route.is_public) {
    responses["401"] = ErrorResponse("no key, or an invalid or revoked key (WWW-Authenticate: Bearer)");
    responses["403"] = ErrorResponse("the key's scopes do not allow this route");
    responses["429"] = ErrorResponse("rate limited; see Retry-After");
    responses["404"] = ErrorResponse("not found, or not visible to this key");
  }
  if (route.method == "PATCH" || route.method == "DELETE") {
    responses["409"] = ErrorResponse("conflict: a stale version, or the resource is in use");
  }
  operation["responses"] = responses;

  std::vector<std::string> scopes;
  if (route.is_public) {
    operation["security"] = json::array();
  } else {
    scopes.emplace_back(kScopeAdmin);
    for (std::string_view scope : route.scopes) scopes.emplace_back(scope);
    operation["x-troupe-scopes"] = scopes;
  }
  return operation;
}

json BuiltinOperation(std::string id, std::string summary, std::string content_type) {
  return {{"operationId", std::move(id)},
          {"summary", std::move(summary)},
          {"tags", {"meta"}},
          {"security", json::array()},
          {"responses", {{"200", {{"description", "success"},
                                  {"content", {{content_type, {{"schema", json::object()}}}}}}}}}};
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

nlohmann::json BuildOpenApi(const RouteTable& table) {
  json paths = json::object();
  for (const ApiRoute& route : table) paths[route.pattern][Lower(route.method)] = Operation(route);
  paths["/healthz"]["get"] = BuiltinOperation("getHealth", "Liveness: the process answers", "application/json");
  paths["/readyz"]["get"] = BuiltinOperation("getReadiness", "Readiness: the database answers (503 otherwise)", "application/json");
  paths["/metrics"]["get"] = BuiltinOperation("getMetrics", "Prometheus metrics", "text/plain");

  return {{"openapi", "3.0.3"},
          {"info",
           {{"title", "Troupe API"},
            {"version", "1"},
            {"description",
             "Scopes: admin (everything), studio (characters, jobs), agent (read any user's "
             "conversations and messages, read characters), client (acts for the end user named by "
             "X-Troupe-User; own data and published characters only). x-troupe-scopes lists the "
             "scopes that may call each operation."}}},
          {"servers", json::array({{{"url", "/"}}})},
          {"security", json::array({{{"bearer", json::array()}}})},
          {"components",
           {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}},
            {"schemas", Schemas()}}},
          {"paths", paths}};
}

}  // namespace troupe::server::api
