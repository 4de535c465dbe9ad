// Strict reading of one JSON object from outside (a card's `data`, a lorebook, an entry): a
// present field of the wrong type is an error naming its full path ("data.alternate_greetings[2]:
// expected a string, got number"); null counts as absent, because many exporters write null for
// empty fields. Internal to src/chat (cards and lorebooks); nlohmann stays out of public headers.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace troupe::chat::card_json {

using nlohmann::json;

// "prefix.name", or "name" when the prefix is empty.
inline std::string JoinPath(std::string_view prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : std::string(prefix) + "." + std::string(name);
}

inline std::string IndexPath(std::string_view prefix, size_t index) {
  return std::string(prefix) + "[" + std::to_string(index) + "]";
}

inline Status WrongType(const std::string& path, std::string_view expected, const json& value) {
  return Status(StatusCode::kInvalidArgument,
                path + ": expected " + std::string(expected) + ", got " + value.type_name(), path);
}

inline Status Invalid(const std::string& path, std::string_view message) {
  return Status(StatusCode::kInvalidArgument, path + ": " + std::string(message), path);
}

// The byte offset where objects and arrays nest deeper than `limit`, or npos. Checked before
// parsing: nlohmann's dump and comparisons recurse, so a hostile document could exhaust the stack.
inline size_t ExcessiveNesting(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > limit) return i;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return std::string_view::npos;
}

// Nesting allowed in cards and lorebooks: far beyond any real card, far below a stack's limit.
inline constexpr int kMaxCardJsonDepth = 64;

class FieldReader {
 public:
  // `object` must be a JSON object and outlive the reader; `path` prefixes its field names.
  FieldReader(const json& object, std::string path) : object_(object), path_(std::move(path)) {}

  const json* Find(std::string_view name) const {
    auto it = object_.find(name);
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  bool Has(std::string_view name) const { return Find(name) != nullptr; }
  std::string Path(std::string_view name) const { return JoinPath(path_, name); }

  Status Required(std::string_view name) const {
    return Has(name) ? Status::Ok() : Invalid(Path(name), "is required");
  }

  Status String(std::string_view name, std::string& field) const {
    const json* value = Find(name);
    if (value == nullptr) return Status::Ok();
    if (!value->is_string()) return WrongType(Path(name), "a string", *value);
    field = value->get<std::string>();
    return Status::Ok();
  }

  Status Strings(std::string_view name, std::vector<std::string>& field) const {
    const json* value = Find(name);
    if (value == nullptr) return Status::Ok();
    if (!value->is_array()) return WrongType(Path(name), "an array of strings", *value);
    std::vector<std::string> items;
    items.reserve(value->size());
    for (size_t i = 0; i < value->size(); ++i) {
      const json& item = (*value)[i];
      if (!item.is_string()) return WrongType(IndexPath(Path(name), i), "a string", item);
      items.push_back(item.get<std::string>());
    }
    field = std::move(items);
    return Status::Ok();
  }

  Status Bool(std::string_view name, bool& field) const {
    const json* value = Find(name);
    if (value == nullptr) return Status::Ok();
    if (!value->is_boolean()) return WrongType(Path(name), "true or false", *value);
    field = value->get<bool>();
    return Status::Ok();
  }

  // Any JSON number, truncated towards zero and clamped to int64's range (cards write 100.0).
  Status Integer(std::string_view name, int64_t& field) const {
    const json* value = Find(name);
    if (value == nullptr) return Status::Ok();
    if (!value->is_number()) return WrongType(Path(name), "a number", *value);
    field = ToInteger(*value);
    return Status::Ok();
  }

  // A number or a string (lorebook entry ids are either), kept as text.
  Status Identifier(std::string_view name, std::string& field) const {
    const json* value = Find(name);
    if (value == nullptr) return Status::Ok();
    if (value->is_string()) {
      field = value->get<std::string>();
    } else if (value->is_number()) {
      field = value->dump();
    } else {
      return WrongType(Path(name), "a number or a string", *value);
    }
    return Status::Ok();
  }

  // An object or array kept as JSON text; "" when absent.
  Status ObjectText(std::string_view name, std::string& field) const { return JsonText(name, field, true); }
  Status ArrayText(std::string_view name, std::string& field) const { return JsonText(name, field, false); }

  Status Object(std::string_view name) const {
    const json* value = Find(name);
    if (value != nullptr && !value->is_object()) return WrongType(Path(name), "an object", *value);
    return Status::Ok();
  }

  static int64_t ToInteger(const json& number) {
    if (number.is_number_integer()) {
      if (number.is_number_unsigned()) {
        const uint64_t value = number.get<uint64_t>();
        return value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                   ? std::numeric_limits<int64_t>::max()
                   : static_cast<int64_t>(value);
      }
      return number.get<int64_t>();
    }
    const double value = std::trunc(number.get<double>());
    if (!(value > -9.2e18)) return std::numeric_limits<int64_t>::min();
    if (!(value < 9.2e18)) return std::numeric_limits<int64_t>::max();
    return static_cast<int64_t>(value);
  }

 private:
  Status JsonText(std::string_view name, std::string& field, bool object) const {
    const json* value = Find(name);
    if (value == nullptr) return Status::Ok();
    if (object ? !value->is_object() : !value->is_array()) {
      return WrongType(Path(name), object ? "an object" : "an array", *value);
    }
    field = value->dump();
    return Status::Ok();
  }

  const json& object_;
  std::string path_;
};

}  // namespace troupe::chat::card_json
