// A timer on a troupe::Clock for code on an Asio strand: read and write deadlines, SSE heartbeats,
// the shutdown grace. The server's waits go through the Clock rather than Asio's steady timers so a
// test with a ManualClock decides when a deadline passes. Private to src/server.
//
// The Clock runs its task on its own thread (or inside ManualClock::Advance); the task only posts
// to the strand, where the work is done. The timer's state is shared with that task and that post,
// never referred to by a raw pointer, so a timer destroyed first leaves them nothing to touch.
#pragma once

#include <utility>  // Boost 1.74 Asio uses std::exchange without including <utility>.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>

#include "base/clock.h"

namespace troupe::server {

class ClockTimer {
 public:
  // `executor` is the strand every method is called on and every `on_fire` runs on. The clock must
  // outlive the timer.
  ClockTimer(const Clock& clock, boost::asio::any_io_executor executor);
  // Cancels. From any thread: once it returns, `on_fire` has finished and will not run again.
  ~ClockTimer();
  ClockTimer(const ClockTimer&) = delete;
  ClockTimer& operator=(const ClockTimer&) = delete;

  // Runs `on_fire` on the strand once `delay` of the clock's time has passed, unless Cancel() or
  // another Arm() comes first (then it never runs). `on_fire` must be short and must not Arm or
  // Cancel this timer.
  void Arm(std::chrono::milliseconds delay, std::function<void()> on_fire);
  void Cancel();

  // Waits, holding no thread, until `delay` of the clock's time has passed (true) or Wake() ends
  // the wait first (false). One wait at a time, on the strand.
  boost::asio::awaitable<bool> Wait(std::chrono::milliseconds delay);
  // Waits, holding no thread, until Wake(); time plays no part (an armed timer may call Wake).
  boost::asio::awaitable<void> WaitForWake();
  // Ends the Wait or WaitForWake in progress. With none in progress it does nothing, so look at what is waited
  // for before waiting (a Wake posted to the strand meanwhile runs after the wait has begun).
  void Wake();

 private:
  struct Shared;
  const Clock& clock_;
  std::shared_ptr<Shared> shared_;
  boost::asio::steady_timer signal_;  // never expires: Wait sleeps on it until it is cancelled
  bool fired_ = false;                // the strand's: the last Wait ended by time, not by Wake
};

}  // namespace troupe::server
