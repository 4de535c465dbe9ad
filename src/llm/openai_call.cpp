#include "llm/openai_call.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cmath>
#include <optional>
#include <random>
#include <unordered_map>
#include <utility>

#include <spdlog/spdlog.h>

#include "base/build_info.h"
#include "base/redact.h"
#include "llm/curl_loop.h"
#include "llm/openai_deadline.h"
#include "llm/openai_request.h"
#include "llm/openai_response.h"
#include "llm/openai_stream.h"

namespace troupe::llm {
namespace {

// Durations reported in ChatResult (total, time to first token): measurements, so monotonic and
// finer than a millisecond. What Troupe decides (deadlines, retry waits) is on the troupe::Clock.
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr size_t kMaxBodyBytes = 16u << 20;  // a non-streamed completion or an error page
// How often, in the clock's time, the loop looks at the request.cancel flags of the calls in
// flight: nothing signals such a flag (deltas check it as they arrive, and ChatCall::Cancel wakes
// the loop at once). Deadlines are timers of their own.
constexpr milliseconds kCancelPollInterval{100};

// ---- C handles, each wrapped once ----

struct EasyCleanup {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct SlistCleanup {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using EasyHandle = std::unique_ptr<CURL, EasyCleanup>;
using HeaderList = std::unique_ptr<curl_slist, SlistCleanup>;

HeaderList MakeHeaders(const OpenAiProviderOptions& options) {
  curl_slist* list = nullptr;
  for (const std::string& header : OpenAiRequestHeaders(options.api_key, options.api_version)) {
    if (curl_slist* grown = curl_slist_append(list, header.c_str()); grown != nullptr) list = grown;
  }
  return HeaderList(list);
}

double MillisBetween(SteadyClock::time_point from, SteadyClock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

std::string Seconds(milliseconds duration) {
  const double seconds = static_cast<double>(duration.count()) / 1000.0;
  char text[32];
  std::snprintf(text, sizeof(text), seconds == std::floor(seconds) ? "%.0f s" : "%.1f s", seconds);
  return text;
}

// Why the call ended an attempt (or its wait for the next one) before curl was done.
enum class Ending { kNone, kCancelled, kFirstTokenTimeout, kIdleTimeout, kTotalTimeout, kShutdown };

class OpenAiCall;

}  // namespace

// What the calls of one provider share. The endpoint, headers and loop pointer are fixed; the rest
// belongs to the loop thread, which ends (in ~OpenAiCalls) before this goes, so a call may refer
// here whenever it runs on that thread.
struct OpenAiCalls::State {
  explicit State(OpenAiEndpoint endpoint_in)
      : endpoint(std::move(endpoint_in)),
        clock(endpoint.options.clock != nullptr ? *endpoint.options.clock : SystemClock::Instance()),
        headers(MakeHeaders(endpoint.options)) {}

  const OpenAiEndpoint endpoint;
  const Clock& clock;        // deadlines and retry waits
  const HeaderList headers;  // every transfer's, so it must outlive the loop's work
  const std::string user_agent = "troupe/" + std::string(Version());
  // Shared with every call: a ChatCall handle may outlive the provider, and its Cancel must then
  // find a stopped loop rather than freed memory.
  const std::shared_ptr<CurlLoop> loop = std::make_shared<CurlLoop>(clock);

  // The loop thread's own.
  std::unordered_map<OpenAiCall*, std::shared_ptr<OpenAiCall>> in_flight;  // keeps each call alive
  bool tick_armed = false;
  bool shutting_down = false;
  std::mt19937_64 random{std::random_device{}()};  // backoff jitter

  std::string Prefix() const { return "provider " + endpoint.options.name + ": "; }

  // About backoff_base * 2^attempt, capped, with +-20% jitter so clients apart do not retry in step.
  milliseconds Backoff(int attempt) {
    double delay = static_cast<double>(endpoint.options.backoff_base.count()) * std::pow(2.0, attempt);
    delay = std::min(delay, static_cast<double>(endpoint.options.max_backoff.count()));
    return milliseconds(static_cast<int64_t>(delay * std::uniform_real_distribution<double>(0.8, 1.2)(random)));
  }

