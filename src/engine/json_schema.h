// JSON Schema for constrained decoding: the grammar of the JSON texts a schema accepts, and the
// check that a value follows the schema.
//
// The subset: `type` (string, number, integer, boolean, null, object, array, or a list of them),
// `properties`, `required`, `additionalProperties` (false or absent: only the listed properties
// are generated; a schema with no `properties`: a map whose values follow it), `enum`, `const`,
// `minLength`/`maxLength` (in characters), `items`, `minItems`/`maxItems`, `anyOf`, and `$ref` to
// "#", "#/$defs/NAME" or "#/definitions/NAME" (recursion allowed). An empty schema (or `true`)
// is any JSON value. Annotations (title, description, default, examples, format, $schema, $id,
// $comment, ...) are ignored. Keywords that constrain values in ways the grammar cannot
// (pattern, minimum, maximum, multipleOf, uniqueItems, oneOf, allOf, not, if/then/else, ...)
// are refused with EngineError(kUnsupported) naming the keyword and where it is, so a generated
// text always both parses and validates; a malformed schema is EngineError(kInvalidInput).
//
// Generated JSON: the value with no whitespace before or after it, properties in the schema's order (optional ones may be left out), whitespace
// between tokens limited to a space or a newline and up to 20 spaces or tabs, integers of at most
// 16 digits, fractions of at most 16 digits and exponents of at most 2, and strings whose \u
// escapes are never lone surrogates, so the text always parses.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/grammar.h"

namespace troupe::engine {

Grammar JsonSchemaGrammar(const nlohmann::ordered_json& schema);
// The schema as JSON text; a parse error is EngineError(kInvalidInput) saying where.
Grammar JsonSchemaGrammar(std::string_view schema_json);

// Where `value` breaks `schema` ("$.items[2].name: expected a string"), or nothing when it
// follows it. Throws like JsonSchemaGrammar for a schema outside the subset.
std::optional<std::string> JsonSchemaViolation(const nlohmann::ordered_json& schema,
                                               const nlohmann::ordered_json& value);

}  // namespace troupe::engine
