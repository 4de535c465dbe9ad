#include "chat/tools/tool_runner.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <nlohmann/json.hpp>

namespace troupe::chat::tools {

struct ToolRunner::Call {
  HttpTool tool;
  PreparedRequest request;
  std::function<void(ToolResult)> done;
  ToolResult result;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> easy{nullptr, &curl_easy_cleanup};
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers{nullptr, &curl_slist_free_all};
  std::string refused;  // why the connection was refused, set by the socket callback
  bool too_large = false;
  size_t max_bytes = 0;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

namespace {

size_t TakeBody(char* data, size_t size, size_t count, void* user) {
  auto* call = static_cast<ToolRunner::Call*>(user);
  const size_t bytes = size * count;
  if (call->result.body.size() + bytes > call->max_bytes) {
    call->too_large = true;
    return 0;  // ends the transfer
  }
  call->result.body.append(data, bytes);
  return bytes;
}

// Every connection the transfer opens passes here: the address it is about to connect to is the
// one checked, whatever the name resolved to before.
curl_socket_t OpenSocket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* call = static_cast<ToolRunner::Call*>(user);
  if (purpose == CURLSOCKTYPE_IPCXN && !call->tool.allow_private && IsPrivateAddress(&address->addr)) {
    char text[INET6_ADDRSTRLEN] = "?";
    const void* ip = address->family == AF_INET6
                         ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(&address->addr)->sin6_addr)
                         : static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(&address->addr)->sin_addr);
    inet_ntop(address->family, ip, text, sizeof text);
    call->refused = call->tool.name + ": '" + call->request.host + "' is at " + text +
                    ", a private or local address the tool may not reach (http.allow_private)";
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype, address->protocol);
}

std::string ContentTypeOf(CURL* easy) {
  char* type = nullptr;
  curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &type);
  return type != nullptr ? type : "";
}

}  // namespace

nlohmann::json ToolAudit::ToJson() const {
  return {{"tool", tool},       {"arguments", nlohmann::json::parse(arguments_json, nullptr, false)},
          {"method", method},   {"url", url},
          {"http_status", http_status}, {"outcome", outcome},
          {"error", error},     {"latency_ms", latency_ms},
          {"attempts", attempts}};
}

ToolRunner::ToolRunner(llm::CurlLoop& loop, ToolRunnerOptions options) : loop_(loop), options_(std::move(options)) {}

void ToolRunner::Run(const HttpTool& tool, std::string_view arguments_json, std::function<void(ToolResult)> done,
                     const Caller& caller) {
  auto call = std::make_shared<Call>();
  call->tool = tool;
  call->done = std::move(done);
  call->max_bytes = options_.max_response_bytes;
  call->result.audit.tool = tool.name;
  call->result.audit.method = tool.method;
  call->result.audit.arguments_json = MaskArguments(arguments_json, options_.secrets);
  Result<PreparedRequest> request = PrepareRequest(tool, arguments_json, options_.secrets, caller);
  if (!request.ok()) return Finish(call, request.status());
  call->request = std::move(request).value();
  call->result.audit.url = call->request.url;
  for (const std::string& header : call->request.headers) {
    call->headers.reset(curl_slist_append(call->headers.release(), header.c_str()));
  }
  Attempt(call);
}

void ToolRunner::Attempt(const std::shared_ptr<Call>& call) {
  ++call->result.audit.attempts;
  call->result.body.clear();
  call->refused.clear();
  call->easy.reset(curl_easy_init());
  CURL* easy = call->easy.get();
  if (easy == nullptr) return Finish(call, Internal("libcurl cannot start a transfer"));
  curl_easy_setopt(easy, CURLOPT_URL, call->request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, call->request.method.c_str());
  if (call->tool.sends_body()) {
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, call->request.body.c_str());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call->request.body.size()));
  }
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, call->headers.get());
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");  // a proxy would be the address checked, not the backend
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(call->tool.timeout_ms));
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &TakeBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, call.get());
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &OpenSocket);
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, call.get());
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "troupe-tools");
  const llm::CurlLoop::Id id =
      loop_.Add(easy, [this, call](llm::CurlLoop::End end, CURLcode code) { Ended(call, end, static_cast<int>(code)); });
  if (id == 0) Finish(call, Unavailable(call->tool.name + ": the server is shutting down"));
}

void ToolRunner::Ended(const std::shared_ptr<Call>& call, llm::CurlLoop::End end, int code_value) {
  const auto code = static_cast<CURLcode>(code_value);
  const std::string& name = call->tool.name;
  if (end != llm::CurlLoop::End::kFinished) return Finish(call, Unavailable(name + ": the call was stopped"));
  if (!call->refused.empty()) return Finish(call, Status(StatusCode::kPermissionDenied, call->refused, "url"));
  if (call->too_large) {
    return Finish(call, Status(StatusCode::kPayloadTooLarge, name + ": the answer is larger than " +
                                                                 std::to_string(call->max_bytes) + " bytes"));
  }
  long status = 0;
  curl_easy_getinfo(call->easy.get(), CURLINFO_RESPONSE_CODE, &status);
  call->result.http_status = static_cast<int>(status);
  call->result.content_type = ContentTypeOf(call->easy.get());
  const bool retryable = code != CURLE_OK ? code != CURLE_OPERATION_TIMEDOUT : (status == 429 || status >= 500);
  if (retryable && call->tool.idempotent() && call->result.audit.attempts <= call->tool.retries) {
    const int64_t backoff = options_.retry_backoff_ms << (call->result.audit.attempts - 1);
    loop_.After(std::chrono::milliseconds(backoff), [this, call] { Attempt(call); });
    return;
  }
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return Finish(call, Status(StatusCode::kDeadlineExceeded,
                               name + ": no answer within " + std::to_string(call->tool.timeout_ms) + " ms"));
  }
  if (code != CURLE_OK) return Finish(call, Unavailable(name + ": " + curl_easy_strerror(code)));
  if (status >= 300 && status < 400) {
    char* location = nullptr;
    curl_easy_getinfo(call->easy.get(), CURLINFO_REDIRECT_URL, &location);
    return Finish(call, Status(StatusCode::kPermissionDenied,
                               name + ": the backend answered " + std::to_string(status) + " with a redirect to " +
                                   (location != nullptr ? location : "(none)") + "; tools do not follow redirects",
                               "url"));
  }
  if (status >= 500 || status == 429) {
    return Finish(call, Unavailable(name + ": the backend answered " + std::to_string(status)));
  }
  if (status >= 400) {
    return Finish(call, Status(StatusCode::kFailedPrecondition,
                               name + ": the backend refused the call with " + std::to_string(status)));
  }
  Finish(call, Status::Ok());
}

void ToolRunner::Finish(const std::shared_ptr<Call>& call, Status status) {
  ToolResult& result = call->result;
  result.audit.latency_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - call->started).count();
  result.audit.http_status = result.http_status;
  result.audit.outcome = status.ok() ? "ok" : std::string(StatusCodeName(status.code()));
  result.audit.error = status.ok() ? "" : status.message();
  result.status = std::move(status);
  std::function<void(ToolResult)> done = std::move(call->done);
  done(std::move(result));
}

ToolResult ToolRunner::RunAndWait(const HttpTool& tool, std::string_view arguments_json) {
  std::promise<ToolResult> finished;
  Run(tool, arguments_json, [&finished](ToolResult result) { finished.set_value(std::move(result)); });
  return finished.get_future().get();
}

}  // namespace troupe::chat::tools
