#include "llm/openai_provider.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "base/build_info.h"
#include "base/redact.h"
#include "llm/openai_stream.h"
#include "llm/stream_text.h"

namespace troupe::llm {
namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::ordered_json;
using std::chrono::milliseconds;

constexpr size_t kMaxBodyBytes = 16u << 20;  // a non-streamed completion or an error page
constexpr size_t kMaxStopStringsSent = 4;     // OpenAI refuses more; the rest are enforced here
constexpr size_t kMaxIdleSessions = 8;
constexpr milliseconds kPollInterval{100};   // how often cancel and the timeouts are checked

// ---- C handles, each wrapped once ----

struct EasyCleanup {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct MultiCleanup {
  void operator()(CURLM* handle) const { curl_multi_cleanup(handle); }
};
struct SlistCleanup {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using EasyHandle = std::unique_ptr<CURL, EasyCleanup>;
using MultiHandle = std::unique_ptr<CURLM, MultiCleanup>;
using HeaderList = std::unique_ptr<curl_slist, SlistCleanup>;

void InitializeCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One transfer at a time. The multi handle owns the connection cache, so a session taken again
// for the next call reuses its kept-alive connection.
struct Session {
  MultiHandle multi{curl_multi_init()};
  EasyHandle easy{curl_easy_init()};
};

double MillisBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

std::string Seconds(milliseconds duration) {
  const double seconds = static_cast<double>(duration.count()) / 1000.0;
  char text[32];
  std::snprintf(text, sizeof(text), seconds == std::floor(seconds) ? "%.0f s" : "%.1f s", seconds);
  return text;
}

std::string Lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string TrimmedCopy(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return std::string(text);
}

bool IsRetryableHttp(long status) { return status == 408 || status == 409 || status == 429 || status >= 500; }

StatusCode CodeForHttp(long status) {
  switch (status) {
    case 401:
      return StatusCode::kUnauthenticated;
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kNotFound;
    case 408:
      return StatusCode::kDeadlineExceeded;
    case 413:
      return StatusCode::kPayloadTooLarge;
    case 429:
      return StatusCode::kResourceExhausted;
    case 409:
      return StatusCode::kUnavailable;
    default:
      return status >= 500 ? StatusCode::kUnavailable : StatusCode::kInvalidArgument;
  }
}

// Connection failures worth another attempt; the rest (a bad URL, a certificate that does not
// verify) would fail the same way again.
bool IsRetryableCurl(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_LOGIN_DENIED:
      return false;
    default:
      return true;
  }
}

Json MessagesJson(const std::vector<ChatMessage>& messages) {
  Json out = Json::array();
  for (const ChatMessage& message : messages) {
    Json item = {{"role", message.role}};
    if (message.content.empty() && !message.tool_calls.empty()) {
      item["content"] = nullptr;
    } else {
      item["content"] = message.content;
    }
    if (!message.name.empty()) item["name"] = message.name;
    if (!message.tool_calls.empty()) {
      Json calls = Json::array();
      for (const ToolCall& call : message.tool_calls) {
        calls.push_back(
            {{"id", call.id}, {"type", "function"}, {"function", {{"name", call.name}, {"arguments", call.arguments_json}}}});
      }
      item["tool_calls"] = std::move(calls);
    }
    if (!message.tool_call_id.empty()) item["tool_call_id"] = message.tool_call_id;
    out.push_back(std::move(item));
  }
  return out;
}

Result<std::string> RequestBody(const ChatRequest& request, const std::string& model) {
  Json body = Json::object();
  if (!model.empty()) body["model"] = model;
  body["messages"] = MessagesJson(request.messages);
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  const Sampling& sampling = request.sampling;
  body["max_tokens"] = std::max(sampling.max_tokens, 1);
  if (sampling.temperature) body["temperature"] = *sampling.temperature;
  if (sampling.top_p) body["top_p"] = *sampling.top_p;
  if (sampling.frequency_penalty) body["frequency_penalty"] = *sampling.frequency_penalty;
  if (sampling.presence_penalty) body["presence_penalty"] = *sampling.presence_penalty;
  if (sampling.seed) body["seed"] = *sampling.seed;
  // Not in OpenAI's API (which refuses unknown fields), understood by llama.cpp, vLLM and Ollama:
  // sent only when asked for.
  if (sampling.top_k) body["top_k"] = *sampling.top_k;
  if (sampling.min_p) body["min_p"] = *sampling.min_p;
  if (sampling.repetition_penalty) body["repetition_penalty"] = *sampling.repetition_penalty;
  Json stops = Json::array();
  for (const std::string& stop : request.stop) {
    if (!stop.empty() && stops.size() < kMaxStopStringsSent) stops.push_back(stop);
  }
  if (!stops.empty()) body["stop"] = std::move(stops);
  if (!request.tools.empty()) {
    Json tools = Json::array();
    for (size_t i = 0; i < request.tools.size(); ++i) {
      const ToolDefinition& tool = request.tools[i];
      Json parameters = Json::parse(tool.parameters_json, nullptr, /*allow_exceptions=*/false);
      if (parameters.is_discarded() || !parameters.is_object()) {
        return InvalidArgument("tool '" + tool.name + "': parameters are not a JSON object",
                               "tools[" + std::to_string(i) + "].parameters");
      }
      Json function = {{"name", tool.name}};
      if (!tool.description.empty()) function["description"] = tool.description;
      function["parameters"] = std::move(parameters);
      tools.push_back({{"type", "function"}, {"function", std::move(function)}});
    }
    body["tools"] = std::move(tools);
    if (request.tool_choice == "auto" || request.tool_choice == "none" || request.tool_choice == "required") {
      body["tool_choice"] = request.tool_choice;
    } else if (!request.tool_choice.empty()) {
      body["tool_choice"] = {{"type", "function"}, {"function", {{"name", request.tool_choice}}}};
    }
  }
  try {
    return body.dump();
  } catch (const nlohmann::json::exception& error) {  // text that is not UTF-8
    return InvalidArgument(std::string("the request cannot be sent as JSON: ") + error.what(), "messages");
  }
}

bool SleepWatchingCancel(milliseconds delay, const std::atomic<bool>* cancel) {
  const Clock::time_point until = Clock::now() + delay;
  while (Clock::now() < until) {
    if (cancel != nullptr && cancel->load()) return false;
    std::this_thread::sleep_for(std::min<Clock::duration>(milliseconds(50), until - Clock::now()));
  }
  return cancel == nullptr || !cancel->load();
}

// What curl's callbacks share with the loop that drives one attempt.
struct Transfer {
  const ChatCallbacks* callbacks = nullptr;
  CURL* easy = nullptr;
  StopStringFilter stops;
  SseParser sse;
  ChatStreamDecoder decoder;

