// What one HTTP attempt of an OpenAI-compatible call has received (its status, the headers that
// matter, the body decoded as an event stream or kept whole, the reply text passed on so far),
// and what a status or a libcurl failure means: which StatusCode, whether another attempt may
// help, how long the server asks to wait. No I/O here: openai_call.cpp feeds it.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "llm/openai_stream.h"
#include "llm/stream_text.h"

namespace troupe::llm {

struct OpenAiResponse {
  // For the time to first token, a measurement: monotonic and finer than a millisecond.
  using SteadyClock = std::chrono::steady_clock;

  // `now_ms`: the provider's troupe::Clock when the attempt began, from which its deadlines count.
  OpenAiResponse(std::vector<std::string> stop_strings, int64_t now_ms)
      : stops(std::move(stop_strings)), started_ms(now_ms), last_byte_ms(now_ms) {}

  StopStringFilter stops;
  SseParser sse;
  ChatStreamDecoder decoder;

  // The headers, reset at every status line (a 100 Continue is followed by another).
  std::string content_type;  // lower-cased
  std::string retry_after;
  std::string retry_after_ms;
  bool body_started = false;
  bool streaming = false;  // a 2xx event stream (else the body is kept whole)
  long status = 0;
  std::string body;

  std::string delivered;  // reply text that reached the caller
  int delivered_chunks = 0;
  std::optional<SteadyClock::time_point> first_delta;
  bool stopped_by_string = false;
  std::optional<Status> stream_failure;  // why a callback refused the stream

  // On the provider's troupe::Clock (milliseconds), which decides the first-token and idle deadlines.
  int64_t started_ms;
  int64_t last_byte_ms;
  bool any_byte = false;

  // Whether the model has begun its reply (a token of any kind, or a whole non-streamed body).
  bool ReplyStarted() const { return decoder.saw_tokens() || (body_started && !streaming); }
  // One header line as curl hands it over (with its line end).
  void TakeHeaderLine(std::string_view line);
};

// The wait a 429/503 asks for: retry-after-ms, else Retry-After in seconds or as an HTTP date.
std::optional<std::chrono::milliseconds> RetryAfter(const OpenAiResponse& response);
// "after 12 chunks (57 bytes of reply)"
std::string Progress(const OpenAiResponse& response);

// 408, 409, 429 and 5xx.
bool IsRetryableHttp(long status);
// The final mapping openai_provider.h states (401 -> kUnauthenticated, ... other 4xx ->
// kInvalidArgument, 5xx -> kUnavailable).
StatusCode CodeForHttp(long status);
// Connection failures worth another attempt; not the ones that would fail the same way again (a
// bad URL, a certificate that does not verify).
bool IsRetryableCurl(CURLcode code);

}  // namespace troupe::llm
