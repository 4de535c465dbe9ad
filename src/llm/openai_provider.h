// A provider that talks to any OpenAI-compatible chat completions endpoint over HTTP (libcurl):
// OpenAI, Azure OpenAI, llama.cpp's server, vLLM, Ollama, LM Studio, another Troupe.
//
// Every request streams (`stream: true` with `stream_options.include_usage`) and is read as
// server-sent events, so deltas reach the caller as they arrive. Stop strings are also enforced
// here, since OpenAI takes at most four and some servers ignore them. A server that answers with a
// whole JSON completion instead of a stream is understood too.
//
// Failures: 408, 409, 429, 5xx and connection failures are retried with exponential backoff and
// jitter (Retry-After / retry-after-ms honoured) but only while nothing has reached the caller;
// once a delta was delivered, a cut, stalled or garbled stream ends the call with an error that
// names the provider and how far the reply got (kInternal, or kDeadlineExceeded for a stall).
// Final status mapping: 400/422 and other 4xx -> kInvalidArgument, 401 -> kUnauthenticated,
// 403 -> kPermissionDenied, 404 -> kNotFound, 408 -> kDeadlineExceeded, 413 -> kPayloadTooLarge,
// 429 -> kResourceExhausted, 409/5xx/unreachable -> kUnavailable, timeouts -> kDeadlineExceeded;
// the server's own error message is part of the text.
//
// Threads: each provider runs one event loop thread (curl_loop.h) that drives all its calls with
// curl multi; a call in flight is a transfer and a little state, not a thread, so a thousand
// streamed calls cost one thread. Deltas and on_done run on that thread. Retry backoff and the
// first-token, idle and total timeouts are timers on the loop, measured on the options' Clock,
// never a sleep; the request's cancel flag is checked on every delta and on a 100 ms tick of that
// clock; ChatCall::Cancel ends the call at once.
// A cancelled call's connection is closed (over HTTP/2, its stream reset), so the upstream sees
// the client leave. Start may be called from any number of threads; connections left open are
// reused by later calls (keep-alive). Destroying the provider ends the calls still in flight with
// kUnavailable, each on_done having run when the destructor returns.
//
// One loop per provider rather than one for the process: a provider's destructor then ends
// exactly its own calls, and there are only as many providers as configured endpoints.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "llm/provider.h"

namespace troupe::llm {

struct OpenAiProviderOptions {
  std::string name = "openai";
  // The API root: "https://api.openai.com/v1", "http://127.0.0.1:11434/v1", or an Azure
  // deployment "https://X.openai.azure.com/openai/deployments/D" (with api_version). Requests go
  // to base_url + "/chat/completions".
  std::string base_url;
  std::string api_key;  // sent as "Authorization: Bearer KEY" (Azure: "api-key: KEY"); "" = none
  std::string model;    // the body's "model"; "" = omitted (servers with one model ignore it)
  // Azure OpenAI: set to send "?api-version=..." and the api-key header.
  std::string api_version;

  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds first_token_timeout{60'000};  // from sending a request to its first delta
  std::chrono::milliseconds idle_timeout{60'000};         // between two chunks of a stream
  std::chrono::milliseconds total_timeout{600'000};       // the whole call, retries included
  int max_retries = 2;  // further attempts after the first
  std::chrono::milliseconds backoff_base{500};  // first retry waits about this, doubling each time
  std::chrono::milliseconds max_backoff{30'000};
  int64_t context_length = 8192;  // tokens the remote model takes, for prompt trimming

  // Given the wait a retry asks for (backoff, or the server's Retry-After), returns the wait to
  // use; unset waits as asked. Runs on the loop thread. Tests record the request and return 0.
  std::function<std::chrono::milliseconds(std::chrono::milliseconds requested)> retry_delay;
  // Measures the timeouts above (connect_timeout aside: curl keeps that), the retry waits and the
  // cancel-flag tick; null is SystemClock::Instance(). Must outlive the provider.
  const Clock* clock = nullptr;
};

// Checks the options (an http:// or https:// base_url, positive timeouts) and makes the provider.
// kInvalidArgument naming the option otherwise.
Result<std::unique_ptr<Provider>> MakeOpenAiProvider(OpenAiProviderOptions options);

// The estimate remote providers use for token counts: about four bytes per token, rounded up.
int64_t EstimateTokens(std::string_view text);

}  // namespace troupe::llm
