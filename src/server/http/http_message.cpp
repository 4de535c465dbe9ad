#include "server/http/http_message.h"

#include <utility>

#include <nlohmann/json.hpp>

#include <strings.h>

namespace troupe::server {

HttpError HttpError::FromStatus(const Status& status) {
  StatusCode code = status.ok() ? StatusCode::kInternal : status.code();
  std::string message = status.ok() ? "an OK status was reported as an error" : status.message();
  return HttpError{HttpStatusFor(code), std::string(StatusCodeName(code)), std::move(message),
                   status.field()};
}

HttpError HttpError::MethodNotAllowed(std::string message) {
  return HttpError{405, "method_not_allowed", std::move(message), {}};
}

HttpError HttpError::UnsupportedMediaType(std::string message) {
  return HttpError{415, "unsupported_media_type", std::move(message), "Content-Type"};
}

HttpError HttpError::NotImplemented(std::string message) {
  return HttpError{501, "not_implemented", std::move(message), "Transfer-Encoding"};
}

std::optional<std::string_view> Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) {
      return std::string_view(value);
    }
  }
  return std::nullopt;
}

std::string_view Request::PathParam(std::string_view name) const {
  auto it = path_params.find(name);
  return it == path_params.end() ? std::string_view() : std::string_view(it->second);
}

std::optional<std::string> Request::QueryParam(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string key = PercentDecode(pair.substr(0, eq), true);
    if (key == name) {
      return eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1), true);
    }
  }
  return std::nullopt;
}

Response Response::Json(const nlohmann::json& value, int status) {
  Response response;
  response.status = status;
  response.content_type = "application/json";
  // Replace invalid UTF-8 rather than throw: a handler's stray byte must not become a 500.
  response.body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

Response Response::Text(std::string text, int status, std::string content_type) {
  Response response;
  response.status = status;
  response.content_type = std::move(content_type);
  response.body = std::move(text);
  return response;
}

Response Response::Error(const HttpError& error) {
  Response response;
  response.status = error.http_status;
  response.content_type = "application/json";
  response.body = ErrorBody(error);
  return response;
}

Response Response::Error(const Status& status) { return Error(HttpError::FromStatus(status)); }

Response Response::EventStream(SseStream stream) {
  Response response;
  response.content_type = "text/event-stream";
  response.event_stream = std::move(stream);
  return response;
}

Response Response::Later(DeferredResponse pending) {
  Response response;
  response.deferred = std::make_shared<DeferredResponse>(std::move(pending));
  return response;
}

struct DeferredResponse::State {
  std::mutex mutex;
  std::optional<Response> response;  // guarded by mutex
  bool completed = false;            // guarded by mutex
  std::function<void()> ready;       // guarded by mutex
};

DeferredResponse::DeferredResponse() : state_(std::make_shared<State>()) {}

void DeferredResponse::Complete(Response response) {
  std::lock_guard lock(state_->mutex);
  if (state_->completed) return;
  state_->completed = true;
  state_->response = std::move(response);
  // Under the lock, so Abandon cannot return while it runs; it only posts to the connection.
  if (state_->ready) std::exchange(state_->ready, nullptr)();
}

void DeferredResponse::Abandon() {
  std::function<void()> dropped;
  std::lock_guard lock(state_->mutex);
  dropped = std::move(state_->ready);
  state_->ready = nullptr;
}

void DeferredResponse::OnReady(std::function<void()> ready) {
  {
    std::lock_guard lock(state_->mutex);
    if (!state_->completed) {
      state_->ready = std::move(ready);
      return;
    }
  }
  ready();
}

std::optional<Response> DeferredResponse::Take() {
  std::lock_guard lock(state_->mutex);
  std::optional<Response> response = std::move(state_->response);
  state_->response.reset();
  return response;
}

Response& Response::WithHeader(std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

std::string ErrorBody(const HttpError& error) {
  nlohmann::json inner = {{"code", error.code}, {"message", error.message}};
  if (!error.field.empty()) inner["field"] = error.field;
  return nlohmann::json{{"error", std::move(inner)}}.dump(-1, ' ', false,
                                                          nlohmann::json::error_handler_t::replace);
}

std::string PercentDecode(std::string_view text, bool plus_is_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int high = hex(text[i + 1]);
      int low = hex(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

}  // namespace troupe::server
