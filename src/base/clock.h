// Time comes in through this seam so tests can drive it: what time it is, and "run this later".
// Everything that waits (typing pauses between messages, heartbeats, timeouts, retry backoff,
// proactive schedules, rate limits) asks its Clock, so a test with a ManualClock decides when the
// wait is over instead of sleeping and hoping.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

namespace troupe {

class Clock {
 public:
  using TimerId = uint64_t;

  virtual ~Clock() = default;
  // Wall-clock time in milliseconds since the Unix epoch, UTC. Thread-safe.
  virtual int64_t NowMillis() const = 0;

  // Runs `task` once, `delay_ms` (0 or more) from now: on the clock's timer thread (SystemClock)
  // or inside Advance (ManualClock). Tasks must be short and must not block: they hand work on.
  // Thread-safe; returns an id that Cancel takes.
  virtual TimerId After(int64_t delay_ms, std::function<void()> task) const = 0;
  // True when the task was still waiting and now never runs; false when it ran, is running or was
  // cancelled before.
  virtual bool Cancel(TimerId id) const = 0;

  // Blocks the calling thread for `delay_ms` of this clock's time (for threads that own their
  // wait: job workers, the CLI). Returns early, with false, when `stop` becomes true; `stop` is
  // looked at when the wait ends and every `poll_ms` of this clock's time.
  bool SleepFor(int64_t delay_ms, const std::atomic<bool>* stop = nullptr, int64_t poll_ms = 100) const;
};

// Real time. Timers run on one thread per clock, started with the first timer.
class SystemClock final : public Clock {
 public:
  SystemClock();
  ~SystemClock() override;  // timers still waiting are dropped, not run
  SystemClock(const SystemClock&) = delete;
  SystemClock& operator=(const SystemClock&) = delete;

  int64_t NowMillis() const override;
  TimerId After(int64_t delay_ms, std::function<void()> task) const override;
  bool Cancel(TimerId id) const override;

  // A process-wide instance for callers that take no clock of their own.
  static const SystemClock& Instance();

 private:
  struct Timers;
  std::unique_ptr<Timers> timers_;
};

// A clock that only moves when told to. Timers due by the new time run inside Advance/Set, on the
// calling thread, in due order (ties in the order they were set); time steps to each one's due
// time as it runs, so timers they set count from there. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_millis = 1'700'000'000'000);
  ~ManualClock() override;

  int64_t NowMillis() const override;
  TimerId After(int64_t delay_ms, std::function<void()> task) const override;
  bool Cancel(TimerId id) const override;

  void Advance(int64_t millis);
  void Set(int64_t millis);

  // Timers set and not yet run or cancelled.
  size_t pending_timers() const;
  // Waits (in real time, at most `limit_ms`) until at least `count` timers are pending: how a test
  // learns that work on another thread has reached its wait. False when the limit passed first.
  bool WaitForPendingTimers(size_t count, int64_t limit_ms = 30'000) const;
  // Timers set since the clock was made, whether they ran, were cancelled or wait. Code that sets
  // and cancels a timer around each step (a deadline per read) leaves the pending count the same
  // before and after a step; this count tells a test the step happened.
  size_t timers_set() const;
  // Waits (in real time, at most `limit_ms`) until at least `count` timers have been set.
  bool WaitForTimersSet(size_t count, int64_t limit_ms = 30'000) const;

 private:
  struct Timers;
  std::atomic<int64_t> now_;
  std::unique_ptr<Timers> timers_;
};

}  // namespace troupe
