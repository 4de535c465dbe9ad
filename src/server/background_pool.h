// A fixed set of threads for work that must not run on an I/O thread: streamed chat turns and
// completions, which block while the model generates. Bounded: when `max_queued` tasks wait, Post
// refuses (the route answers 429) instead of letting latency grow without limit.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

namespace troupe::server {

class BackgroundPool {
 public:
  BackgroundPool(int threads, size_t max_queued);
  ~BackgroundPool();  // Stop()s
  BackgroundPool(const BackgroundPool&) = delete;
  BackgroundPool& operator=(const BackgroundPool&) = delete;

  // Queues `task`; false when the queue is full or the pool is stopping. Tasks must not throw
  // (one that does is logged and dropped).
  bool Post(std::function<void()> task);
  // Refuses new tasks, runs what is queued, joins the threads.
  void Stop();

  size_t queued() const;
  size_t running() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace troupe::server