  void Track(std::shared_ptr<OpenAiCall> call);
  void Untrack(OpenAiCall* call) { in_flight.erase(call); }
  void ArmTick();
  void Tick();
  void EndAll();
};

namespace {

class OpenAiCall final : public ChatCall, public std::enable_shared_from_this<OpenAiCall> {
 public:
  OpenAiCall(OpenAiCalls::State& calls, ChatRequest request, ChatCallbacks callbacks)
      : calls_(calls),
        loop_(calls.loop),
        request_(std::move(request)),
        callbacks_(std::move(callbacks)),
        body_(OpenAiRequestBody(request_, request_.model.empty() ? calls.endpoint.options.model : request_.model)) {}

  // Any thread: the loop is woken to end the call now rather than at the next tick, so the
  // upstream sees its connection close at once.
  void Cancel() override {
    if (cancelled_.exchange(true)) return;
    loop_->Post([self = shared_from_this()] { self->End(Ending::kCancelled); });
  }

  // The caller's thread, when the loop took no more work: the call ends before it began.
  void Refuse() {
    ChatCallbacks callbacks = std::move(callbacks_);
    callbacks.on_done(ShuttingDown());
  }

  // The loop thread's, from here on.
  void Begin() {
    calls_.Track(shared_from_this());
    if (!body_.ok()) return Finish(body_.status());
    ArmTotalTimer();
    StartAttempt();
  }

  // The tick: ends the call once its request.cancel flag is set.
  void CheckCancelFlag() {
    if (finished_ || ending_ != Ending::kNone) return;
    if (CancelRequested()) End(Ending::kCancelled);
  }

  // Between attempts the call ends here; during one, the transfer is removed (closing its
  // connection) and its end finishes the call.
  void End(Ending why) {
    if (finished_ || ending_ != Ending::kNone) return;
    ending_ = why;
    if (transfer_ != 0) {
      loop_->Remove(transfer_);
      return;
    }
    Finish(EndedEarly());
  }

 private:
  static size_t OnHeader(char* data, size_t size, size_t count, void* self) {
    auto& call = *static_cast<OpenAiCall*>(self);
    if (call.ending_ != Ending::kNone) return 0;
    call.response_->TakeHeaderLine(std::string_view(data, size * count));
    return size * count;
  }

  static size_t OnBody(char* data, size_t size, size_t count, void* self) {
    return static_cast<OpenAiCall*>(self)->TakeBody(std::string_view(data, size * count));
  }

  bool CancelRequested() const {
    return cancelled_.load() || (request_.cancel != nullptr && request_.cancel->load());
  }

  int64_t Now() const { return calls_.clock.NowMillis(); }

  // The whole call's limit, retries included, counted from when the call was made.
  void ArmTotalTimer() {
    const milliseconds left = calls_.endpoint.options.total_timeout - milliseconds(Now() - started_ms_);
    total_timer_ = loop_->After(left, [self = shared_from_this()] {
      self->total_timer_ = 0;
      self->End(Ending::kTotalTimeout);
    });
  }

  void ArmAttemptTimer() {
    attempt_deadline_.Arm(*response_, [self = shared_from_this()] { self->OnAttemptDeadline(); });
  }

  void OnAttemptDeadline() {
    if (finished_ || ending_ != Ending::kNone || transfer_ == 0) return;
    switch (attempt_deadline_.HasPassed(*response_)) {
      case AttemptDeadline::Passed::kFirstToken:
        return End(Ending::kFirstTokenTimeout);
      case AttemptDeadline::Passed::kIdle:
        return End(Ending::kIdleTimeout);
      case AttemptDeadline::Passed::kNone:
        return ArmAttemptTimer();  // bytes came since it was set
    }
  }

  // Bytes of the response body; returning less than their size makes curl end the transfer.
  size_t TakeBody(std::string_view bytes) {
    if (ending_ != Ending::kNone) return 0;  // being ended: nothing more reaches the caller
    if (CancelRequested()) {
      ending_ = Ending::kCancelled;
      return 0;
    }
    OpenAiResponse& response = *response_;
    const bool first_byte = !response.any_byte;
    response.any_byte = true;
    response.last_byte_ms = Now();
    if (first_byte) ArmAttemptTimer();  // the idle deadline begins, and may come before the first token's
    if (!response.body_started) {
      response.body_started = true;
      curl_easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &response.status);
      response.streaming = response.status >= 200 && response.status < 300 &&
                           response.content_type.find("application/json") == std::string::npos;
    }
    if (!response.streaming) {
      if (response.body.size() + bytes.size() > kMaxBodyBytes) {
        response.stream_failure = Internal("the response is larger than " + std::to_string(kMaxBodyBytes) + " bytes");
        return 0;
      }
      response.body.append(bytes);
      return bytes.size();
    }
    Result<std::vector<SseEvent>> events = response.sse.Feed(bytes);
    if (!events.ok()) {
      response.stream_failure = events.status();
      return 0;
    }
    return Consume(std::move(*events), /*watch_cancel=*/true) ? bytes.size() : 0;
  }

