// A fixed set of persistent worker threads that split loops of the forward pass between them.
//
// ParallelFor(count, work) cuts [0, count) into at most size() contiguous ranges, runs one on the
// calling thread and the others on the workers, and returns when every range is done. The cut
// depends only on `count` and size(), so a kernel that computes each index on its own gives the
// same bits whatever the thread count. No thread is created after construction.
//
// Thread safety: ParallelFor is not re-entrant and must not be called from two threads at once
// (the Transformer that owns the pool is single-caller). An exception thrown by `work` is
// rethrown to the caller after every range has finished.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace troupe::engine {

class ThreadPool {
 public:
  // `threads` >= 1 counts the calling thread: threads - 1 workers are started.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls work(begin, end) for disjoint ranges covering [0, count).
  void ParallelFor(size_t count, const std::function<void(size_t begin, size_t end)>& work);

 private:
  void WorkerLoop(size_t worker_index);
  void RunPart(size_t part);

  std::vector<std::thread> workers_;
  std::mutex mutex_;  // guards every member below
  std::condition_variable wake_workers_;
  std::condition_variable parts_done_;
  uint64_t generation_ = 0;  // bumped once per ParallelFor
  bool stopping_ = false;
  size_t pending_ = 0;       // worker parts still running in this generation
  size_t count_ = 0;
  size_t parts_ = 0;
  const std::function<void(size_t, size_t)>* work_ = nullptr;
  std::exception_ptr error_;
};

}  // namespace troupe::engine
