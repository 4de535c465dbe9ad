// JsonSchemaViolation: a value checked against a schema of the subset in engine/json_schema.h.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "engine/grammar/json_schema_subset.h"
#include "engine/json_schema.h"
#include "engine/tokenizer/utf8.h"

namespace troupe::engine {
namespace {

using grammar::Json;
using Violation = std::optional<std::string>;

constexpr int kMaxRefDepth = 256;  // a recursive schema over a deep value

bool HasType(const Json& value, const std::string& type) {
  if (type == "string") return value.is_string();
  if (type == "boolean") return value.is_boolean();
  if (type == "null") return value.is_null();
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "number") return value.is_number();
  // integer: JSON Schema counts 2.0 as an integer
  if (value.is_number_integer()) return true;
  if (!value.is_number_float()) return false;
  const double number = value.get<double>();
  return std::isfinite(number) && std::floor(number) == number;
}

class Checker {
 public:
  explicit Checker(const Json& root) : root_(root) {}

  Violation Check(const Json& schema, const std::string& where, const Json& value, const std::string& path, int depth) {
    grammar::CheckSchema(schema, where);
    if (schema.is_boolean()) return std::nullopt;
    if (schema.contains("$ref")) {
      if (depth > kMaxRefDepth) return path + ": nested too deeply";
      const std::string ref = schema["$ref"].get<std::string>();
      return Check(grammar::ResolveRef(root_, ref, where), ref, value, path, depth + 1);
    }
    if (schema.contains("const") && value != schema["const"]) return path + ": expected " + schema["const"].dump();
    if (schema.contains("enum")) {
      const Json& options = schema["enum"];
      if (std::find(options.begin(), options.end(), value) == options.end()) return path + ": not one of " + options.dump();
    }
    if (schema.contains("anyOf")) {
      const Json& options = schema["anyOf"];
      Violation first;
      for (size_t i = 0; i < options.size(); ++i) {
        Violation broken = Check(options[i], where + "/anyOf/" + std::to_string(i), value, path, depth);
        if (!broken) return std::nullopt;
        if (!first) first = broken;
      }
      return path + ": matches none of anyOf (first: " + *first + ")";
    }
    const std::vector<std::string> types = grammar::SchemaTypes(schema, where);
    if (!types.empty() && std::none_of(types.begin(), types.end(), [&](const std::string& t) { return HasType(value, t); })) {
      const std::string& only = types.front();
      const std::string article = only.find_first_of("aeiou") == 0 ? "an " : "a ";
      return path + ": expected " + (types.size() == 1 ? article + only : "one of the types " + schema["type"].dump());
    }
    if (value.is_string()) return CheckString(schema, where, value, path);
    if (value.is_array()) return CheckArray(schema, where, value, path, depth);
    if (value.is_object()) return CheckObject(schema, where, value, path, depth);
    return std::nullopt;
  }

 private:
  static Violation CheckString(const Json& schema, const std::string& where, const Json& value, const std::string& path) {
    const auto length = static_cast<int64_t>(tokenization::DecodeUtf8Lenient(value.get<std::string>()).size());
    if (length < grammar::CountKeyword(schema, "minLength", 0, where)) return path + ": shorter than minLength";
    const int64_t max = grammar::CountKeyword(schema, "maxLength", -1, where);
    if (max >= 0 && length > max) return path + ": longer than maxLength";
    return std::nullopt;
  }

  Violation CheckArray(const Json& schema, const std::string& where, const Json& value, const std::string& path, int depth) {
    const auto size = static_cast<int64_t>(value.size());
    if (size < grammar::CountKeyword(schema, "minItems", 0, where)) return path + ": fewer items than minItems";
    const int64_t max = grammar::CountKeyword(schema, "maxItems", -1, where);
    if (max >= 0 && size > max) return path + ": more items than maxItems";
    if (!schema.contains("items")) return std::nullopt;
    for (size_t i = 0; i < value.size(); ++i) {
      if (Violation broken = Check(schema["items"], where + "/items", value[i], path + "[" + std::to_string(i) + "]", depth)) {
        return broken;
      }
    }
    return std::nullopt;
  }

  Violation CheckObject(const Json& schema, const std::string& where, const Json& value, const std::string& path, int depth) {
    if (schema.contains("required")) {
      for (const Json& key : schema["required"]) {
        if (!value.contains(key.get<std::string>())) return path + ": missing required property '" + key.get<std::string>() + "'";
      }
    }
    const Json no_properties = Json::object();
    const Json& properties = schema.contains("properties") ? schema["properties"] : no_properties;
    for (const auto& [key, member] : value.items()) {
      const std::string member_path = path + "." + key;
      if (properties.contains(key)) {
        if (Violation broken = Check(properties[key], where + "/properties" + grammar::PointerStep(key), member, member_path, depth)) {
          return broken;
        }
      } else if (schema.contains("additionalProperties")) {
        const Json& extra = schema["additionalProperties"];
        if (extra.is_boolean() && !extra.get<bool>()) return path + ": property '" + key + "' is not allowed";
        if (Violation broken = Check(extra, where + "/additionalProperties", member, member_path, depth)) return broken;
      }
    }
    return std::nullopt;
  }

  const Json& root_;
};

}  // namespace

std::optional<std::string> JsonSchemaViolation(const nlohmann::ordered_json& schema, const nlohmann::ordered_json& value) {
  return Checker(schema).Check(schema, "#", value, "$", 0);
}

std::optional<std::string> grammar::FindViolation(const Json& root, const Json& schema, const std::string& where,
                                                  const Json& value) {
  return Checker(root).Check(schema, where, value, "$", 0);
}

}  // namespace troupe::engine
