// One thread drives many libcurl transfers at once through a curl multi handle, so a thousand
// transfers in flight cost a thousand sockets and easy handles but no thread each. Its owner hands
// it configured easy handles and learns through a callback how each one ended; it can end a
// transfer early, run a task on the loop thread, and set timers there (a retry's backoff, a
// deadline) instead of sleeping on a thread. Timers are measured on a troupe::Clock, so a test with
// a ManualClock decides when they fire; curl's own timeouts (connecting, its internal waits) stay
// on real time.
//
// Threads: every callback given here (transfer done, timer, task) and the curl callbacks of the
// easy handles in flight run on the loop thread, one at a time; they must not block or throw.
// Every method is thread-safe and returns at once: the change is queued and the loop woken
// (curl_multi_wakeup), and it takes effect in the order asked. The multi handle keeps the
// connections its transfers leave open and reuses them (keep-alive).
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "base/clock.h"

namespace troupe::llm {

class CurlLoop {
 public:
  enum class End {
    kFinished,  // curl finished the transfer; the CURLcode says how (CURLE_OK or the failure)
    kRemoved,   // Remove ended it first: its connection closed (over HTTP/2, its stream reset)
    kStopped,   // the loop shut down while it was in flight
  };
  using TransferDone = std::function<void(End end, CURLcode code)>;
  using Id = uint64_t;  // of a transfer or a timer; never 0

  // Starts the loop thread. `clock` measures the timers and must outlive Shutdown(); the loop does
  // not touch it after.
  explicit CurlLoop(const Clock& clock = SystemClock::Instance());
  ~CurlLoop();  // Shutdown()
  CurlLoop(const CurlLoop&) = delete;
  CurlLoop& operator=(const CurlLoop&) = delete;

  // Starts a transfer of `easy` (configured, in no multi handle). The caller keeps the handle
  // alive and leaves it alone until `done` has run, exactly once; by then the handle is out of the
  // multi handle and may be reset, reused or cleaned up. Once the loop has stopped: returns 0 and
  // `done` never runs.
  Id Add(CURL* easy, TransferDone done);
  // Ends a transfer early: done(kRemoved) runs, unless the transfer had ended already (then
  // nothing happens).
  void Remove(Id transfer);

  // Runs `fire` on the loop thread once `delay` of the clock's time has passed (a delay of 0 or
  // less at once, without asking the clock). Called on the loop thread, the clock's timer is set
  // before it returns; from another thread, when the loop gets to it. Timers due together fire in the order the clock runs
  // them, which for both clocks is due order. Once the loop has stopped: returns 0 and `fire` is
  // dropped.
  Id After(std::chrono::milliseconds delay, std::function<void()> fire);
  // Drops the timer unrun. From the loop thread this holds even for a timer already due; from
  // another thread a due timer may fire before the cancellation arrives.
  void CancelTimer(Id timer);

  // Runs `task` on the loop thread soon. false (the task dropped unrun) once the loop has stopped.
  bool Post(std::function<void()> task);

  // Stops the loop: the work already queued (tasks, additions, removals) is done first, then every
  // transfer still in flight ends with done(kStopped) and timers not yet due are dropped unrun;
  // returns when the thread has ended. Idempotent; call it from one thread, never the loop's own.
  void Shutdown();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace troupe::llm
