#include "engine/thread_pool.h"

#include <algorithm>

namespace troupe::engine {

ThreadPool::ThreadPool(int threads) {
  const int workers = std::max(threads, 1) - 1;
  workers_.reserve(static_cast<size_t>(workers));
  for (int i = 0; i < workers; ++i) {
    workers_.emplace_back([this, i] { WorkerLoop(static_cast<size_t>(i) + 1); });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_workers_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::RunPart(size_t part) {
  // Ranges differ in length by at most one index; part p starts after p * count / parts.
  const size_t begin = count_ * part / parts_;
  const size_t end = count_ * (part + 1) / parts_;
  if (begin == end) return;
  try {
    (*work_)(begin, end);
  } catch (...) {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = std::current_exception();
  }
}

void ThreadPool::ParallelFor(size_t count,
                             const std::function<void(size_t begin, size_t end)>& work) {
  if (count == 0) return;
  const size_t parts = std::min(count, static_cast<size_t>(size()));
  if (parts == 1) {
    work(0, count);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    count_ = count;
    parts_ = parts;
    work_ = &work;
    error_ = nullptr;
    pending_ = parts - 1;
    ++generation_;
  }
  wake_workers_.notify_all();
  RunPart(0);
  std::exception_ptr error;
  {
    std::unique_lock lock(mutex_);
    parts_done_.wait(lock, [this] { return pending_ == 0; });
    work_ = nullptr;
    error = error_;
    error_ = nullptr;
  }
  if (error) std::rethrow_exception(error);
}

void ThreadPool::WorkerLoop(size_t worker_index) {
  uint64_t seen_generation = 0;
  while (true) {
    size_t parts = 0;
    {
      std::unique_lock lock(mutex_);
      wake_workers_.wait(lock, [&] { return stopping_ || generation_ != seen_generation; });
      if (stopping_) return;
      seen_generation = generation_;
      parts = parts_;
    }
    // A worker whose index has no part this time still reports, so pending_ counts parts, not
    // workers: only workers below `parts` were counted.
    if (worker_index >= parts) continue;
    RunPart(worker_index);
    {
      std::lock_guard lock(mutex_);
      --pending_;
    }
    parts_done_.notify_one();
  }
}

}  // namespace troupe::engine
