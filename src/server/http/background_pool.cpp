#include "server/http/background_pool.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

namespace troupe::server {

struct BackgroundPool::State {
  size_t max_queued = 0;
  std::function<void()> before_each_task;
  mutable std::mutex mutex;
  std::condition_variable ready;
  std::deque<std::function<void()>> queue;  // guarded by mutex
  size_t running = 0;                        // guarded by mutex
  bool stopping = false;                     // guarded by mutex
  std::vector<std::thread> threads;

  void Work() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex);
        ready.wait(lock, [&] { return stopping || !queue.empty(); });
        if (stopping) return;  // Stop() destroys what is still queued
        task = std::move(queue.front());
        queue.pop_front();
        ++running;
      }
      try {
        if (before_each_task) before_each_task();
        task();
      } catch (const std::exception& error) {
        spdlog::error("a background task threw: {}", error.what());
      } catch (...) {
        spdlog::error("a background task threw a non-exception");
      }
      std::lock_guard lock(mutex);
      --running;
    }
  }
};

BackgroundPool::BackgroundPool(int threads, size_t max_queued, std::function<void()> before_each_task)
    : state_(std::make_unique<State>()) {
  state_->max_queued = max_queued;
  state_->before_each_task = std::move(before_each_task);
  for (int i = 0; i < std::max(threads, 1); ++i) {
    state_->threads.emplace_back([state = state_.get()] { state->Work(); });
  }
}

BackgroundPool::~BackgroundPool() { Stop(); }

bool BackgroundPool::Post(std::function<void()> task) {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->stopping || state_->queue.size() >= state_->max_queued) return false;
    state_->queue.push_back(std::move(task));
  }
  state_->ready.notify_one();
  return true;
}

void BackgroundPool::Stop() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
    dropped.swap(state_->queue);
  }
  state_->ready.notify_all();
  // Outside the lock: a task's captures may post to the I/O context or release a stream.
  dropped.clear();
  for (std::thread& thread : state_->threads) {
    if (thread.joinable()) thread.join();
  }
  state_->threads.clear();
}

size_t BackgroundPool::queued() const {
  std::lock_guard lock(state_->mutex);
  return state_->queue.size();
}

size_t BackgroundPool::running() const {
  std::lock_guard lock(state_->mutex);
  return state_->running;
}

}  // namespace troupe::server
