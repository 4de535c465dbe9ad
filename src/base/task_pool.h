// A fixed set of threads that run queued tasks: the server's handlers and the chat runtime's turn
// steps run on pools, never on an I/O thread, a provider's thread or a timer's. A pool may be
// bounded: when `max_queued` tasks wait, Post refuses (the caller answers 429) instead of letting
// latency grow without limit; 0 means unbounded, for continuations of work already accepted,
// which must not be dropped.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace troupe {

class TaskPool {
 public:
  // `name` labels the pool's log lines. `before_each_task`, when set, runs on the worker thread
  // before every task: a seam for tests that must hold work in flight; production code leaves it
  // empty.
  TaskPool(std::string name, int threads, size_t max_queued, std::function<void()> before_each_task = {});
  ~TaskPool();  // Stop(kDrop)s
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  // Queues `task`; false when the queue is full or the pool is stopping. Thread-safe, also from a
  // task. Tasks must not throw (one that does is logged and dropped).
  bool Post(std::function<void()> task);

  enum class StopMode {
    kDrop,   // queued tasks are destroyed without running (whoever waited for them is gone)
    kDrain,  // queued tasks run, and so do tasks they post, until the queue is empty
  };
  // Refuses new tasks from outside, handles the queue as `mode` says, waits for the running
  // tasks and joins the threads. Idempotent; must not be called from a task.
  void Stop(StopMode mode = StopMode::kDrop);

  size_t queued() const;
  size_t running() const;
  int threads() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace troupe