  // The response, reset at every status line (a 100 Continue is followed by another).
  std::string content_type;
  std::string retry_after;
  std::string retry_after_ms;
  bool body_started = false;
  bool streaming = false;  // a 2xx event stream (else the body is kept whole)
  long status = 0;
  std::string body;

  std::string delivered;  // reply text that reached the caller
  int delivered_chunks = 0;
  std::optional<Clock::time_point> first_delta;
  bool stopped_by_string = false;
  std::optional<Status> stream_failure;  // why a callback refused the stream

  Clock::time_point started = Clock::now();
  Clock::time_point last_byte = started;
  bool any_byte = false;

  explicit Transfer(std::vector<std::string> stop_strings) : stops(std::move(stop_strings)) {}

  bool ReplyStarted() const { return decoder.saw_tokens() || (body_started && !streaming); }

  // Sends text on to the caller; false when the caller's callback threw.
  bool Deliver(std::string_view text) {
    if (text.empty()) return true;
    if (!first_delta) first_delta = Clock::now();
    delivered.append(text);
    ++delivered_chunks;
    if (callbacks->on_delta) {
      try {
        callbacks->on_delta(text);
      } catch (const std::exception& error) {
        stream_failure = Internal(std::string("the delta callback threw: ") + error.what());
        return false;
      }
    }
    return true;
  }

