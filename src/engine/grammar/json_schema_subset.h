// What the grammar compiler and the validator of engine/json_schema.h agree on: which keywords a
// schema may use, how a `$ref` resolves, and which types a schema allows.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace troupe::engine::grammar {

using Json = nlohmann::ordered_json;

// Throws EngineError(kInvalidInput) for a schema that is not an object or boolean, or a keyword
// of the wrong kind; kUnsupported for a keyword outside the subset. `where` is a JSON pointer
// into the root schema ("#/properties/name").
void CheckSchema(const Json& schema, const std::string& where);

// The schema `ref` points to within `root`; throws naming `where` when it does not resolve.
const Json& ResolveRef(const Json& root, const std::string& ref, const std::string& where);

// The types a schema names ("string", "integer", ...); empty when it names none.
std::vector<std::string> SchemaTypes(const Json& schema, const std::string& where);

// A non-negative integer keyword (minLength, maxItems, ...), or `fallback` when absent.
int64_t CountKeyword(const Json& schema, std::string_view keyword, int64_t fallback, const std::string& where);

// Where `value` breaks `schema` (found at `where` within `root`), or nothing (json_schema_check.cpp).
std::optional<std::string> FindViolation(const Json& root, const Json& schema, const std::string& where, const Json& value);

// A JSON pointer step for `key` ("~" and "/" escaped).
std::string PointerStep(std::string_view key);

}  // namespace troupe::engine::grammar
