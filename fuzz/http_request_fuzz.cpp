// Raw bytes from a socket through the server's request parsing path: Beast's parser with the
// server's limits, then what a handler does with the result (routing, query and header lookup,
// JSON body and typed field reading). Every failure must be a well-formed JSON error, never a
// crash.
#include <cstddef>
#include <cstdint>
#include <cctype>
#include <cstdlib>
#include <string>
#include <strings.h>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/http/json_body.h"
#include "server/http/request_parser.h"
#include "server/http/router.h"

namespace {

using troupe::server::ErrorBody;
using troupe::server::HttpError;
using troupe::server::JsonObjectReader;
using troupe::server::Request;
using troupe::server::Response;
using troupe::server::Router;

void CheckError(const HttpError& error) {
  if (error.http_status < 400 || error.http_status > 599) std::abort();
  nlohmann::json body = nlohmann::json::parse(ErrorBody(error), nullptr, false);
  if (body.is_discarded() || !body["error"]["code"].is_string()) std::abort();
}

const Router& TestRouter() {
  static const Router* router = [] {
    auto* built = new Router();
    auto ok = [](Request&) { return Response::Text("ok"); };
    built->Add("GET", "/api/v1/characters", ok);
    built->Add("POST", "/api/v1/characters", ok);
    built->Add("GET", "/api/v1/characters/{id}", ok);
    built->Add("GET", "/api/v1/characters/search", ok);
    built->Add("POST", "/api/v1/conversations/{id}/messages", ok);
    return built;
  }();
  return *router;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  troupe::server::RequestLimits limits;
  limits.body_limit_bytes = 64 * 1024;
  limits.header_limit_bytes = 8 * 1024;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);

  auto parsed = troupe::server::ParseRequestBytes(bytes, limits);
  if (!parsed.ok()) {
    CheckError(parsed.error());
    return 0;
  }
  Request& request = parsed.value();
  if (static_cast<int64_t>(request.body.size()) > limits.body_limit_bytes) std::abort();
  // What is accepted has one reading: Transfer-Encoding only as a lone "chunked", never beside
  // Content-Length, and no second copy of a header that says who is asking.
  int transfer_encodings = 0, content_lengths = 0, authorizations = 0, users = 0;
  for (const auto& [name, value] : request.headers) {
    auto is = [&name](std::string_view wanted) {
      return name.size() == wanted.size() && strncasecmp(name.data(), wanted.data(), wanted.size()) == 0;
    };
    if (is("transfer-encoding")) {
      ++transfer_encodings;
      std::string coding;  // the list without separators and empty elements
      for (char c : value) {
        if (c != ',' && c != ' ' && c != '\t') coding += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      if (coding != "chunked") std::abort();
    }
    content_lengths += is("content-length") ? 1 : 0;
    authorizations += is("authorization") ? 1 : 0;
    users += is("x-troupe-user") ? 1 : 0;
  }
  if ((transfer_encodings > 0 && content_lengths > 0) || content_lengths > 1 || authorizations > 1 || users > 1) {
    std::abort();
  }

  Router::Match match = TestRouter().Find(request.method, request.path);
  if (match.kind == Router::Match::Kind::kFound && match.route_template.empty()) std::abort();
  (void)request.QueryParam("limit");
  (void)request.Header("Content-Type");

  auto json = troupe::server::ParseJsonBody(request);
  if (!json.ok()) {
    CheckError(json.error());
    return 0;
  }
  JsonObjectReader reader(json.value());
  (void)reader.OptionalString("name");
  (void)reader.OptionalInt("limit", 1, 100);
  (void)reader.OptionalNumber("temperature");
  (void)reader.OptionalBool("stream");
  if (const nlohmann::json* nested = reader.OptionalObject("sampling")) {
    JsonObjectReader inner(*nested, reader.FieldPath("sampling"));
    (void)inner.OptionalNumber("top_p");
    (void)inner.Finish();
  }
  troupe::Status status = reader.Finish();
  if (!status.ok()) CheckError(HttpError::FromStatus(status));
  return 0;
}
