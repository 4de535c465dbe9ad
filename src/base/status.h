// Expected failures as values. Every Troupe library (except the engine, which has none of Troupe)
// reports errors as a Status or Result<T>; exceptions from third-party libraries are caught at the
// adapter and never cross a module boundary. Each code maps one-to-one to an HTTP status and to a
// CLI exit code (see HttpStatusFor and ExitCodeFor).
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace troupe {

enum class StatusCode {
  kOk,
  kInvalidArgument,     // the caller's input is wrong: 400, exit 1
  kUnauthenticated,     // 401
  kPermissionDenied,    // 403
  kNotFound,            // 404, exit 1
  kConflict,            // already exists, or changed under the caller: 409, exit 1
  kFailedPrecondition,  // the system is not in a state to do this (e.g. a newer schema): 412, exit 2
  kPayloadTooLarge,     // 413
  kResourceExhausted,   // rate limited, queue full: 429
  kUnavailable,         // a dependency (database, network, model) cannot be reached: 503, exit 2
  kDeadlineExceeded,    // 504, exit 2
  kInternal,            // a bug or an unexpected failure: 500, exit 2
};

// Short stable name ("invalid_argument") used in JSON error bodies and logs.
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message, std::string field = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // The input field, config key or location the error is about; empty when it is about none.
  const std::string& field() const { return field_; }

  // "invalid_argument: store.url: unsupported scheme 'mysql'" — for logs and the CLI.
  std::string ToString() const;

  // Returns a copy whose message is prefixed with context ("opening database: ...").
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string field_;
};

inline Status InvalidArgument(std::string message, std::string field = {}) {
  return {StatusCode::kInvalidArgument, std::move(message), std::move(field)};
}
inline Status NotFound(std::string message) { return {StatusCode::kNotFound, std::move(message)}; }
inline Status Conflict(std::string message) { return {StatusCode::kConflict, std::move(message)}; }
inline Status FailedPrecondition(std::string message) {
  return {StatusCode::kFailedPrecondition, std::move(message)};
}
inline Status Unavailable(std::string message) { return {StatusCode::kUnavailable, std::move(message)}; }
inline Status Internal(std::string message) { return {StatusCode::kInternal, std::move(message)}; }

int HttpStatusFor(StatusCode code);

// What an error message quotes of outside input: at most `max_chars` bytes (cut on a UTF-8
// boundary, "..." added when cut), control characters shown as '?'. An error never echoes a whole
// value a client sent.
std::string Excerpt(std::string_view text, size_t max_chars = 40);
// 0 success, 1 user error (bad input, bad config, not found), 2 environment error.
int ExitCodeFor(StatusCode code);

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : state_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(state_).ok() && "a Result holding a Status must hold an error");
  }

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(state_);
  }

  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace troupe

// Propagates a failed Status from an expression returning Status.
#define TROUPE_RETURN_IF_ERROR(expr)              \
  do {                                            \
    ::troupe::Status troupe_status_ = (expr);     \
    if (!troupe_status_.ok()) return troupe_status_; \
  } while (false)

#define TROUPE_CONCAT_INNER(a, b) a##b
#define TROUPE_CONCAT(a, b) TROUPE_CONCAT_INNER(a, b)
// TROUPE_ASSIGN_OR_RETURN(auto x, MakeX()); — declares x from a Result or returns its Status.
#define TROUPE_ASSIGN_OR_RETURN(decl, expr) \
  TROUPE_ASSIGN_OR_RETURN_IMPL(TROUPE_CONCAT(troupe_result_, __LINE__), decl, expr)
#define TROUPE_ASSIGN_OR_RETURN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  decl = std::move(tmp).value()
