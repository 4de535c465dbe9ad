// The calls of one OpenAI-compatible provider, all driven by one CurlLoop (curl_loop.h): a call is
// a small state object whose attempts are libcurl transfers on the loop, whose retries and
// deadlines are loop timers on the provider's Clock, and whose cancel flags are checked on every
// delta and on a 100 ms tick, so a call in flight holds no thread. openai_provider.h states the behaviour (retries,
// timeouts, status mapping, messages); this is how it is carried out.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "llm/openai_provider.h"
#include "llm/provider.h"

namespace troupe::llm {

// Where the calls go and how; fixed for the provider's life.
struct OpenAiEndpoint {
  OpenAiProviderOptions options;  // as checked by MakeOpenAiProvider
  std::string url;                // base_url + "/chat/completions" (+ "?api-version=...")
  std::string shown_url;          // url with any credentials hidden, for messages and logs
};

class OpenAiCalls {
 public:
  explicit OpenAiCalls(OpenAiEndpoint endpoint);  // starts the loop thread
  // Ends every call still in flight with kUnavailable ("shutting down"; deltas already delivered
  // stay delivered), each on_done having run when it returns, and ends the loop thread. A ChatCall
  // handle kept after this still takes Cancel, which then does nothing.
  ~OpenAiCalls();
  OpenAiCalls(const OpenAiCalls&) = delete;
  OpenAiCalls& operator=(const OpenAiCalls&) = delete;

  // Provider::Start: thread-safe, returns at once; the call's callbacks run on the loop thread
  // (on the caller's only when the provider is already shutting down).
  std::shared_ptr<ChatCall> Start(ChatRequest request, ChatCallbacks callbacks);

  struct State;  // what the calls share; named here only so the .cpp's call class can refer to it

 private:
  std::unique_ptr<State> state_;
};

}  // namespace troupe::llm
