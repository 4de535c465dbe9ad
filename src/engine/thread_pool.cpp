#include "engine/thread_pool.h"

#include <pthread.h>

#include <algorithm>
#include <latch>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace troupe::engine {

namespace {

// About 100-300 microseconds of pause instructions (their latency differs between CPUs): longer
// than the serial work between two loops of a decode step, short enough that an idle model gives
// its cores back at once.
constexpr int kSpinRounds = 1 << 13;

// Chunks per thread a loop is cut into: enough to even out threads that run at different
// speeds, few enough that claiming them (one atomic add each) stays negligible.

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

}  // namespace

ThreadPool::ThreadPool(int threads, const std::function<void()>& prepare_worker) {
  const int workers = std::max(threads, 1) - 1;
  workers_.reserve(static_cast<size_t>(workers));
  std::latch prepared(workers);
  for (int i = 0; i < workers; ++i) {
    workers_.emplace_back([this, i, &prepare_worker, &prepared] {
      // Named so `top -H` tells the engine's compute threads from the server's.
      pthread_setname_np(pthread_self(), "engine-worker");
      if (prepare_worker) prepare_worker();
      prepared.count_down();  // the last use of the constructor's locals
      WorkerLoop(static_cast<size_t>(i) + 1);
    });
  }
  prepared.wait();
}

ThreadPool::~ThreadPool() {
  stopping_.store(true);
  generation_.fetch_add(1);
  generation_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::RunChunks() {
  // Threads claim chunks until none is left, so one slowed by another process (or by more
  // expensive indices) does not hold the others up; chunk boundaries depend only on count_ and
  // the thread count, so the results do not depend on which thread ran which chunk.
  while (true) {
    const size_t chunk = next_chunk_.fetch_add(1, std::memory_order_relaxed);
    if (chunk >= chunks_) return;
    const size_t begin = count_ * chunk / chunks_;
    const size_t end = count_ * (chunk + 1) / chunks_;
    if (begin == end) continue;
    try {
      (*work_)(begin, end);
    } catch (...) {
      std::lock_guard lock(error_mutex_);
      if (!error_) error_ = std::current_exception();
    }
  }
}

void ThreadPool::ParallelFor(size_t count, RangeFunctionRef work, size_t chunks_per_thread) {
  if (count == 0) return;
  const size_t parts = std::min(count, static_cast<size_t>(size()));
  if (parts == 1) {
    work(0, count);
    return;
  }
  count_ = count;
  parts_ = parts;
  chunks_ = std::min(count, parts * std::max<size_t>(chunks_per_thread, 1));
  next_chunk_.store(0, std::memory_order_relaxed);
  work_ = &work;
  // Every worker reports, even one without a part, so none can still be reading this loop's
  // fields when the next ParallelFor writes them.
  pending_.store(workers_.size(), std::memory_order_relaxed);
  // seq_cst store then seq_cst load of parked_: a worker that counted itself parked before this
  // load is woken; one that counts itself later re-reads generation_ and sees the new value.
  generation_.fetch_add(1);
  if (parked_.load() > 0) generation_.notify_all();
  RunChunks();
  // A worker descheduled by another process would make a pure spin burn this core for nothing.
  for (int round = 0; pending_.load(std::memory_order_acquire) != 0; ++round) {
    if (round < kSpinRounds) {
      CpuRelax();
    } else {
      std::this_thread::yield();
    }
  }
  work_ = nullptr;
  std::exception_ptr error;
  {
    std::lock_guard lock(error_mutex_);
    error = std::exchange(error_, nullptr);
  }
  if (error) std::rethrow_exception(error);
}

uint32_t ThreadPool::AwaitGeneration(uint32_t seen) {
  for (int round = 0; round < kSpinRounds; ++round) {
    const uint32_t now = generation_.load(std::memory_order_acquire);
    if (now != seen) return now;
    CpuRelax();
  }
  parked_.fetch_add(1);
  uint32_t now = generation_.load();
  while (now == seen) {
    generation_.wait(seen);
    now = generation_.load();
  }
  parked_.fetch_sub(1);
  return now;
}

void ThreadPool::WorkerLoop(size_t worker_index) {
  uint32_t seen = 0;
  while (true) {
    seen = AwaitGeneration(seen);
    if (stopping_.load()) return;
    if (worker_index < parts_) RunChunks();
    pending_.fetch_sub(1, std::memory_order_release);
  }
}

}  // namespace troupe::engine
