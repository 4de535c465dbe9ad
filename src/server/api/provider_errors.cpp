#include "server/api/provider_errors.h"

#include <spdlog/spdlog.h>

#include "base/redact.h"

namespace troupe::server::api {
namespace {

std::string PlainSentence(const Status& error) {
  switch (error.code()) {
    case StatusCode::kInvalidArgument:
      if (error.field() == "context_length") return "the conversation is too long for the character's language model";
      return "the character's language model could not take this request";
    case StatusCode::kResourceExhausted:
      return "the character's language model is busy; retry in a few seconds";
    case StatusCode::kDeadlineExceeded:
      return "the character's language model did not answer in time";
    case StatusCode::kUnauthenticated:
    case StatusCode::kPermissionDenied:
    case StatusCode::kNotFound:
    case StatusCode::kUnavailable:
      return "the character's language model is not available right now";
    default:
      return "the character's language model failed";
  }
}

}  // namespace

Status ForCaller(const Status& error, const ErrorAudience& audience) {
  const std::string detail = RedactSecrets(error.message());
  spdlog::warn("request {}: language model failed: {}: {}", audience.request_id, StatusCodeName(error.code()), detail);
  const std::string suffix = " (request " + audience.request_id + ")";
  // The provider refusing the caller's own schema or grammar: the detail is about the request, not
  // the provider, and the caller needs it to fix the request.
  const bool about_request = error.code() == StatusCode::kInvalidArgument &&
                             (error.field() == "response_format" || error.field().rfind("tools", 0) == 0);
  const std::string field = error.field() == "context_length" || about_request ? error.field() : std::string();
  const bool detailed = audience.operator_detail || about_request;
  return Status(error.code(), (detailed ? detail : PlainSentence(error)) + suffix, field);
}

}  // namespace troupe::server::api