  bool Consume(std::vector<SseEvent> events) {
    for (const SseEvent& event : events) {
      Result<std::string> text = decoder.Apply(event);
      if (!text.ok()) {
        stream_failure = text.status();
        return false;
      }
      if (!first_delta && decoder.content_chunks() > 0) first_delta = Clock::now();
      if (text->empty()) continue;
      if (!Deliver(stops.Push(*text))) return false;
      if (stops.stopped()) {
        stopped_by_string = true;
        return false;  // the reply is complete: end the transfer
      }
    }
    return true;
  }
};

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const size_t length = size * count;
  const std::string_view line(data, length);
  if (line.size() >= 5 && Lowercase(line.substr(0, 5)) == "http/") {
    transfer.content_type.clear();
    transfer.retry_after.clear();
    transfer.retry_after_ms.clear();
    return length;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return length;
  const std::string name = Lowercase(line.substr(0, colon));
  std::string value = TrimmedCopy(line.substr(colon + 1));
  if (name == "content-type") transfer.content_type = Lowercase(value);
  if (name == "retry-after") transfer.retry_after = value;
  if (name == "retry-after-ms") transfer.retry_after_ms = value;
  return length;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const size_t length = size * count;
  transfer.any_byte = true;
  transfer.last_byte = Clock::now();
  if (!transfer.body_started) {
    transfer.body_started = true;
    curl_easy_getinfo(transfer.easy, CURLINFO_RESPONSE_CODE, &transfer.status);
    transfer.streaming = transfer.status >= 200 && transfer.status < 300 &&
                         transfer.content_type.find("application/json") == std::string::npos;
  }
  if (!transfer.streaming) {
    if (transfer.body.size() + length > kMaxBodyBytes) {
      transfer.stream_failure = Internal("the response is larger than " + std::to_string(kMaxBodyBytes) + " bytes");
      return 0;
    }
    transfer.body.append(data, length);
    return length;
  }
  Result<std::vector<SseEvent>> events = transfer.sse.Feed(std::string_view(data, length));
  if (!events.ok()) {
    transfer.stream_failure = events.status();
    return 0;
  }
  return transfer.Consume(std::move(*events)) ? length : 0;
}

// The delay a 429/503 asks for (retry-after-ms, else Retry-After in seconds or as an HTTP date).
std::optional<milliseconds> RetryAfter(const Transfer& transfer) {
  const auto parse_number = [](const std::string& text) -> std::optional<double> {
    if (text.empty()) return std::nullopt;
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || !std::isfinite(value) || value < 0 || value > 86400.0 * 1000) {
      return std::nullopt;
    }
    return value;
  };
  if (std::optional<double> ms = parse_number(transfer.retry_after_ms)) return milliseconds(static_cast<int64_t>(*ms));
  if (std::optional<double> seconds = parse_number(transfer.retry_after)) {
    return milliseconds(static_cast<int64_t>(*seconds * 1000));
  }
  if (!transfer.retry_after.empty()) {
    const time_t when = curl_getdate(transfer.retry_after.c_str(), nullptr);
    if (when > 0) return milliseconds(std::max<int64_t>(0, static_cast<int64_t>(when - std::time(nullptr))) * 1000);
  }
  return std::nullopt;
}

class OpenAiProvider final : public Provider {
 public:
  explicit OpenAiProvider(OpenAiProviderOptions options) : options_(std::move(options)), random_(std::random_device{}()) {
    InitializeCurlOnce();
    info_.name = options_.name;
    info_.kind = "openai";
    info_.model = options_.model;
    info_.context_length = options_.context_length;
    std::string base = options_.base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    url_ = base + "/chat/completions";
    if (!options_.api_version.empty()) url_ += "?api-version=" + options_.api_version;
    shown_url_ = RedactUrlCredentials(url_);
    if (!options_.wait_before_retry) options_.wait_before_retry = SleepWatchingCancel;
  }

  const ProviderInfo& info() const override { return info_; }

