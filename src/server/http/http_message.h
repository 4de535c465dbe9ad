// The request a handler sees and the response it returns: plain values, no Beast types, so handler
// code compiles without Boost.Beast. Errors leave the server in one JSON shape:
//   {"error":{"code":"invalid_argument","message":"...","field":"name"}}   ("field" only when set).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/status.h"
#include "server/http/sse_stream.h"

namespace troupe::server {

// An error on its way to the client. Most come from a Status (code name and HTTP status from
// troupe::StatusCodeName / troupe::HttpStatusFor); a few HTTP-only conditions that have no
// StatusCode (405, 415, 501) are built directly.
struct HttpError {
  int http_status = 500;
  std::string code = "internal";
  std::string message;
  std::string field;

  static HttpError FromStatus(const Status& status);
  static HttpError MethodNotAllowed(std::string message);       // 405 "method_not_allowed"
  static HttpError UnsupportedMediaType(std::string message);   // 415 "unsupported_media_type"
  static HttpError NotImplemented(std::string message);         // 501 "not_implemented"
};

// A value or the HttpError that explains why there is none (the server-side cousin of
// troupe::Result, for helpers whose failures are not all expressible as a StatusCode).
template <typename T>
class [[nodiscard]] HttpResult {
 public:
  HttpResult(T value) : value_(std::move(value)) {}             // NOLINT: implicit by design
  HttpResult(HttpError error) : error_(std::move(error)) {}     // NOLINT: implicit by design
  HttpResult(const Status& status) : error_(HttpError::FromStatus(status)) {}  // NOLINT

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  const HttpError& error() const { return error_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  T* operator->() { return &*value_; }

 private:
  std::optional<T> value_;
  HttpError error_;
};

using HeaderField = std::pair<std::string, std::string>;

struct Request {
  std::string method;  // "GET", "POST", ... as sent
  std::string target;  // the raw request target, "/api/v1/characters/7?limit=3"
  std::string path;    // the target before '?', not decoded
  std::string query;   // the target after '?', not decoded
  std::vector<HeaderField> headers;  // as received, in order
  std::string body;
  std::string remote_address;  // "127.0.0.1:53412"

  // Filled by the router: the matched pattern ("/api/v1/characters/{id}") and its decoded
  // parameters. Metrics and logs use `route`, never the raw path.
  std::string route;
  std::map<std::string, std::string, std::less<>> path_params;

  // Set by whoever authenticates the request (the API key's id), for the access log and rate
  // limiting. Never the secret itself.
  std::string key_id;
  // A short id for this request ("r-1f3a9c04d2e87b15"), set by the server: in the access log and
  // in errors shown to end users in place of details, so an operator can find the details.
  std::string request_id;

  // The first header with this name (case-insensitive), or nullopt.
  std::optional<std::string_view> Header(std::string_view name) const;
  // A path parameter by name; empty when the route has none by that name (a programming error).
  std::string_view PathParam(std::string_view name) const;
  // The first query parameter with this name, percent-decoded ('+' is a space); nullopt if absent.
  std::optional<std::string> QueryParam(std::string_view name) const;
};

struct Response;

// A response a handler promises for later, for work that waits without holding a thread (a model
// answering): whoever ends the work calls Complete, once, from any thread, and the connection,
// which waited without holding an I/O thread either, writes it. Copies refer to the same promise.
class DeferredResponse {
 public:
  DeferredResponse();
  // The first call wins; later ones are ignored. Thread-safe.
  void Complete(Response response);
  // For the connection: runs `ready` once the response is there (at once if it already is), on the
  // thread that completes it; then Take returns it. Abandon drops `ready` (the connection went
  // away); once it returns, `ready` is not running and never will.
  void OnReady(std::function<void()> ready);
  void Abandon();
  std::optional<Response> Take();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

struct Response {
  int status = 200;
  std::string content_type;  // empty: no Content-Type header
  std::vector<HeaderField> headers;
  std::string body;
  // Set when the response is a Server-Sent Events stream; the body is then ignored and the
  // server writes the stream's events until it closes, the client leaves or shutdown cancels it.
  std::optional<SseStream> event_stream;
  // Set when the handler answers later (Response::Later); everything else is then ignored.
  std::shared_ptr<DeferredResponse> deferred;

  static Response Json(const nlohmann::json& value, int status = 200);
  static Response Text(std::string text, int status = 200,
                       std::string content_type = "text/plain; charset=utf-8");
  static Response Error(const HttpError& error);
  static Response Error(const Status& status);
  // A 200 text/event-stream response that streams `stream`.
  static Response EventStream(SseStream stream);
  // The response `pending` will be completed with.
  static Response Later(DeferredResponse pending);

  // Adds a header (e.g. Retry-After); returns *this for chaining.
  Response& WithHeader(std::string name, std::string value);
};

// The JSON error body for `error`, exposed for tests and for writers outside a Response.
std::string ErrorBody(const HttpError& error);

// Percent-decodes `text` ('+' becomes a space when `plus_is_space`). Invalid escapes are kept as
// they are.
std::string PercentDecode(std::string_view text, bool plus_is_space);

}  // namespace troupe::server
