// A gate test code holds work at until the test opens it, counting who arrived and who left: a way
// to keep requests in flight at a known point without timing.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace troupe::server::testing {

class Gate {
 public:
  // Blocks until Open(); counts the arrival at once and the leaving after.
  void Wait() {
    std::unique_lock lock(mutex_);
    ++arrived_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
    ++left_;
    changed_.notify_all();
  }
  void Open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  // Waits until `count` have arrived; false if they do not within a generous bound (a failure of
  // the test, not a timing assertion).
  bool AwaitArrivals(int count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(60), [&] { return arrived_ >= count; });
  }
  int arrived() {
    std::lock_guard lock(mutex_);
    return arrived_;
  }
  int left() {
    std::lock_guard lock(mutex_);
    return left_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;  // guarded by mutex_
  int arrived_ = 0;    // guarded by mutex_
  int left_ = 0;       // guarded by mutex_
};

}  // namespace troupe::server::testing
