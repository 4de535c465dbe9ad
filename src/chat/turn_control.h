// Internal to the chat runtime: one running turn's cancellation and waits. A turn waits without a
// thread in two places, on its provider call and on a typing pause, and both end early when the
// turn is cancelled (the client left, the server is shutting down): the call is cancelled, and a
// pending pause is cut short so what was written gets stored at once.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "base/clock.h"
#include "chat/runtime.h"
#include "llm/provider.h"

namespace troupe::chat::internal {

class TurnControl final : public TurnHandle {
 public:
  // `post` hands a continuation to the runtime's workers.
  TurnControl(const Clock& clock, std::function<void(std::function<void()>)> post,
              const std::atomic<bool>* caller_cancel = nullptr);

  void Cancel() override;
  // Cancelled through Cancel, or through the caller's flag (TurnOptions::cancel).
  bool cancelled() const;
  // Set by Cancel (not by the caller's flag): for blocking calls that poll a flag (reply media).
  const std::atomic<bool>& cancel_flag() const { return cancelled_; }

  // The provider call in flight, so Cancel reaches it. Cancels it at once when already cancelled.
  void SetCall(std::shared_ptr<llm::ChatCall> call);
  // Runs `then` on a worker after `delay_ms` of the clock, or as soon as the turn is cancelled.
  void Pause(int64_t delay_ms, std::function<void()> then);

 private:
  const Clock& clock_;
  std::function<void(std::function<void()>)> post_;
  const std::atomic<bool>* caller_cancel_;
  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;
  // Weak: the provider holds a call while it runs, and the call's callbacks hold the turn.
  std::weak_ptr<llm::ChatCall> call_;         // guarded by mutex_
  std::optional<Clock::TimerId> pause_;       // guarded by mutex_
  std::function<void()> after_pause_;         // guarded by mutex_
};

// A running turn's own pieces, shared by its steps.
struct TurnJob {
  TurnOptions options;
  TurnSink sink;
  // A posted message's reply: the message it answers, whose effect on the conversation's state the
  // turn writes with its own. When a later message is already waiting when the reply's turn comes,
  // the reply is left to that message's turn, which answers both.
  std::optional<store::Message> posted;
  std::shared_ptr<TurnControl> control;
  // Reports the outcome to the caller and frees the conversation's queue for its next turn. Once.
  std::function<void(Result<TurnOutcome>)> finish;
};

}  // namespace troupe::chat::internal