  std::shared_ptr<ChatCall> Start(ChatRequest request, ChatCallbacks callbacks) override {
    auto call = std::make_shared<InterimCall>();
    call->request = std::move(request);
    call->callbacks = std::move(callbacks);
    if (call->request.cancel == nullptr) call->request.cancel = &call->cancelled;
    std::thread([this, call] { call->callbacks.on_done(RunBlocking(call->request, call->callbacks)); }).detach();
    return call;
  }

  struct InterimCall final : ChatCall {
    ChatRequest request;
    ChatCallbacks callbacks;
    std::atomic<bool> cancelled{false};
    void Cancel() override { cancelled = true; }
  };

  Result<ChatResult> RunBlocking(const ChatRequest& request, const ChatCallbacks& callbacks) {
    const Clock::time_point call_started = Clock::now();
    const std::string& model = request.model.empty() ? options_.model : request.model;
    TROUPE_ASSIGN_OR_RETURN(const std::string body, RequestBody(request, model));
    HeaderList headers = Headers();
    const int attempts = 1 + std::max(options_.max_retries, 0);
    Status last_error;
    for (int attempt = 0; attempt < attempts; ++attempt) {
      if (Cancelled(request)) return CancelledResult(request, "", call_started);
      Transfer transfer(request.stop);
      transfer.callbacks = &callbacks;
      std::optional<milliseconds> retry_in;
      Result<ChatResult> outcome = RunAttempt(request, body, headers.get(), transfer, call_started, attempt, retry_in);
      if (outcome.ok() || !retry_in) return outcome;
      last_error = outcome.status();
      if (attempt + 1 == attempts) break;
      const milliseconds left =
          options_.total_timeout - std::chrono::duration_cast<milliseconds>(Clock::now() - call_started);
      if (*retry_in >= left) {
        return Status(last_error.code(), last_error.message() + "; a retry in " + Seconds(*retry_in) +
                                             " would pass the call's time limit (" + Seconds(options_.total_timeout) + ")");
      }
      // The upstream's own words may echo a credential (a rejected key); logs never carry one.
      spdlog::warn("{}; retrying in {} (attempt {} of {})", RedactSecrets(last_error.message()), Seconds(*retry_in), attempt + 2,
                   attempts);
      if (!options_.wait_before_retry(*retry_in, request.cancel)) return CancelledResult(request, "", call_started);
    }
    if (attempts == 1) return last_error;
    return Status(last_error.code(), last_error.message() + " (after " + std::to_string(attempts) + " attempts)");
  }

  int64_t CountTokens(std::string_view text) const override { return EstimateTokens(text); }

  int64_t CountChatTokens(const std::vector<ChatMessage>& messages) const override {
    int64_t total = 3;  // the reply's opening
    for (const ChatMessage& message : messages) {
      total += 4 + EstimateTokens(message.content) + EstimateTokens(message.name);
      for (const ToolCall& call : message.tool_calls) total += EstimateTokens(call.name) + EstimateTokens(call.arguments_json);
    }
    return total;
  }

 private:
  HeaderList Headers() const {
    curl_slist* list = nullptr;
    const auto add = [&list](const std::string& header) {
      curl_slist* grown = curl_slist_append(list, header.c_str());
      if (grown != nullptr) list = grown;
    };
    add("Content-Type: application/json");
    add("Accept: text/event-stream");
    add("Expect:");  // no 100-continue round trip for large prompts
    if (!options_.api_key.empty()) {
      add(options_.api_version.empty() ? "Authorization: Bearer " + options_.api_key : "api-key: " + options_.api_key);
    }
    return HeaderList(list);
  }

  std::string Prefix() const { return "provider " + info_.name + ": "; }

  static bool Cancelled(const ChatRequest& request) { return request.cancel != nullptr && request.cancel->load(); }

