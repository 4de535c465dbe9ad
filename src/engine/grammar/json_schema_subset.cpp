#include "engine/grammar/json_schema_subset.h"

#include <algorithm>
#include <array>

#include "engine/error.h"

namespace troupe::engine::grammar {
namespace {

using namespace std::string_view_literals;

constexpr std::array kSupported = {"type"sv,  "properties"sv, "required"sv, "additionalProperties"sv, "enum"sv,
                                   "const"sv, "minLength"sv,  "maxLength"sv, "items"sv, "minItems"sv, "maxItems"sv,
                                   "anyOf"sv, "$ref"sv,       "$defs"sv,     "definitions"sv};
constexpr std::array kAnnotations = {"title"sv,    "description"sv, "default"sv,    "examples"sv,
                                     "format"sv,   "$schema"sv,     "$id"sv,        "$comment"sv,
                                     "deprecated"sv, "readOnly"sv,  "writeOnly"sv,  "contentMediaType"sv,
                                     "contentEncoding"sv};
constexpr std::array kTypes = {"string"sv, "number"sv, "integer"sv, "boolean"sv, "null"sv, "object"sv, "array"sv};

template <size_t N>
bool Contains(const std::array<std::string_view, N>& list, std::string_view key) {
  return std::find(list.begin(), list.end(), key) != list.end();
}

}  // namespace

std::string PointerStep(std::string_view key) {
  std::string out = "/";
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

void CheckSchema(const Json& schema, const std::string& where) {
  if (schema.is_boolean()) {
    if (!schema.get<bool>()) ThrowUnsupported("JSON schema " + where + ": false (nothing matches) is not supported");
    return;
  }
  if (!schema.is_object()) ThrowInvalid("JSON schema " + where + ": a schema must be an object or a boolean");
  for (const auto& [key, value] : schema.items()) {
    if (Contains(kAnnotations, key)) continue;
    if (!Contains(kSupported, key)) {
      ThrowUnsupported("JSON schema " + where + ": keyword '" + key + "' is not supported");
    }
  }
  // anyOf and $ref stand alone: the grammar takes one branch or the target as the whole schema.
  for (std::string_view alone : {"anyOf"sv, "$ref"sv}) {
    if (!schema.contains(std::string(alone))) continue;
    for (const auto& [key, value] : schema.items()) {
      if (key != alone && !Contains(kAnnotations, key) && key != "$defs" && key != "definitions") {
        ThrowUnsupported("JSON schema " + where + ": '" + key + "' beside '" + std::string(alone) + "' is not supported");
      }
    }
  }
  if (schema.contains("properties") && !schema["properties"].is_object()) {
    ThrowInvalid("JSON schema " + where + "/properties: must be an object");
  }
  if (schema.contains("required")) {
    const Json& required = schema["required"];
    if (!required.is_array() || !std::all_of(required.begin(), required.end(), [](const Json& n) { return n.is_string(); })) {
      ThrowInvalid("JSON schema " + where + "/required: must be an array of strings");
    }
  }
  if (schema.contains("enum") && !schema["enum"].is_array()) ThrowInvalid("JSON schema " + where + "/enum: must be an array");
  if (schema.contains("enum") && schema["enum"].empty()) ThrowUnsupported("JSON schema " + where + "/enum: an empty enum matches nothing");
  if (schema.contains("anyOf") && (!schema["anyOf"].is_array() || schema["anyOf"].empty())) {
    ThrowInvalid("JSON schema " + where + "/anyOf: must be a non-empty array");
  }
  if (schema.contains("$ref") && !schema["$ref"].is_string()) ThrowInvalid("JSON schema " + where + "/$ref: must be a string");
  if (schema.contains("items") && schema["items"].is_array()) {
    ThrowUnsupported("JSON schema " + where + "/items: a list of item schemas (tuples) is not supported");
  }
  for (std::string_view keyword : {"minLength", "maxLength", "minItems", "maxItems"}) CountKeyword(schema, keyword, 0, where);
  SchemaTypes(schema, where);
}

const Json& ResolveRef(const Json& root, const std::string& ref, const std::string& where) {
  if (ref == "#") return root;
  for (std::string_view prefix : {"#/$defs/", "#/definitions/"}) {
    if (ref.rfind(prefix, 0) != 0) continue;
    const std::string container(prefix.substr(2, prefix.size() - 3));
    const std::string name = ref.substr(prefix.size());
    if (root.is_object() && root.contains(container) && root[container].is_object() && root[container].contains(name)) {
      return root[container][name];
    }
    ThrowInvalid("JSON schema " + where + "/$ref: '" + ref + "' does not resolve");
  }
  ThrowUnsupported("JSON schema " + where + "/$ref: only '#', '#/$defs/NAME' and '#/definitions/NAME' are supported, not '" + ref + "'");
}

std::vector<std::string> SchemaTypes(const Json& schema, const std::string& where) {
  if (!schema.is_object() || !schema.contains("type")) return {};
  const Json& type = schema["type"];
  std::vector<std::string> types;
  if (type.is_string()) {
    types.push_back(type.get<std::string>());
  } else if (type.is_array() && !type.empty()) {
    for (const Json& item : type) {
      if (!item.is_string()) ThrowInvalid("JSON schema " + where + "/type: must be a string or an array of strings");
      types.push_back(item.get<std::string>());
    }
  } else {
    ThrowInvalid("JSON schema " + where + "/type: must be a string or a non-empty array of strings");
  }
  for (const std::string& name : types) {
    if (!Contains(kTypes, name)) ThrowInvalid("JSON schema " + where + "/type: unknown type '" + name + "'");
  }
  return types;
}

int64_t CountKeyword(const Json& schema, std::string_view keyword, int64_t fallback, const std::string& where) {
  const std::string key(keyword);
  if (!schema.is_object() || !schema.contains(key)) return fallback;
  const Json& value = schema[key];
  if (!value.is_number_integer() || value.get<int64_t>() < 0) {
    ThrowInvalid("JSON schema " + where + "/" + key + ": must be a non-negative integer");
  }
  return value.get<int64_t>();
}

}  // namespace troupe::engine::grammar
