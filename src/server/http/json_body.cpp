#include "server/http/json_body.h"

#include <strings.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace troupe::server {
namespace {

bool IsJsonContentType(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
  constexpr std::string_view kJson = "application/json";
  return media.size() == kJson.size() && strncasecmp(media.data(), kJson.data(), kJson.size()) == 0;
}

// The byte offset where nesting first exceeds kMaxJsonDepth, or npos. Brackets inside strings
// do not count. The parser is not recursive, but whoever walks the value later may be.
size_t TooDeepAt(std::string_view body) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return i;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return std::string_view::npos;
}

std::string_view TypeName(const nlohmann::json& value) {
  if (value.is_number_integer() || value.is_number_unsigned()) return "integer";
  if (value.is_number()) return "number";
  return value.type_name();
}

}  // namespace

HttpResult<nlohmann::json> ParseJsonBody(const Request& request) {
  return ParseJsonBody(request.Header("Content-Type"), request.body);
}

HttpResult<nlohmann::json> ParseJsonBody(std::optional<std::string_view> content_type,
                                         std::string_view body) {
  if (!content_type) {
    return HttpError::UnsupportedMediaType("Content-Type must be application/json (none given)");
  }
  if (!IsJsonContentType(*content_type)) {
    return HttpError::UnsupportedMediaType("Content-Type must be application/json, not '" +
                                           Excerpt(*content_type, 100) + "'");
  }
  if (body.empty()) return InvalidArgument("request body is empty; expected JSON");
  if (size_t at = TooDeepAt(body); at != std::string_view::npos) {
    return InvalidArgument("JSON nested deeper than " + std::to_string(kMaxJsonDepth) +
                           " levels at byte " + std::to_string(at));
  }
  try {
    // Last-wins on a repeated key would let two readers of one body (a proxy and us, or two
    // fields' checks) disagree; the first repeat found is refused.
    std::vector<std::set<std::string>> keys_of_open_objects;
    std::optional<std::string> repeated;
    auto watch = [&](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
      using Event = nlohmann::json::parse_event_t;
      if (event == Event::object_start) keys_of_open_objects.emplace_back();
      if (event == Event::object_end && !keys_of_open_objects.empty()) keys_of_open_objects.pop_back();
      if (event == Event::key && !repeated && !keys_of_open_objects.empty() &&
          !keys_of_open_objects.back().insert(parsed.get<std::string>()).second) {
        repeated = parsed.get<std::string>();
      }
      return true;
    };
    nlohmann::json parsed = nlohmann::json::parse(body, watch);
    if (repeated) {
      return InvalidArgument("the key '" + Excerpt(*repeated, 64) + "' appears twice in one JSON object; send each key once",
                             Excerpt(*repeated, 64));
    }
    return parsed;
  } catch (const nlohmann::json::parse_error& error) {
    // nlohmann counts bytes from 1 and reports the byte after the offending one; we report the
    // zero-based offset of the byte where parsing failed.
    size_t offset = error.byte > 0 ? error.byte - 1 : 0;
    std::string what = error.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..." ->
    // keep the part after the location.
    size_t colon = what.find(": ");
    std::string detail = colon == std::string::npos ? what : what.substr(colon + 2);
    // The parser quotes the token it read last, which may be anything the client sent.
    return InvalidArgument("invalid JSON at byte " + std::to_string(offset) + ": " + Excerpt(detail, 160));
  } catch (const std::exception& error) {
    // "[json.exception.out_of_range.406] number overflow parsing '1000...'"
    return InvalidArgument("invalid JSON: " + Excerpt(error.what(), 160));
  }
}

JsonObjectReader::JsonObjectReader(const nlohmann::json& value, std::string path)
    : value_(value), path_(std::move(path)) {
  if (!value_.is_object()) {
    std::string where = path_.empty() ? "request body" : path_;
    error_ = InvalidArgument(where + " must be a JSON object, not " + std::string(TypeName(value_)),
                             path_);
  }
}

std::string JsonObjectReader::FieldPath(std::string_view name) const {
  return path_.empty() ? std::string(name) : path_ + "." + std::string(name);
}

void JsonObjectReader::Fail(std::string_view name, std::string_view message) {
  if (!error_.ok()) return;
  std::string field = FieldPath(name);
  error_ = InvalidArgument(field + ": " + std::string(message), field);
}