  // Decodes events and delivers their text; false when the transfer should end (a stop string, a
  // failure, or with watch_cancel a cancellation, checked before and after every delta).
  bool Consume(std::vector<SseEvent> events, bool watch_cancel) {
    OpenAiResponse& response = *response_;
    for (const SseEvent& event : events) {
      if (watch_cancel && CancelRequested()) break;
      Result<std::string> text = response.decoder.Apply(event);
      if (!text.ok()) {
        response.stream_failure = text.status();
        return false;
      }
      if (!response.first_delta && response.decoder.content_chunks() > 0) response.first_delta = SteadyClock::now();
      if (text->empty()) continue;
      if (!Deliver(response.stops.Push(*text))) return false;
      if (response.stops.stopped()) {
        response.stopped_by_string = true;
        return false;  // the reply is complete: end the transfer
      }
    }
    if (watch_cancel && CancelRequested()) {
      ending_ = Ending::kCancelled;
      return false;
    }
    return true;
  }

  // Sends text on to the caller; false when the caller's callback threw.
  bool Deliver(std::string_view text) {
    if (text.empty()) return true;
    OpenAiResponse& response = *response_;
    if (!response.first_delta) response.first_delta = SteadyClock::now();
    response.delivered.append(text);
    ++response.delivered_chunks;
    if (!callbacks_.on_delta) return true;
    try {
      callbacks_.on_delta(text);
      return true;
    } catch (const std::exception& error) {
      response.stream_failure = Internal(std::string("the delta callback threw: ") + error.what());
    } catch (...) {
      response.stream_failure = Internal("the delta callback threw");
    }
    return false;
  }

  void StartAttempt() {
    if (calls_.shutting_down) return Finish(ShuttingDown());
    if (CancelRequested()) return Finish(CancelledResult(""));
    if (!easy_) easy_.reset(curl_easy_init());
    if (!easy_) return Finish(Status(StatusCode::kInternal, calls_.Prefix() + "libcurl cannot start a transfer"));
    response_.emplace(request_.stop, Now());
    ++attempts_made_;
    // Set before the transfer is added, so the deadline runs by the time the server sees a byte.
    ArmAttemptTimer();
    Configure(easy_.get());
    transfer_ = loop_->Add(easy_.get(), [self = shared_from_this()](CurlLoop::End end, CURLcode code) {
      self->OnTransferEnded(end, code);
    });
    if (transfer_ == 0) Finish(ShuttingDown());
  }

  void Configure(CURL* easy) {
    const OpenAiEndpoint& endpoint = calls_.endpoint;
    curl_easy_reset(easy);  // drops every pointer into the previous attempt
    error_text_[0] = '\0';
    const std::string& body = *body_;
    curl_easy_setopt(easy, CURLOPT_URL, endpoint.url.c_str());
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, calls_.headers.get());
    curl_easy_setopt(easy, CURLOPT_USERAGENT, calls_.user_agent.c_str());
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_text_);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(endpoint.options.connect_timeout.count()));
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  }

  void OnTransferEnded(CurlLoop::End end, CURLcode code) {
    transfer_ = 0;
    attempt_deadline_.Cancel();
    OpenAiResponse& response = *response_;
    if (response.status == 0) curl_easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &response.status);
    const std::string curl_error = error_text_[0] != '\0' ? error_text_ : curl_easy_strerror(code);
    if (end == CurlLoop::End::kStopped && ending_ == Ending::kNone) ending_ = Ending::kShutdown;
    std::optional<milliseconds> retry_in;
    Result<ChatResult> outcome = ending_ != Ending::kNone ? EndedEarly() : AttemptOutcome(code, curl_error, retry_in);
    if (outcome.ok() || !retry_in) return Finish(std::move(outcome));
    RetryOrFinish(outcome.status(), *retry_in);
  }