  ChatResult CancelledResult(const ChatRequest& request, std::string content, Clock::time_point call_started) const {
    ChatResult result;
    result.content = std::move(content);
    result.finish_reason = FinishReason::kCancelled;
    result.usage.prompt_tokens = CountChatTokens(request.messages);
    result.usage.completion_tokens = CountTokens(result.content);
    result.total_ms = MillisBetween(call_started, Clock::now());
    result.time_to_first_token_ms = result.total_ms;
    return result;
  }

  milliseconds Backoff(int attempt) {
    double delay = static_cast<double>(options_.backoff_base.count()) * std::pow(2.0, attempt);
    delay = std::min(delay, static_cast<double>(options_.max_backoff.count()));
    std::lock_guard lock(random_mutex_);
    return milliseconds(static_cast<int64_t>(delay * std::uniform_real_distribution<double>(0.8, 1.2)(random_)));
  }

  std::unique_ptr<Session> TakeSession() {
    {
      std::lock_guard lock(sessions_mutex_);
      if (!idle_sessions_.empty()) {
        std::unique_ptr<Session> session = std::move(idle_sessions_.back());
        idle_sessions_.pop_back();
        return session;
      }
    }
    return std::make_unique<Session>();
  }

  void ReturnSession(std::unique_ptr<Session> session) {
    std::lock_guard lock(sessions_mutex_);
    if (idle_sessions_.size() < kMaxIdleSessions) idle_sessions_.push_back(std::move(session));
  }

  // "after 12 chunks (57 bytes of reply)"
  static std::string Progress(const Transfer& transfer) {
    return "after " + std::to_string(transfer.delivered_chunks) + " chunk" +
           (transfer.delivered_chunks == 1 ? "" : "s") + " (" + std::to_string(transfer.delivered.size()) +
           " bytes of reply)";
  }

  // One HTTP request. Sets `retry_in` when the failure may be retried (nothing reached the caller).
  Result<ChatResult> RunAttempt(const ChatRequest& request, const std::string& body, curl_slist* headers,
                                Transfer& transfer, Clock::time_point call_started, int attempt,
                                std::optional<milliseconds>& retry_in) {
    std::unique_ptr<Session> session = TakeSession();
    if (!session->multi || !session->easy) return Status(StatusCode::kInternal, Prefix() + "libcurl cannot start a transfer");
    CURL* easy = session->easy.get();
    CURLM* multi = session->multi.get();
    transfer.easy = easy;
    char error_text[CURL_ERROR_SIZE] = {0};
    const std::string user_agent = "troupe/" + std::string(Version());
    curl_easy_reset(easy);
    curl_easy_setopt(easy, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, user_agent.c_str());
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_text);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");

