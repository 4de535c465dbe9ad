// Reading JSON request bodies: the content-type and syntax checks every JSON endpoint needs, and a
// typed reader for objects that names the offending field and rejects fields it does not know.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "server/http/http_message.h"

namespace troupe::server {

// Objects and arrays nested deeper than this are rejected before parsing.
inline constexpr int kMaxJsonDepth = 64;

// Parses a request body as JSON.
//   415 unsupported_media_type when Content-Type is missing or not application/json (parameters
//       such as "; charset=utf-8" are allowed);
//   400 invalid_argument when the body is empty, nested deeper than kMaxJsonDepth, or not JSON;
//       the message names the byte offset ("invalid JSON at byte 17: ...").
HttpResult<nlohmann::json> ParseJsonBody(const Request& request);
// The same checks on a content type and a body, for callers without a Request (the fuzz target).
HttpResult<nlohmann::json> ParseJsonBody(std::optional<std::string_view> content_type,
                                         std::string_view body);

// Reads the fields of one JSON object with type checks. Errors are collected; the first one wins
// and Finish() returns it. Every error is kInvalidArgument with the field's path ("name",
// "sampling.temperature") in Status::field() and in the message.
//
//   JsonObjectReader reader(body);
//   std::string name = reader.RequireString("name");
//   std::optional<int64_t> limit = reader.OptionalInt("limit", 1, 100);
//   TROUPE_RETURN_IF_ERROR(reader.Finish());  // also rejects fields nobody asked for
//
// Values returned after an error are defaults and must not be used.
class JsonObjectReader {
 public:
  // `value` must outlive the reader. `path` prefixes field names in errors (for nested objects).
  explicit JsonObjectReader(const nlohmann::json& value, std::string path = {});

  std::string RequireString(std::string_view name);
  std::optional<std::string> OptionalString(std::string_view name);
  int64_t RequireInt(std::string_view name, int64_t min = INT64_MIN, int64_t max = INT64_MAX);
  std::optional<int64_t> OptionalInt(std::string_view name, int64_t min = INT64_MIN,
                                     int64_t max = INT64_MAX);
  double RequireNumber(std::string_view name);
  std::optional<double> OptionalNumber(std::string_view name);
  bool RequireBool(std::string_view name);
  std::optional<bool> OptionalBool(std::string_view name);
  // Objects and arrays are returned as JSON for the caller to read further (a nested object with
  // its own JsonObjectReader, passing FieldPath(name) as its path).
  const nlohmann::json* OptionalObject(std::string_view name);
  const nlohmann::json* OptionalArray(std::string_view name);
  // Accepts any value for `name` (the caller checks it).
  const nlohmann::json* OptionalAny(std::string_view name);

  // Records a caller-side validation error against `name` (keeps the first error).
  void Fail(std::string_view name, std::string_view message);
  // "prefix.name", or "name" without a prefix.
  std::string FieldPath(std::string_view name) const;

  bool ok() const { return error_.ok(); }
  // The first error, or the first field that no Require/Optional call asked for.
  Status Finish();

 private:
  // The value for `name`, or nullptr when absent or null (null counts as absent). Marks the field
  // as known.
  const nlohmann::json* Lookup(std::string_view name);
  void WrongType(std::string_view name, std::string_view expected, const nlohmann::json& got);

  const nlohmann::json& value_;
  std::string path_;
  std::set<std::string, std::less<>> known_;
  Status error_;
};

}  // namespace troupe::server
