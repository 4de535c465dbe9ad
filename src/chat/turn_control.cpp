// A running turn's cancellation and waits (turn_control.h).
#include "chat/turn_control.h"

#include <utility>

namespace troupe::chat::internal {

TurnControl::TurnControl(const Clock& clock, std::function<void(std::function<void()>)> post,
                         const std::atomic<bool>* caller_cancel)
    : clock_(clock), post_(std::move(post)), caller_cancel_(caller_cancel) {}

bool TurnControl::cancelled() const {
  return cancelled_.load() || (caller_cancel_ != nullptr && caller_cancel_->load());
}

void TurnControl::Cancel() {
  cancelled_ = true;
  std::shared_ptr<llm::ChatCall> call;
  std::function<void()> resume;
  {
    std::lock_guard lock(mutex_);
    call = call_.lock();
    // A pause cut short: the continuation runs now instead of when the timer would have fired.
    if (pause_ && clock_.Cancel(*pause_)) {
      pause_.reset();
      resume = std::move(after_pause_);
    }
  }
  if (call) call->Cancel();
  if (resume) post_(std::move(resume));
}

void TurnControl::SetCall(std::shared_ptr<llm::ChatCall> call) {
  {
    std::lock_guard lock(mutex_);
    call_ = call;
  }
  if (call && cancelled()) call->Cancel();
}

void TurnControl::Pause(int64_t delay_ms, std::function<void()> then) {
  std::unique_lock lock(mutex_);
  if (cancelled() || delay_ms <= 0) {
    lock.unlock();
    post_(std::move(then));
    return;
  }
  after_pause_ = std::move(then);
  // The timer holds the control alive through the turn's own references, never past Cancel.
  pause_ = clock_.After(delay_ms, [this] {
    std::function<void()> resume;
    {
      std::lock_guard inner(mutex_);
      pause_.reset();
      resume = std::move(after_pause_);
    }
    if (resume) post_(std::move(resume));
  });
}

}  // namespace troupe::chat::internal