    enum class Ended { kTransfer, kCancelled, kFirstTokenTimeout, kIdleTimeout, kTotalTimeout };
    Ended ended = Ended::kTransfer;
    CURLcode code = CURLE_OK;
    curl_multi_add_handle(multi, easy);
    for (;;) {
      int running = 0;
      const CURLMcode multi_code = curl_multi_perform(multi, &running);
      if (multi_code != CURLM_OK) {
        curl_multi_remove_handle(multi, easy);
        return Status(StatusCode::kInternal, Prefix() + "libcurl: " + curl_multi_strerror(multi_code));
      }
      if (running == 0) {
        int queued = 0;
        while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
          if (message->msg == CURLMSG_DONE) code = message->data.result;
        }
        break;
      }
      const Clock::time_point now = Clock::now();
      if (Cancelled(request)) {
        ended = Ended::kCancelled;
      } else if (now - call_started > options_.total_timeout) {
        ended = Ended::kTotalTimeout;
      } else if (!transfer.ReplyStarted() && now - transfer.started > options_.first_token_timeout) {
        ended = Ended::kFirstTokenTimeout;
      } else if (transfer.any_byte && now - transfer.last_byte > options_.idle_timeout) {
        ended = Ended::kIdleTimeout;
      }
      if (ended != Ended::kTransfer) break;
      curl_multi_poll(multi, nullptr, 0, static_cast<int>(kPollInterval.count()), nullptr);
    }
    curl_multi_remove_handle(multi, easy);
    if (transfer.status == 0) curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &transfer.status);
    const std::string curl_error = error_text[0] != '\0' ? error_text : curl_easy_strerror(code);
    curl_easy_reset(easy);  // drops every pointer into this call (body, headers, callbacks' data)
    ReturnSession(std::move(session));

    const bool delivered = transfer.delivered_chunks > 0;
    switch (ended) {
      case Ended::kCancelled:
        return CancelledResult(request, transfer.delivered, call_started);
      case Ended::kTotalTimeout:
        return Status(StatusCode::kDeadlineExceeded,
                      Prefix() + "the call took longer than its limit of " + Seconds(options_.total_timeout) +
                          (delivered ? "; the reply was cut " + Progress(transfer) : ""));
      case Ended::kFirstTokenTimeout:
        return Status(StatusCode::kDeadlineExceeded, Prefix() + "no reply from " + shown_url_ + " within " +
                                                         Seconds(options_.first_token_timeout));
      case Ended::kIdleTimeout:
        return Status(StatusCode::kDeadlineExceeded,
                      Prefix() + "the stream from " + shown_url_ + " stalled " +
                          (delivered ? Progress(transfer) : "before the reply began") + ": nothing for " +
                          Seconds(options_.idle_timeout));
      case Ended::kTransfer:
        break;
    }

    if (transfer.stopped_by_string) return Finished(request, transfer, call_started);
    if (transfer.stream_failure) {
      const Status& failure = *transfer.stream_failure;
      if (delivered) {
        return Status(StatusCode::kInternal,
                      Prefix() + "stream cut " + Progress(transfer) + ": " + failure.message());
      }
      return Status(StatusCode::kUnavailable, Prefix() + shown_url_ + ": " + failure.message());
    }
    if (code != CURLE_OK) {
      const std::string& why = curl_error;
      if (delivered) return Status(StatusCode::kInternal, Prefix() + "stream cut " + Progress(transfer) + ": " + why);
      if (IsRetryableCurl(code)) retry_in = Backoff(attempt);
      return Status(IsRetryableCurl(code) ? StatusCode::kUnavailable : StatusCode::kInvalidArgument,
                    Prefix() + "cannot reach " + shown_url_ + ": " + why);
    }
    if (transfer.status < 200 || transfer.status >= 300) {
      const std::string message = ErrorMessageFromBody(transfer.body);
      if (IsRetryableHttp(transfer.status)) {
        const std::optional<milliseconds> asked = RetryAfter(transfer);
        retry_in = asked ? *asked : Backoff(attempt);
      }
      return Status(CodeForHttp(transfer.status), Prefix() + "HTTP " + std::to_string(transfer.status) + " from " +
                                                      shown_url_ + (message.empty() ? "" : ": " + message));
    }
    if (!transfer.streaming) {
      // A whole completion: the server did not stream.
      Result<ChatResult> whole = ParseCompletionBody(transfer.body);
      if (!whole.ok()) return Status(StatusCode::kUnavailable, Prefix() + shown_url_ + ": " + whole.status().message());
      if (!transfer.Deliver(transfer.stops.Push(whole->content))) {
        return Status(StatusCode::kInternal, Prefix() + transfer.stream_failure->message());
      }
      transfer.stopped_by_string = transfer.stops.stopped();
      ChatResult result = Finished(request, transfer, call_started);
      if (!transfer.stopped_by_string) result.finish_reason = whole->finish_reason;
      result.tool_calls = whole->tool_calls;
      if (!result.tool_calls.empty()) result.finish_reason = FinishReason::kToolCalls;
      if (whole->usage.prompt_tokens > 0 || whole->usage.completion_tokens > 0) result.usage = whole->usage;
      return result;
    }
    if (!transfer.Consume(transfer.sse.Finish())) {
      if (transfer.stopped_by_string) return Finished(request, transfer, call_started);
      const std::string why = transfer.stream_failure->message();
      if (transfer.delivered_chunks > 0) {
        return Status(StatusCode::kInternal, Prefix() + "stream cut " + Progress(transfer) + ": " + why);
      }
      return Status(StatusCode::kUnavailable, Prefix() + shown_url_ + ": " + why);
    }
    if (!transfer.decoder.done() && !transfer.decoder.finish_reason()) {
      if (transfer.delivered_chunks > 0) {
        return Status(StatusCode::kInternal, Prefix() + "stream cut " + Progress(transfer) +
                                                 ": the connection closed before the end of the reply");
      }
      retry_in = Backoff(attempt);
      return Status(StatusCode::kUnavailable,
                    Prefix() + shown_url_ + " closed the stream before the reply began");
    }
    return Finished(request, transfer, call_started);
  }

  ChatResult Finished(const ChatRequest& request, Transfer& transfer, Clock::time_point call_started) const {
    if (!transfer.stopped_by_string) transfer.Deliver(transfer.stops.Finish());
    ChatResult result;
    result.content = transfer.delivered;
    result.tool_calls = transfer.decoder.tool_calls();
    result.finish_reason = transfer.stopped_by_string || !transfer.decoder.finish_reason()
                               ? FinishReason::kStop
                               : FinishReasonFromWire(*transfer.decoder.finish_reason());
    if (!result.tool_calls.empty()) result.finish_reason = FinishReason::kToolCalls;
    if (const std::optional<Usage>& usage = transfer.decoder.usage()) {
      result.usage = *usage;
    } else {
      result.usage.prompt_tokens = CountChatTokens(request.messages);
      int64_t completion = CountTokens(result.content);
      for (const ToolCall& call : result.tool_calls) completion += CountTokens(call.arguments_json) + CountTokens(call.name);
      result.usage.completion_tokens = completion;
    }
    const Clock::time_point now = Clock::now();
    result.total_ms = MillisBetween(call_started, now);
    result.time_to_first_token_ms = MillisBetween(call_started, transfer.first_delta.value_or(now));
    return result;
  }

  OpenAiProviderOptions options_;
  ProviderInfo info_;
  std::string url_;
  std::string shown_url_;  // url_ with any credentials hidden, for messages

  std::mutex sessions_mutex_;
  std::vector<std::unique_ptr<Session>> idle_sessions_;  // guarded by sessions_mutex_

  std::mutex random_mutex_;
  std::mt19937_64 random_;  // guarded by random_mutex_: backoff jitter
};

}  // namespace

