// A fixed set of threads running queued tasks (task_pool.h).
#include "base/task_pool.h"

#include "base/thread_name.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

namespace troupe {

struct TaskPool::State {
  std::string name;
  size_t max_queued = 0;  // 0: unbounded
  std::function<void()> before_each_task;
  mutable std::mutex mutex;
  std::condition_variable ready;
  std::deque<std::function<void()>> queue;  // guarded by mutex
  size_t running = 0;                        // guarded by mutex
  bool stopping = false;                     // guarded by mutex
  bool draining = false;                     // guarded by mutex: tasks may still post
  std::vector<std::thread> threads;
  std::atomic<int> thread_count{0};

  void Work() {
    NameCurrentThread(name);
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex);
        ready.wait(lock, [&] { return stopping || !queue.empty(); });
        // Stop(kDrop) has emptied the queue; Stop(kDrain) leaves it to be worked off first.
        if (queue.empty()) return;
        task = std::move(queue.front());
        queue.pop_front();
        ++running;
      }
      try {
        if (before_each_task) before_each_task();
        task();
      } catch (const std::exception& error) {
        spdlog::error("a task of the {} pool threw: {}", name, error.what());
      } catch (...) {
        spdlog::error("a task of the {} pool threw a non-exception", name);
      }
      std::lock_guard lock(mutex);
      --running;
      // A drained pool's last task may have posted nothing more: let idle workers see the end.
      if (stopping && queue.empty()) ready.notify_all();
    }
  }
};

TaskPool::TaskPool(std::string name, int threads, size_t max_queued, std::function<void()> before_each_task)
    : state_(std::make_unique<State>()) {
  state_->name = std::move(name);
  state_->max_queued = max_queued;
  state_->before_each_task = std::move(before_each_task);
  state_->thread_count = std::max(threads, 1);
  for (int i = 0; i < state_->thread_count.load(); ++i) {
    state_->threads.emplace_back([state = state_.get()] { state->Work(); });
  }
}

TaskPool::~TaskPool() { Stop(); }

bool TaskPool::Post(std::function<void()> task) {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->stopping && !state_->draining) return false;
    if (state_->max_queued != 0 && state_->queue.size() >= state_->max_queued) return false;
    state_->queue.push_back(std::move(task));
    // Under the lock: once it is released the task may run and its owner destroy the pool, so
    // nothing of the pool may be touched after.
    state_->ready.notify_one();
  }
  return true;
}

void TaskPool::Stop(StopMode mode) {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
    state_->draining = mode == StopMode::kDrain && state_->thread_count > 0;
    if (!state_->draining) dropped.swap(state_->queue);
  }
  state_->ready.notify_all();
  // Outside the lock: a task's captures may post to the I/O context or release a stream.
  dropped.clear();
  for (std::thread& thread : state_->threads) {
    if (thread.joinable()) thread.join();
  }
  state_->threads.clear();
  std::lock_guard lock(state_->mutex);
  state_->draining = false;
  state_->thread_count = 0;
}

size_t TaskPool::queued() const {
  std::lock_guard lock(state_->mutex);
  return state_->queue.size();
}

size_t TaskPool::running() const {
  std::lock_guard lock(state_->mutex);
  return state_->running;
}

int TaskPool::threads() const { return state_->thread_count.load(); }

}  // namespace troupe
