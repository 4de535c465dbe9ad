#include "llm/openai_deadline.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <utility>

namespace troupe::llm {

namespace {
constexpr int64_t kNoDeadline = std::numeric_limits<int64_t>::max();
}  // namespace

int64_t AttemptDeadline::NextDue(const OpenAiResponse& response) const {
  int64_t due = kNoDeadline;
  if (!response.ReplyStarted()) due = response.started_ms + options_.first_token_timeout.count();
  if (response.any_byte) due = std::min(due, response.last_byte_ms + options_.idle_timeout.count());
  return due;
}

void AttemptDeadline::Arm(const OpenAiResponse& response, std::function<void()> on_due) {
  const int64_t due = NextDue(response);
  if (due == kNoDeadline) return;
  if (timer_ != 0 && timer_due_ <= due) return;
  Cancel();
  timer_due_ = due;
  // `this` outlives the timer: on_due holds the call this belongs to, and the call cancels it.
  timer_ = loop_.After(std::chrono::milliseconds(due - clock_.NowMillis()), [this, on_due = std::move(on_due)] {
    timer_ = 0;
    on_due();
  });
}

AttemptDeadline::Passed AttemptDeadline::HasPassed(const OpenAiResponse& response) const {
  const int64_t now = clock_.NowMillis();
  if (!response.ReplyStarted() && now - response.started_ms >= options_.first_token_timeout.count()) {
    return Passed::kFirstToken;
  }
  if (response.any_byte && now - response.last_byte_ms >= options_.idle_timeout.count()) return Passed::kIdle;
  return Passed::kNone;
}

void AttemptDeadline::Cancel() {
  loop_.CancelTimer(timer_);
  timer_ = 0;
}

}  // namespace troupe::llm
