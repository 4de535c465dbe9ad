// Carries out tool calls on the operator's backend, with the checks a tool the model drives needs:
// the arguments are validated against the tool's schema before anything is sent; the URL, after
// the arguments are put in, must be http(s) on one of the tool's allowed hosts; the connection is
// refused when the address the name resolves to is loopback, private, link-local or otherwise not
// public, unless the tool allows it (checked on the address actually connected to, so a name that
// changes what it resolves to cannot slip through); redirects are never followed; proxies from the
// environment are not used; the answer is capped in size; idempotent calls are retried after a
// connection failure, a 429 or a 5xx, with backoff on the loop's timers. Every call yields an
// audit record (tool, arguments with secrets masked, status, latency, attempts).
//
// Threads: calls run on a llm::CurlLoop (no thread waits on a backend); `done` runs on its thread
// and must not block. Thread-safe.
#pragma once

#include <sys/socket.h>

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "chat/tools/http_tool.h"
#include "llm/curl_loop.h"

namespace troupe::chat::tools {

struct ToolAudit {
  std::string tool;
  std::string arguments_json;  // secrets masked
  std::string method;
  std::string url;             // as called ("" when refused before)
  int http_status = 0;         // 0: no answer
  std::string outcome;         // "ok", or the status code's name ("permission_denied", ...)
  std::string error;           // why not, when not ok
  double latency_ms = 0;
  int attempts = 0;

  nlohmann::json ToJson() const;
};

struct ToolResult {
  // Ok for a 2xx answer. kInvalidArgument: arguments that break the schema; kPermissionDenied: a
  // host or address the tool may not reach, or a redirect; kFailedPrecondition: a 4xx answer or a
  // secret that is not configured; kUnavailable: no connection or a 5xx after the retries;
  // kDeadlineExceeded: the tool's timeout; kPayloadTooLarge: an answer over the cap.
  Status status;
  int http_status = 0;
  std::string content_type;
  std::string body;
  ToolAudit audit;
};

struct ToolRunnerOptions {
  std::map<std::string, std::string> secrets;  // ${secret:NAME} in headers
  size_t max_response_bytes = 1 << 20;
  int64_t retry_backoff_ms = 200;  // doubled for each retry
};

// Who a call is made for, filled in where a tool's URL or headers say {caller.NAME}: the runtime
// gives "user_id" (the end user's external id) and "conversation_id". The model cannot set these,
// so a tool bound to {caller.user_id} only ever reaches the data of the user in the conversation.
using Caller = std::map<std::string, std::string>;

// The request a call would make: method, URL, headers (secrets filled in) and body.
struct PreparedRequest {
  std::string method;
  std::string url;
  std::string host;  // lowercased
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
};
Result<PreparedRequest> PrepareRequest(const HttpTool& tool, std::string_view arguments_json,
                                       const std::map<std::string, std::string>& secrets, const Caller& caller = {});

// Loopback, private (RFC 1918, unique-local), link-local, carrier-grade NAT, multicast, unspecified
// and the like: addresses a tool may reach only with allow_private.
bool IsPrivateAddress(const sockaddr* address);

// The arguments with the values of sensitive keys (credential names as base/redact.h sees them,
// pin, card_number, iban, ...) and of any configured secret replaced by "***", and personal data
// in other texts replaced as base/pii.h does.
std::string MaskArguments(std::string_view arguments_json, const std::map<std::string, std::string>& secrets);

class ToolRunner {
 public:
  // `loop` must outlive the runner and every call in flight.
  ToolRunner(llm::CurlLoop& loop, ToolRunnerOptions options);

  // `done` runs once: on the loop's thread, or at once on the caller's when the call is refused
  // before anything is sent (bad arguments, a host not allowed, a missing secret).
  void Run(const HttpTool& tool, std::string_view arguments_json, std::function<void(ToolResult)> done,
           const Caller& caller = {});
  // The blocking form, for callers that own their thread (tests, the CLI, jobs).
  ToolResult RunAndWait(const HttpTool& tool, std::string_view arguments_json);

  const ToolRunnerOptions& options() const { return options_; }

  struct Call;  // one call's state; public only for the libcurl callbacks in tool_runner.cpp

 private:
  void Attempt(const std::shared_ptr<Call>& call);
  void Ended(const std::shared_ptr<Call>& call, llm::CurlLoop::End end, int code);
  void Finish(const std::shared_ptr<Call>& call, Status status);

  llm::CurlLoop& loop_;
  ToolRunnerOptions options_;
};

}  // namespace troupe::chat::tools
