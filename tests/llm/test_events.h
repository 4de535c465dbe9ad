// What tests of asynchronous code wait on: events counted as they happen on another thread, and
// the process's thread count (to show that work in flight holds no thread).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <mutex>

namespace troupe::testing {

class Events {
 public:
  // Notifies under the lock: once a waiter has seen the count it may destroy this at once, while
  // a notify after the unlock could still be running.
  void Add() {
    std::lock_guard lock(mutex_);
    ++count_;
    changed_.notify_all();
  }

  // Waits until `count` events in all have happened. false only when they never come: the limit
  // guards against a hung test, it is no timing check.
  bool WaitUntil(size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::minutes(2), [&] { return count_ >= count; });
  }

  size_t count() const {
    std::lock_guard lock(mutex_);
    return count_;
  }

 private:
  mutable std::mutex mutex_;  // guards count_
  std::condition_variable changed_;
  size_t count_ = 0;
};

// The threads of this process now.
inline size_t ThreadCount() {
  size_t count = 0;
  for ([[maybe_unused]] const auto& task : std::filesystem::directory_iterator("/proc/self/task")) ++count;
  return count;
}

}  // namespace troupe::testing
