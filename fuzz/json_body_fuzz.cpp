// JSON request bodies: the content-type and depth checks, nlohmann's parser, and the typed field
// reader. The first byte picks the Content-Type; the rest is the body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/http/json_body.h"

namespace {

using troupe::server::JsonObjectReader;

void ReadCharacter(const nlohmann::json& value, const std::string& path, int depth) {
  JsonObjectReader reader(value, path);
  (void)reader.RequireString("name");
  (void)reader.OptionalString("description");
  (void)reader.OptionalInt("age", 0, 1000);
  (void)reader.OptionalNumber("temperature");
  (void)reader.OptionalBool("public");
  (void)reader.OptionalArray("tags");
  (void)reader.OptionalAny("extra");
  if (const nlohmann::json* nested = reader.OptionalObject("child"); nested && depth < 8) {
    ReadCharacter(*nested, reader.FieldPath("child"), depth + 1);
  }
  troupe::Status status = reader.Finish();
  if (!status.ok()) {
    // Errors always name a field (or are about the whole body) and are input errors.
    if (status.code() != troupe::StatusCode::kInvalidArgument) std::abort();
    if (status.message().empty()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr std::string_view kContentTypes[] = {
      "application/json", "application/json; charset=utf-8", "APPLICATION/JSON ;x=y",
      "text/plain", "application/jsonx"};
  std::optional<std::string_view> content_type;
  if (data[0] % 6 != 5) content_type = kContentTypes[data[0] % 6];
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

  auto parsed = troupe::server::ParseJsonBody(content_type, body);
  if (!parsed.ok()) {
    int status = parsed.error().http_status;
    if (status != 400 && status != 415) std::abort();
    return 0;
  }
  ReadCharacter(parsed.value(), "", 0);
  return 0;
}