  // The end of a call that ending_ says why.
  Result<ChatResult> EndedEarly() const {
    const OpenAiProviderOptions& options = calls_.endpoint.options;
    const std::string prefix = calls_.Prefix();
    const bool delivered = response_ && response_->delivered_chunks > 0;
    switch (ending_) {
      case Ending::kCancelled:
        return CancelledResult(response_ ? response_->delivered : "");
      case Ending::kTotalTimeout:
        return Status(StatusCode::kDeadlineExceeded,
                      prefix + "the call took longer than its limit of " + Seconds(options.total_timeout) +
                          (delivered ? "; the reply was cut " + Progress(*response_) : ""));
      case Ending::kFirstTokenTimeout:
        return Status(StatusCode::kDeadlineExceeded, prefix + "no reply from " + calls_.endpoint.shown_url +
                                                         " within " + Seconds(options.first_token_timeout));
      case Ending::kIdleTimeout:
        return Status(StatusCode::kDeadlineExceeded,
                      prefix + "the stream from " + calls_.endpoint.shown_url + " stalled " +
                          (delivered ? Progress(*response_) : "before the reply began") + ": nothing for " +
                          Seconds(options.idle_timeout));
      case Ending::kShutdown:
      case Ending::kNone:
        break;
    }
    return ShuttingDown();
  }

  // The end of an attempt curl finished. Sets `retry_in` when the failure may be retried (nothing
  // reached the caller).
  Result<ChatResult> AttemptOutcome(CURLcode code, const std::string& curl_error, std::optional<milliseconds>& retry_in) {
    OpenAiResponse& response = *response_;
    const std::string prefix = calls_.Prefix();
    const std::string& url = calls_.endpoint.shown_url;
    const bool delivered = response.delivered_chunks > 0;
    if (response.stopped_by_string) return Finished();
    if (response.stream_failure) {
      const Status& failure = *response.stream_failure;
      if (delivered) return Status(StatusCode::kInternal, prefix + "stream cut " + Progress(response) + ": " + failure.message());
      return Status(StatusCode::kUnavailable, prefix + url + ": " + failure.message());
    }
    if (code != CURLE_OK) {
      if (delivered) return Status(StatusCode::kInternal, prefix + "stream cut " + Progress(response) + ": " + curl_error);
      if (IsRetryableCurl(code)) retry_in = calls_.Backoff(attempts_made_ - 1);
      return Status(IsRetryableCurl(code) ? StatusCode::kUnavailable : StatusCode::kInvalidArgument,
                    prefix + "cannot reach " + url + ": " + curl_error);
    }
    if (response.status < 200 || response.status >= 300) {
      const std::string message = ErrorMessageFromBody(response.body);
      if (IsRetryableHttp(response.status)) {
        const std::optional<milliseconds> asked = RetryAfter(response);
        retry_in = asked ? *asked : calls_.Backoff(attempts_made_ - 1);
      }
      return Status(CodeForHttp(response.status), prefix + "HTTP " + std::to_string(response.status) + " from " + url +
                                                      (message.empty() ? "" : ": " + message));
    }
    return response.streaming ? StreamOutcome(retry_in) : WholeOutcome();
  }

  // A 2xx event stream that curl read to its end.
  Result<ChatResult> StreamOutcome(std::optional<milliseconds>& retry_in) {
    OpenAiResponse& response = *response_;
    const std::string prefix = calls_.Prefix();
    const std::string& url = calls_.endpoint.shown_url;
    if (!Consume(response.sse.Finish(), /*watch_cancel=*/false)) {
      if (response.stopped_by_string) return Finished();
      const std::string why = response.stream_failure->message();
      if (response.delivered_chunks > 0) {
        return Status(StatusCode::kInternal, prefix + "stream cut " + Progress(response) + ": " + why);
      }
      return Status(StatusCode::kUnavailable, prefix + url + ": " + why);
    }
    if (!response.decoder.done() && !response.decoder.finish_reason()) {
      if (response.delivered_chunks > 0) {
        return Status(StatusCode::kInternal, prefix + "stream cut " + Progress(response) +
                                                 ": the connection closed before the end of the reply");
      }
      retry_in = calls_.Backoff(attempts_made_ - 1);
      return Status(StatusCode::kUnavailable, prefix + url + " closed the stream before the reply began");
    }
    return Finished();
  }

