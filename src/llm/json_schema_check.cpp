#include "llm/json_schema_check.h"

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/json_schema.h"

namespace troupe::llm {

Status CheckJsonSchema(std::string_view schema_json, std::string_view what) {
  try {
    (void)engine::JsonSchemaGrammar(schema_json);
    return Status::Ok();
  } catch (const engine::EngineError& error) {
    return InvalidArgument(std::string(what) + ": " + error.what(), std::string(what));
  }
}

Status CheckAgainstSchema(std::string_view schema_json, std::string_view value_json, std::string_view what) {
  const nlohmann::ordered_json schema = nlohmann::ordered_json::parse(schema_json, nullptr, false);
  if (schema.is_discarded()) return InvalidArgument(std::string(what) + ": the schema is not JSON", std::string(what));
  const nlohmann::ordered_json value = nlohmann::ordered_json::parse(value_json, nullptr, false);
  if (value.is_discarded()) return InvalidArgument(std::string(what) + ": not valid JSON", std::string(what));
  try {
    if (std::optional<std::string> violation = engine::JsonSchemaViolation(schema, value)) {
      return InvalidArgument(std::string(what) + ": " + *violation, std::string(what));
    }
    return Status::Ok();
  } catch (const engine::EngineError& error) {
    return InvalidArgument(std::string(what) + ": the schema: " + error.what(), std::string(what));
  }
}

}  // namespace troupe::llm
