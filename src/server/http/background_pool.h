// A fixed set of threads for work that must not run on an I/O thread: blocking route handlers and
// the producers of streamed replies, which wait while a model generates. Bounded: when
// `max_queued` tasks wait, Post refuses (the route answers 429) instead of letting latency grow
// without limit. The HTTP server owns one and stops it before it lets go of its I/O context, so a
// task may post back to a connection's strand (see HttpServer).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

namespace troupe::server {

class BackgroundPool {
 public:
  // `before_each_task`, when set, runs on the worker thread before every task: a seam for tests
  // that must hold work in flight; production code leaves it empty.
  BackgroundPool(int threads, size_t max_queued, std::function<void()> before_each_task = {});
  ~BackgroundPool();  // Stop()s
  BackgroundPool(const BackgroundPool&) = delete;
  BackgroundPool& operator=(const BackgroundPool&) = delete;

  // Queues `task`; false when the queue is full or the pool is stopping. Thread-safe, also from a
  // task. Tasks must not throw (one that does is logged and dropped).
  bool Post(std::function<void()> task);
  // Refuses new tasks, destroys the queued ones without running them (whoever waited for them is
  // gone), waits for the running ones and joins the threads. Idempotent; must not be called from
  // a task.
  void Stop();

  size_t queued() const;
  size_t running() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace troupe::server