  // A whole completion: the server did not stream.
  Result<ChatResult> WholeOutcome() {
    OpenAiResponse& response = *response_;
    Result<ChatResult> whole = ParseCompletionBody(response.body);
    if (!whole.ok()) {
      return Status(StatusCode::kUnavailable, calls_.Prefix() + calls_.endpoint.shown_url + ": " + whole.status().message());
    }
    if (!Deliver(response.stops.Push(whole->content))) {
      return Status(StatusCode::kInternal, calls_.Prefix() + response.stream_failure->message());
    }
    response.stopped_by_string = response.stops.stopped();
    ChatResult result = Finished();
    if (!response.stopped_by_string) result.finish_reason = whole->finish_reason;
    result.tool_calls = whole->tool_calls;
    if (!result.tool_calls.empty()) result.finish_reason = FinishReason::kToolCalls;
    if (whole->usage.prompt_tokens > 0 || whole->usage.completion_tokens > 0) result.usage = whole->usage;
    return result;
  }

  void RetryOrFinish(Status error, milliseconds retry_in) {
    const OpenAiProviderOptions& options = calls_.endpoint.options;
    const int attempts = 1 + std::max(options.max_retries, 0);
    if (attempts_made_ >= attempts) {
      if (attempts == 1) return Finish(std::move(error));
      return Finish(Status(error.code(), error.message() + " (after " + std::to_string(attempts) + " attempts)"));
    }
    const milliseconds left = options.total_timeout - milliseconds(Now() - started_ms_);
    if (retry_in >= left) {
      return Finish(Status(error.code(), error.message() + "; a retry in " + Seconds(retry_in) +
                                             " would pass the call's time limit (" + Seconds(options.total_timeout) + ")"));
    }
    if (calls_.shutting_down) return Finish(ShuttingDown());
    // The upstream's own words may echo a credential (a rejected key); logs never carry one.
    spdlog::warn("{}; retrying in {} (attempt {} of {})", RedactSecrets(error.message()), Seconds(retry_in),
                 attempts_made_ + 1, attempts);
    const milliseconds wait = options.retry_delay ? options.retry_delay(retry_in) : retry_in;
    // A timer, not a sleeping thread: the call holds nothing but its state while it waits.
    retry_timer_ = loop_->After(wait, [self = shared_from_this()] {
      self->retry_timer_ = 0;
      if (!self->finished_ && self->ending_ == Ending::kNone) self->StartAttempt();
    });
    if (retry_timer_ == 0) Finish(ShuttingDown());
  }

  ChatResult Finished() {
    OpenAiResponse& response = *response_;
    if (!response.stopped_by_string) Deliver(response.stops.Finish());
    ChatResult result;
    result.content = response.delivered;
    result.tool_calls = response.decoder.tool_calls();
    result.finish_reason = response.stopped_by_string || !response.decoder.finish_reason()
                               ? FinishReason::kStop
                               : FinishReasonFromWire(*response.decoder.finish_reason());
    if (!result.tool_calls.empty()) result.finish_reason = FinishReason::kToolCalls;
    if (const std::optional<Usage>& usage = response.decoder.usage()) {
      result.usage = *usage;
    } else {
      result.usage.prompt_tokens = EstimateChatTokens(request_.messages);
      int64_t completion = EstimateTokens(result.content);
      for (const ToolCall& call : result.tool_calls) completion += EstimateTokens(call.arguments_json) + EstimateTokens(call.name);
      result.usage.completion_tokens = completion;
    }
    const SteadyClock::time_point now = SteadyClock::now();
    result.total_ms = MillisBetween(started_, now);
    result.time_to_first_token_ms = MillisBetween(started_, response.first_delta.value_or(now));
    return result;
  }

  ChatResult CancelledResult(std::string content) const {
    ChatResult result;
    result.content = std::move(content);
    result.finish_reason = FinishReason::kCancelled;
    result.usage.prompt_tokens = EstimateChatTokens(request_.messages);
    result.usage.completion_tokens = EstimateTokens(result.content);
    result.total_ms = MillisBetween(started_, SteadyClock::now());
    result.time_to_first_token_ms = result.total_ms;
    return result;
  }