int64_t EstimateTokens(std::string_view text) { return static_cast<int64_t>((text.size() + 3) / 4); }

Result<std::unique_ptr<Provider>> MakeOpenAiProvider(OpenAiProviderOptions options) {
  const std::string& url = options.base_url;
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return InvalidArgument("provider " + options.name + ": base_url must start with http:// or https://, got '" +
                               RedactUrlCredentials(url) + "'",
                           "base_url");
  }
  if (url.find_first_of(" \t\r\n") != std::string::npos) {
    return InvalidArgument("provider " + options.name + ": base_url must not contain whitespace", "base_url");
  }
  for (const auto& [value, field] : {std::pair{options.connect_timeout, "connect_timeout"},
                                     std::pair{options.first_token_timeout, "first_token_timeout"},
                                     std::pair{options.idle_timeout, "idle_timeout"},
                                     std::pair{options.total_timeout, "total_timeout"}}) {
    if (value.count() <= 0) return InvalidArgument("provider " + options.name + ": " + field + " must be positive", field);
  }
  // Both end up in the request line or a header, where a line break would forge another header.
  for (const char c : options.api_key) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      return InvalidArgument("provider " + options.name + ": api_key must not contain control characters", "api_key");
    }
  }
  for (const char c : options.api_version) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
      return InvalidArgument("provider " + options.name + ": api_version may hold letters, digits, '-', '.' and '_', got '" +
                                 options.api_version + "'",
                             "api_version");
    }
  }
  if (options.context_length <= 0) {
    return InvalidArgument("provider " + options.name + ": context_length must be positive", "context_length");
  }
  return std::unique_ptr<Provider>(std::make_unique<OpenAiProvider>(std::move(options)));
}

}  // namespace troupe::llm