void JsonObjectReader::WrongType(std::string_view name, std::string_view expected,
                                 const nlohmann::json& got) {
  Fail(name, "must be " + std::string(expected) + ", not " + std::string(TypeName(got)));
}

const nlohmann::json* JsonObjectReader::Lookup(std::string_view name) {
  known_.emplace(name);
  if (!value_.is_object()) return nullptr;
  auto it = value_.find(name);
  if (it == value_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::string> JsonObjectReader::OptionalString(std::string_view name) {
  const nlohmann::json* value = Lookup(name);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) {
    WrongType(name, "a string", *value);
    return std::nullopt;
  }
  return value->get<std::string>();
}

std::string JsonObjectReader::RequireString(std::string_view name) {
  if (value_.is_object() && Lookup(name) == nullptr) {
    Fail(name, "is required");
    return {};
  }
  return OptionalString(name).value_or(std::string());
}

std::optional<int64_t> JsonObjectReader::OptionalInt(std::string_view name, int64_t min,
                                                     int64_t max) {
  const nlohmann::json* value = Lookup(name);
  if (value == nullptr) return std::nullopt;
  int64_t number = 0;
  if (value->is_number_integer() && !value->is_number_unsigned()) {
    number = value->get<int64_t>();
  } else if (value->is_number_unsigned()) {
    uint64_t unsigned_number = value->get<uint64_t>();
    if (unsigned_number > static_cast<uint64_t>(INT64_MAX)) {
      Fail(name, "is out of range");
      return std::nullopt;
    }
    number = static_cast<int64_t>(unsigned_number);
  } else {
    WrongType(name, "an integer", *value);
    return std::nullopt;
  }
  if (number < min || number > max) {
    Fail(name, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                   ", not " + std::to_string(number));
    return std::nullopt;
  }
  return number;
}

int64_t JsonObjectReader::RequireInt(std::string_view name, int64_t min, int64_t max) {
  if (value_.is_object() && Lookup(name) == nullptr) {
    Fail(name, "is required");
    return 0;
  }
  return OptionalInt(name, min, max).value_or(0);
}

std::optional<double> JsonObjectReader::OptionalNumber(std::string_view name) {
  const nlohmann::json* value = Lookup(name);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number()) {
    WrongType(name, "a number", *value);
    return std::nullopt;
  }
  return value->get<double>();
}

double JsonObjectReader::RequireNumber(std::string_view name) {
  if (value_.is_object() && Lookup(name) == nullptr) {
    Fail(name, "is required");
    return 0;
  }
  return OptionalNumber(name).value_or(0);
}

std::optional<bool> JsonObjectReader::OptionalBool(std::string_view name) {
  const nlohmann::json* value = Lookup(name);
  if (value == nullptr) return std::nullopt;
  if (!value->is_boolean()) {
    WrongType(name, "a boolean", *value);
    return std::nullopt;
  }
  return value->get<bool>();
}

bool JsonObjectReader::RequireBool(std::string_view name) {
  if (value_.is_object() && Lookup(name) == nullptr) {
    Fail(name, "is required");
    return false;
  }
  return OptionalBool(name).value_or(false);
}

const nlohmann::json* JsonObjectReader::OptionalObject(std::string_view name) {
  const nlohmann::json* value = Lookup(name);
  if (value != nullptr && !value->is_object()) {
    WrongType(name, "an object", *value);
    return nullptr;
  }
  return value;
}

const nlohmann::json* JsonObjectReader::OptionalArray(std::string_view name) {
  const nlohmann::json* value = Lookup(name);
  if (value != nullptr && !value->is_array()) {
    WrongType(name, "an array", *value);
    return nullptr;
  }
  return value;
}

const nlohmann::json* JsonObjectReader::OptionalAny(std::string_view name) { return Lookup(name); }

Status JsonObjectReader::Finish() {
  if (!error_.ok()) return error_;
  for (const auto& item : value_.items()) {
    if (known_.find(item.key()) == known_.end()) {
      std::string field = FieldPath(Excerpt(item.key(), 64));
      return InvalidArgument(field + ": unknown field", field);
    }
  }
  return Status::Ok();
}

}  // namespace troupe::server