  Status ShuttingDown() const {
    const bool delivered = response_ && response_->delivered_chunks > 0;
    return Status(StatusCode::kUnavailable, "provider " + calls_.endpoint.options.name + " is shutting down" +
                                                (delivered ? "; the reply was cut " + Progress(*response_) : ""));
  }

  // Every path here comes before an attempt began or after it ended, so no transfer holds easy_.
  void Finish(Result<ChatResult> result) {
    if (finished_) return;
    assert(transfer_ == 0);
    // Dropping the retry timer and leaving in_flight may each let go of a reference to this call.
    const std::shared_ptr<OpenAiCall> keep = shared_from_this();
    finished_ = true;
    loop_->CancelTimer(retry_timer_);
    retry_timer_ = 0;
    loop_->CancelTimer(total_timer_);
    total_timer_ = 0;
    attempt_deadline_.Cancel();
    easy_.reset();
    response_.reset();
    // Moved out so the caller's captures go when the call ends, not when its handle does.
    ChatCallbacks callbacks = std::move(callbacks_);
    calls_.Untrack(this);
    callbacks.on_done(std::move(result));
  }

  OpenAiCalls::State& calls_;
  const std::shared_ptr<CurlLoop> loop_;
  const ChatRequest request_;
  ChatCallbacks callbacks_;
  const SteadyClock::time_point started_ = SteadyClock::now();  // for the durations reported
  const int64_t started_ms_ = calls_.clock.NowMillis();         // for the total time limit
  const Result<std::string> body_;
  std::atomic<bool> cancelled_{false};

  // The loop thread's own.
  EasyHandle easy_;  // kept across attempts
  std::optional<OpenAiResponse> response_;  // the current (or last) attempt's
  char error_text_[CURL_ERROR_SIZE] = {};
  int attempts_made_ = 0;
  CurlLoop::Id transfer_ = 0;       // the attempt in flight
  CurlLoop::Id retry_timer_ = 0;    // the wait before the next attempt
  CurlLoop::Id total_timer_ = 0;    // the call's total_timeout
  AttemptDeadline attempt_deadline_{*loop_, calls_.clock, calls_.endpoint.options};
  Ending ending_ = Ending::kNone;
  bool finished_ = false;
};

}  // namespace

void OpenAiCalls::State::Track(std::shared_ptr<OpenAiCall> call) {
  OpenAiCall* key = call.get();
  in_flight.emplace(key, std::move(call));
  ArmTick();
}

// One timer for all the calls rather than one each, and none while no call is in flight.
void OpenAiCalls::State::ArmTick() {
  if (tick_armed || in_flight.empty()) return;
  tick_armed = loop->After(kCancelPollInterval, [this] {
    tick_armed = false;
    Tick();
  }) != 0;
}

void OpenAiCalls::State::Tick() {
  std::vector<std::shared_ptr<OpenAiCall>> calls;  // a copy: a check may end its call, which leaves the map
  calls.reserve(in_flight.size());
  for (const auto& [key, call] : in_flight) calls.push_back(call);
  for (const std::shared_ptr<OpenAiCall>& call : calls) call->CheckCancelFlag();
  ArmTick();
}

void OpenAiCalls::State::EndAll() {
  shutting_down = true;
  std::vector<std::shared_ptr<OpenAiCall>> calls;
  for (const auto& [key, call] : in_flight) calls.push_back(call);
  for (const std::shared_ptr<OpenAiCall>& call : calls) call->End(Ending::kShutdown);
}

OpenAiCalls::OpenAiCalls(OpenAiEndpoint endpoint) : state_(std::make_unique<State>(std::move(endpoint))) {}

OpenAiCalls::~OpenAiCalls() {
  // The loop runs what is queued before it stops, so every call ends through its usual path; a
  // transfer it removes ends there too.
  State* state = state_.get();
  state->loop->Post([state] { state->EndAll(); });
  state->loop->Shutdown();
}

std::shared_ptr<ChatCall> OpenAiCalls::Start(ChatRequest request, ChatCallbacks callbacks) {
  auto call = std::make_shared<OpenAiCall>(*state_, std::move(request), std::move(callbacks));
  if (!state_->loop->Post([call] { call->Begin(); })) call->Refuse();
  return call;
}

}  // namespace troupe::llm
