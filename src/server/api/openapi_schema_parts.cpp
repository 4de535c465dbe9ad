#include "server/api/openapi_schema_parts.h"

namespace troupe::server::api::openapi_parts {

using nlohmann::json;

json Ref(std::string_view name) {
  return {{"$ref", "#/components/schemas/" + std::string(name)}};
}
json Type(std::string_view type, bool nullable) {
  json schema = {{"type", type}};
  if (nullable) schema["nullable"] = true;
  return schema;
}
json StringArray() { return {{"type", "array"}, {"items", Type("string")}}; }
json AnyObject(bool nullable) {
  json schema = {{"type", "object"}, {"additionalProperties", true}};
  if (nullable) schema["nullable"] = true;
  return schema;
}
json Enum(std::vector<std::string> values) { return {{"type", "string"}, {"enum", values}}; }
json Object(json properties, std::vector<std::string> required) {
  json schema = {{"type", "object"}, {"properties", std::move(properties)},
                 {"additionalProperties", false}};
  if (!required.empty()) schema["required"] = required;
  return schema;
}

json ArrayOf(std::string_view schema) { return {{"type", "array"}, {"items", Ref(schema)}}; }

json Nullable(json schema) {
  schema["nullable"] = true;
  return schema;
}

// End users as customers: profiles with activity, CSV import, segments.
void AddCustomerSchemas(json& schemas) {
  const json scalar_map = {{"type", "object"},
                           {"additionalProperties", {{"oneOf", {Type("string"), Type("number"), Type("boolean")}}}}};
  schemas["UserProfile"] = Object({{"user_id", Type("integer")},
                                   {"external_id", Type("string")},
                                   {"segment", Type("string")},
                                   {"profile", scalar_map},
                                   {"updated_at", Type("integer", true)},
                                   {"activity", Object({{"conversations", Type("integer")},
                                                        {"messages_sent", Type("integer")},
                                                        {"frequency_30d", Type("integer")},
                                                        {"recency_days", Type("integer")},
                                                        {"first_seen", Type("integer")},
                                                        {"last_active_at", Type("integer", true)},
                                                        {"ratings_given", Type("integer")},
                                                        {"handoffs", Type("integer")}})}});
  schemas["UserProfileWrite"] = Object({{"profile", AnyObject()}}, {"profile"});
  schemas["ProfileImport"] = Object({{"lines", Type("integer")},
                                     {"created", Type("integer")},
                                     {"updated", Type("integer")},
                                     {"failed", Type("integer")},
                                     {"errors", StringArray()},
                                     {"columns", {{"type", "object"}, {"additionalProperties", Enum({"string", "number", "boolean", "date"})}}}});
  const json condition = Object({{"field", Type("string")}, {"op", Enum({"=", "==", "!=", ">", ">=", "<", "<="})},
                                 {"value", {{"oneOf", {Type("string"), Type("number"), Type("boolean")}}}}},
                                {"field", "op", "value"});
  const json rules = Object({{"all", {{"type", "array"}, {"items", condition}}},
                             {"any", {{"type", "array"}, {"items", condition}}},
                             {"monetary_field", Type("string")}});
  const json kmeans = Object({{"fields", StringArray()}, {"k", Type("integer")}, {"seed", Type("integer")}},
                             {"fields", "k"});
  const json cluster = Object({{"name", Type("string")}, {"size", Type("integer")},
                               {"centroid", {{"type", "object"}, {"additionalProperties", Type("number")}}},
                               {"member_count", Type("integer")}});
  schemas["SegmentCreate"] = Object({{"name", Type("string")}, {"description", Type("string")}, {"rules", rules},
                                     {"kmeans", kmeans}},
                                    {"name"});
  schemas["Segment"] = Object({{"id", Type("integer")},
                               {"name", Type("string")},
                               {"description", Type("string")},
                               {"kind", Enum({"rules", "kmeans", "cluster"})},
                               {"parent", Type("string", true)},
                               {"member_count", Type("integer")},
                               {"rules", Nullable(rules)},
                               {"kmeans", Nullable(kmeans)},
                               {"clusters", {{"type", "array"}, {"items", cluster}}},
                               {"last_run", Nullable(Object({{"evaluated", Type("integer")}, {"clustered", Type("integer")},
                                                             {"skipped", Type("integer")}, {"iterations", Type("integer")}}))},
                               {"created_at", Type("integer")},
                               {"updated_at", Type("integer")}});
  schemas["SegmentApply"] = Object({{"name", Type("string")}, {"evaluated", Type("integer")},
                                    {"members", Type("integer")}, {"added", Type("integer")},
                                    {"removed", Type("integer")}, {"skipped", Type("integer")},
                                    {"clusters", {{"type", "array"}, {"items", cluster}}}});
  schemas["SegmentDeletion"] = Object({{"name", Type("string")}, {"members_removed", Type("integer")}});
}


// Engagement campaigns (campaigns_routes.cpp).
void AddCampaignSchemas(json& schemas) {
  const json quiet_hours = {{"type", "object"},
                            {"nullable", true},
                            {"properties", {{"start", {{"type", "integer"}, {"minimum", 0}, {"maximum", 23}}},
                                            {"end", {{"type", "integer"}, {"minimum", 0}, {"maximum", 23}}}}},
                            {"required", {"start", "end"}},
                            {"additionalProperties", false}};
  schemas["Campaign"] = Object({{"id", Type("integer")},
                                {"name", Type("string")},
                                {"character_id", Type("integer")},
                                {"segment", Type("string")},
                                {"brief", Type("string")},
                                {"status", Enum({"draft", "drafting", "review", "delivering", "done", "cancelled"})},
                                {"quiet_hours", quiet_hours},
                                {"daily_cap", Type("integer")},
                                {"draft_job_id", Type("integer", true)},
                                {"created_at", Type("integer")},
                                {"updated_at", Type("integer")}});
  schemas["CampaignCreate"] = Object({{"name", Type("string")},
                                      {"character_id", Type("integer")},
                                      {"segment", Type("string")},
                                      {"brief", Type("string")},
                                      {"quiet_hours", quiet_hours},
                                      {"daily_cap", {{"type", "integer"}, {"minimum", 1}}}},
                                     {"name", "character_id", "segment"});
  const json message_status = Enum({"drafted", "approved", "rejected", "delivered", "skipped"});
  schemas["CampaignMessage"] = Object({{"id", Type("integer")},
                                       {"campaign_id", Type("integer")},
                                       {"user_id", Type("integer")},
                                       {"text", Type("string")},
                                       {"status", message_status},
                                       {"reason", Enum({"", "opted_out", "quiet_hours", "daily_cap"})},
                                       {"conversation_id", Type("integer", true)},
                                       {"message_id", Type("integer", true)},
                                       {"due_at", Type("integer", true)},
                                       {"delivered_at", Type("integer", true)},
                                       {"replied_at", Type("integer", true)},
                                       {"outcome", Type("string")},
                                       {"created_at", Type("integer")},
                                       {"updated_at", Type("integer")}});
  schemas["CampaignMessageReview"] =
      Object({{"status", Enum({"approved", "rejected", "drafted"})}, {"text", Type("string")}}, {"status"});
  schemas["CampaignApproval"] = Object({{"approved", Type("integer")}}, {"approved"});
  const json counts = {{"type", "object"}, {"additionalProperties", Type("integer")}};
  schemas["CampaignDelivery"] = Object(
      {{"delivered", Type("integer")}, {"waiting", Type("integer")}, {"skipped", counts}, {"campaign", Ref("Campaign")}},
      {"delivered", "waiting", "skipped"});
  schemas["CampaignStats"] = Object({{"campaign_id", Type("integer")},
                                     {"status", Type("string")},
                                     {"drafted", Type("integer")},
                                     {"pending_review", Type("integer")},
                                     {"approved", Type("integer")},
                                     {"rejected", Type("integer")},
                                     {"delivered", Type("integer")},
                                     {"waiting", Type("integer")},
                                     {"skipped", Type("integer")},
                                     {"skipped_by_reason", counts},
                                     {"replied", Type("integer")},
                                     {"reply_rate", Type("number")},
                                     {"outcomes", counts}});
}


// The support KPIs (kpi_json.h) and the routing review they measure against.
void AddKpiSchemas(json& schemas) {
  json values = json::object();
  for (const char* count : {"conversations", "first_responses", "replies", "resolved", "handed_off",
                            "resolved_without_human", "csat_ratings", "csat_satisfied", "routing_reviews",
                            "routing_correct", "campaign_sends", "campaign_replies"}) {
    values[count] = Type("integer");
  }
  for (const char* measure : {"first_response_ms", "average_response_ms", "resolution_rate", "handoff_rate",
                              "agent_load_reduction", "csat", "csat_mean", "routing_accuracy",
                              "campaign_reply_rate"}) {
    values[measure] = Type("number", /*nullable=*/true);
  }
  schemas["KpiValues"] = Object(values);
  json group = values;
  group["key"] = {{"type", "string"},
                  {"nullable", true},
                  {"description", "the day (YYYY-MM-DD), intent (null: not routed) or character id"}};
  group["character_id"] = Type("integer");
  group["character_slug"] = Type("string", true);
  group["character_name"] = Type("string", true);
  schemas["KpiGroup"] = Object(group, {"key"});
  schemas["Kpis"] = Object({{"from", Type("string")},
                            {"to", Type("string")},
                            {"group_by", Enum({"day", "intent", "character"})},
                            {"totals", Ref("KpiValues")},
                            {"groups", {{"type", "array"}, {"items", Ref("KpiGroup")}}}},
                           {"from", "to", "group_by", "totals", "groups"});
  schemas["RoutingReview"] = Object({{"intent", Type("string")}}, {"intent"});
}

// The web studio's dashboards and evaluation runs.
void AddAnalyticsSchemas(json& schemas) {
  const json number = Type("number", true);
  schemas["AnalyticsDay"] = Object({{"day", Type("string")},
                                    {"conversations", Type("integer")},
                                    {"user_messages", Type("integer")},
                                    {"assistant_messages", Type("integer")},
                                    {"sentiment_count", Type("integer")},
                                    {"sentiment_mean", number},
                                    {"thumbs_up", Type("integer")},
                                    {"thumbs_down", Type("integer")},
                                    {"csat_count", Type("integer")},
                                    {"csat_mean", number},
                                    {"comments", {{"type", "integer"},
                                                  {"description", "feedback events of any kind with a comment"}}},
                                    {"comment_sentiment_count", Type("integer")},
                                    {"comment_sentiment_mean",
                                     {{"type", "number"},
                                      {"nullable", true},
                                      {"description", "the mean lexicon sentiment (-1 to 1) of the day's scored "
                                                      "comments; comments recorded before scoring are not scored"}}}},
                                   {"day", "conversations", "user_messages", "assistant_messages"});
  schemas["FunnelStage"] = Object({{"stage", Type("string")},
                                   {"at_stage", Type("integer")},
                                   {"reached", Type("integer")},
                                   {"drop_off", Type("integer", true)},
                                   {"drop_off_rate", number},
                                   {"sentiment_count", Type("integer")},
                                   {"sentiment_mean", number},
                                   {"rating_count", Type("integer")},
                                   {"rating_mean", number},
                                   {"replies", Type("integer")},
                                   {"regenerated", Type("integer")},
                                   {"first_kept", Type("integer")},
                                   {"regenerated_rate", number}},
                                  {"stage", "at_stage", "reached"});
  schemas["StageFunnel"] = Object(
      {{"flow", Type("string")}, {"stages", ArrayOf("FunnelStage")}, {"other_stages", ArrayOf("FunnelStage")}},
      {"flow", "stages", "other_stages"});
  schemas["AnalyticsOverview"] = Object({{"from", Type("string")},
                                         {"to", Type("string")},
                                         {"character_id", Type("integer", true)},
                                         {"days", ArrayOf("AnalyticsDay")},
                                         {"funnel", {{"allOf", {Ref("StageFunnel")}}, {"nullable", true}}}},
                                        {"from", "to", "days", "funnel"});
  json run = {{"id", Type("integer")},         {"character_id", Type("integer")}, {"dataset", Type("string")},
              {"dataset_fingerprint", Type("string")}, {"provider", Type("string")}, {"cases", Type("integer")},
              {"bleu", Type("number")},        {"chrf", Type("number")},         {"rouge_l", Type("number")},
              {"perplexity", number},          {"created_at", Type("integer")}};
  schemas["EvalRun"] = Object(run, {"id", "character_id", "dataset", "cases", "bleu", "chrf", "rouge_l"});
  run["report"] = AnyObject();
  schemas["EvalRunWithReport"] = Object(run, {"id", "character_id", "report"});
  const json point = Object({{"message_id", Type("integer")}, {"created_at", Type("integer")}, {"score", Type("number")}},
                            {"message_id", "created_at", "score"});
  schemas["SentimentTrajectory"] = Object(
      {{"conversation_id", Type("integer")},
       {"points", {{"type", "array"}, {"items", point}}},
       {"trajectory", Object({{"count", Type("integer")},
                              {"mean", number},
                              {"start_mean", number},
                              {"end_mean", number},
                              {"slope", number},
                              {"min", number},
                              {"max", number},
                              {"trend", Enum({"none", "improving", "declining", "steady"})}},
                             {"count", "trend"})}},
      {"conversation_id", "points", "trajectory"});
}

// The studio's pipelines (studio_routes.cpp). A draft is draft_json.h's shape; its steps are
// checked against the steps' own schemas when it is saved.
void AddStudioSchemas(json& schemas) {
  const json role = Enum({"companion", "advisor", "mascot", "support"});
  schemas["CharacterGeneration"] = Object({{"theme", Type("string")},
                                           {"audience", Type("string")},
                                           {"role", role},
                                           {"candidates", {{"type", "integer"}, {"minimum", 1}, {"maximum", 20}}},
                                           {"seed", {{"type", "integer"}, {"minimum", 0}}},
                                           {"temperature", {{"type", "number"}, {"minimum", 0}, {"maximum", 2}}},
                                           {"provider", Type("string")},
                                           {"regenerate_near_copies", Type("boolean")},
                                           {"save", Type("boolean")}},
                                          {"theme", "audience", "role"});
  const json steps = {{"type", "object"},
                      {"properties",
                       {{"concept", AnyObject()},
                        {"background", AnyObject()},
                        {"speech", AnyObject()},
                        {"greetings", AnyObject()},
                        {"image", AnyObject()}}}};
  schemas["CharacterDraft"] = Object(
      {{"brief", Object({{"theme", Type("string")}, {"audience", Type("string")}, {"role", role}},
                        {"theme", "audience", "role"})},
       {"steps", steps},
       {"stale", {{"type", "array"}, {"items", Enum({"concept", "background", "speech", "greetings", "image"})}}}},
      {"brief"});
  schemas["CharacterDraftSave"] = Object({{"draft", Ref("CharacterDraft")}}, {"draft"});
  schemas["CharacterStepRerun"] =
      Object({{"draft", Ref("CharacterDraft")},
              {"step", Enum({"concept", "background", "speech", "greetings", "image"})},
              {"refresh", Type("boolean")},
              {"seed", {{"type", "integer"}, {"minimum", 0}}},
              {"temperature", {{"type", "number"}, {"minimum", 0}, {"maximum", 2}}},
              {"provider", Type("string")}},
             {"draft", "step"});
  const json stages = {{"type", "integer"}, {"minimum", 2}, {"maximum", 12}};
  schemas["FlowGeneration"] = Object({{"topic", Type("string")},
                                      {"goal", Type("string")},
                                      {"minor", Type("boolean")},
                                      {"min_stages", stages},
                                      {"max_stages", stages},
                                      {"seed", {{"type", "integer"}, {"minimum", 0}}},
                                      {"temperature", {{"type", "number"}, {"minimum", 0}, {"maximum", 2}}},
                                      {"provider", Type("string")}},
                                     {"topic", "goal"});
  schemas["FlowOptimization"] = Object({{"character_id", Type("integer")},
                                        {"from", Type("string")},
                                        {"to", Type("string")},
                                        {"seed", {{"type", "integer"}, {"minimum", 0}}},
                                        {"temperature", {{"type", "number"}, {"minimum", 0}, {"maximum", 2}}},
                                        {"max_edits", {{"type", "integer"}, {"minimum", 1}, {"maximum", 10}}},
                                        {"provider", Type("string")}},
                                       {"character_id"});
  schemas["BiasReview"] = Object(
      {{"character_id", {{"type", "integer"}, {"minimum", 1}}},
       {"prompts", {{"type", "array"},
                    {"minItems", 1},
                    {"maxItems", 50},
                    {"items", {{"type", "string"}, {"minLength", 1}, {"maxLength", 2000}}}}},
       {"repeats", {{"type", "integer"}, {"minimum", 1}, {"maximum", 20}}},
       {"max_tokens", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1024}}},
       {"temperature", {{"type", "number"}, {"minimum", 0}, {"maximum", 2}}},
       {"provider", Type("string")}},
      {"character_id"});
  schemas["VoicePreview"] = Object({{"text", {{"type", "string"}, {"minLength", 1}, {"maxLength", 2000}}},
                                    {"voice", Type("string")},
                                    {"words_per_minute", {{"type", "integer"}, {"minimum", 80}, {"maximum", 450}}}},
                                   {"text"});
  schemas["PicturePreview"] = Object(
      {{"prompt", {{"type", "string"}, {"minLength", 1}, {"maxLength", 1000}}},
       {"negative_prompt", Type("string")},
       {"seed", {{"type", "integer"}, {"minimum", 0}}},
       {"character", Object({{"name", Type("string")},
                             {"description", Type("string")},
                             {"personality", Type("string")},
                             {"tags", StringArray()}})}},
      {"prompt"});
}

}  // namespace troupe::server::api::openapi_parts
