// The OpenAPI schemas of /api/v1/studio/experiments (experiments_routes.cpp) and of outcome
// prediction (prediction_routes.cpp).
#include "server/api/openapi_schema_parts.h"

namespace troupe::server::api::openapi_parts {

using nlohmann::json;

void AddExperimentSchemas(json& schemas) {
  schemas["ExperimentVariant"] = Object({{"name", Type("string")},
                                         {"weight", {{"type", "number"}, {"exclusiveMinimum", 0}, {"maximum", 1000}}},
                                         {"flow", Type("string")},
                                         {"system_prompt", Type("string")},
                                         {"character_id", Type("integer")}},
                                        {"name"});
  const json variants = {{"type", "array"}, {"minItems", 2}, {"maxItems", 8}, {"items", Ref("ExperimentVariant")}};
  const json kind = Enum({"flow", "prompt", "character"});
  const json metric = Enum({"length", "return", "rating", "resolution"});
  const json return_days = {{"type", "integer"}, {"minimum", 1}, {"maximum", 365}};
  schemas["ExperimentCreate"] = Object(
      {{"character_id", Type("integer")},
       {"name", Type("string")},
       {"kind", kind},
       {"metric", metric},
       {"return_days", return_days},
       {"planned_trials", {{"type", "integer"}, {"minimum", 0}}},
       {"plan", Object({{"baseline_rate", Type("number")},
                        {"minimum_effect", Type("number")},
                        {"alpha", Type("number")},
                        {"power", Type("number")}},
                       {"baseline_rate", "minimum_effect"})},
       {"variants", variants}},
      {"character_id", "name", "kind", "metric", "variants"});
  schemas["Experiment"] = Object({{"id", Type("integer")},
                                  {"character_id", Type("integer")},
                                  {"name", Type("string")},
                                  {"kind", kind},
                                  {"metric", metric},
                                  {"return_days", return_days},
                                  {"planned_trials", Type("integer")},
                                  {"variants", variants},
                                  {"status", Enum({"draft", "running", "stopped"})},
                                  {"started_at", Type("integer", true)},
                                  {"stopped_at", Type("integer", true)},
                                  {"created_at", Type("integer")},
                                  {"updated_at", Type("integer")}});
  const json estimate = Nullable(Object({{"value", Type("number")},
                                         {"low", Type("number")},
                                         {"high", Type("number")},
                                         {"successes", Type("integer")},
                                         {"standard_deviation", Type("number")}}));
  const json comparison = Nullable(Object({{"difference", Type("number")},
                                           {"low", Type("number")},
                                           {"high", Type("number")},
                                           {"test", Type("string")},
                                           {"statistic", Type("number")},
                                           {"p_value", Type("number")}}));
  const json variant_report = Object({{"name", Type("string")},
                                      {"assigned", Type("integer")},
                                      {"measured", Type("integer")},
                                      {"pending", Type("integer")},
                                      {"estimate", estimate},
                                      {"against_control", comparison},
                                      {"decision", Nullable(Enum({"continue", "significant", "inconclusive"}))}});
  const json day = Object({{"day_start_ms", Type("integer")}, {"counts", {{"type", "array"}, {"items", Type("integer")}}}});
  schemas["ExperimentReport"] = Object({{"metric", metric},
                                        {"confidence", Type("number")},
                                        {"proportion", Type("boolean")},
                                        {"planned_trials", Type("integer")},
                                        {"variants", {{"type", "array"}, {"items", variant_report}}},
                                        {"days", {{"type", "array"}, {"items", day}}},
                                        {"summary", Type("string")},
                                        {"experiment", Ref("Experiment")}});
}

void AddPredictionSchemas(json& schemas) {
  const json outcome = Enum({"handoff", "return", "good_end"});
  schemas["OutcomeTraining"] = Object({{"outcome", outcome},
                                       {"first_messages", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}}},
                                       {"return_days", {{"type", "integer"}, {"minimum", 1}, {"maximum", 3650}}},
                                       {"test_share", {{"type", "number"}, {"exclusiveMinimum", 0}, {"exclusiveMaximum", 1}}},
                                       {"seed", {{"type", "integer"}, {"minimum", 0}}}});
  schemas["OutcomeModel"] = Object({{"id", Type("integer")},
                                    {"outcome", outcome},
                                    {"first_messages", Type("integer")},
                                    {"return_days", Type("integer")},
                                    {"features", Type("integer")},
                                    {"examples", Type("integer")},
                                    {"report", AnyObject()},
                                    {"created_at", Type("integer")}});
  const json prediction = Object({{"outcome", outcome},
                                  {"probability", Type("number")},
                                  {"model_id", Type("integer")},
                                  {"messages_seen", Type("integer")},
                                  {"created_at", Type("integer")},
                                  {"updated_at", Type("integer")}});
  schemas["ConversationPredictions"] = Object(
      {{"conversation_id", Type("integer")}, {"predictions", {{"type", "array"}, {"items", prediction}}}});
  const json day = {{"type", "string"}, {"format", "date"}};
  json source = Enum({"messages", "comments"});
  source["default"] = "messages";
  source["description"] = "the users' messages, or the feedback comments (any kind of feedback with text) of the period";
  schemas["TopicsRequest"] =
      Object({{"source", source},
              {"from", day},
              {"to", day},
              {"character_id", {{"type", "integer"}, {"minimum", 1}}},
              {"topics", {{"oneOf", json::array({{{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}},
                                                  {{"type", "string"}, {"pattern", "^(auto|[0-9]{1,4}(,[0-9]{1,4})*)$"}}})}}},
              {"top_words", {{"type", "integer"}, {"minimum", 1}, {"maximum", 100}}},
              {"iterations", {{"type", "integer"}, {"minimum", 1}, {"maximum", 5000}}},
              {"seed", {{"type", "integer"}, {"minimum", 0}}},
              {"min_documents", {{"type", "integer"}, {"minimum", 1}}},
              {"max_document_fraction", {{"type", "number"}, {"exclusiveMinimum", 0}, {"maximum", 1}}},
              {"name_topics", Type("boolean")},
              {"provider", Type("string")}});
}

}  // namespace troupe::server::api::openapi_parts
