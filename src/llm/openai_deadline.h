// The deadline of one attempt of an OpenAI-compatible call: its first token within
// first_token_timeout of its start and, once bytes flow, the next bytes within idle_timeout of the
// last. Both are kept by one timer on the call's loop, measured on the provider's Clock, set for
// the nearer; private to openai_call.cpp.
#pragma once

#include <cstdint>
#include <functional>

#include "base/clock.h"
#include "llm/curl_loop.h"
#include "llm/openai_provider.h"
#include "llm/openai_response.h"

namespace troupe::llm {

class AttemptDeadline {
 public:
  enum class Passed { kNone, kFirstToken, kIdle };

  // The loop, the clock and the options must outlive this.
  AttemptDeadline(CurlLoop& loop, const Clock& clock, const OpenAiProviderOptions& options)
      : loop_(loop), clock_(clock), options_(options) {}

  // The loop thread's, like every method. Sets the timer for the nearer deadline of `response`,
  // unless one is set for sooner already: a timer that fires early is simply set again, so a
  // stream costs a timer per idle period rather than one per chunk. `on_due` runs on the loop when
  // it fires and asks HasPassed() what, if anything, has passed.
  void Arm(const OpenAiResponse& response, std::function<void()> on_due);
  // Which deadline of `response` has passed by now (the first token's is named first).
  Passed HasPassed(const OpenAiResponse& response) const;
  void Cancel();

 private:
  // When `response` must next show progress, on the clock; none (INT64_MAX) without a deadline.
  int64_t NextDue(const OpenAiResponse& response) const;

  CurlLoop& loop_;
  const Clock& clock_;
  const OpenAiProviderOptions& options_;
  CurlLoop::Id timer_ = 0;
  int64_t timer_due_ = 0;  // on the clock, while timer_ is set
};

}  // namespace troupe::llm
