// JSON Schema checks for what Troupe accepts from a model or sends to a backend (tool arguments, a
// structured answer), with the same subset the local engine constrains generation with
// (engine/json_schema.h), so what it generates is exactly what passes here. Pure and thread-safe.
#pragma once

#include <string_view>

#include "base/status.h"

namespace troupe::llm {

// Ok when `schema_json` is a JSON Schema within the subset; else kInvalidArgument naming `what`
// and the keyword or position at fault.
Status CheckJsonSchema(std::string_view schema_json, std::string_view what);

// Ok when `value_json` is JSON that follows the schema; else kInvalidArgument naming `what` and
// where the value breaks it ("arguments: $.customer_id: expected a string").
Status CheckAgainstSchema(std::string_view schema_json, std::string_view value_json, std::string_view what);

}  // namespace troupe::llm
