// A fixed set of persistent worker threads that split loops of the forward pass between them.
//
// ParallelFor(count, work) cuts [0, count) into contiguous chunks (up to 8 per thread, or as asked) that the
// calling thread and the workers claim until none is left, and returns when every chunk is done.
// The cut depends only on `count` and size(); which thread runs a chunk varies, so a kernel must
// compute each index on its own: then it gives the same bits whatever the thread count. No
// thread is created after construction.
//
// A decode step calls ParallelFor a few hundred times, a few microseconds apart, so waking must
// cost no system call: workers spin on an atomic generation counter for a while after each loop
// (kSpinRounds pause instructions) and only then park on it (a futex wait); the caller wakes
// parked workers only when there are some. The caller spins while waiting for the others.
// ParallelFor itself allocates nothing (FunctionRef borrows the callable).
//
// Thread safety: ParallelFor is not re-entrant and must not be called from two threads at once
// (the Transformer that owns the pool is single-caller). An exception thrown by `work` is
// rethrown to the caller after every range has finished.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace troupe::engine {

// A non-owning reference to a callable taking (begin, end): what ParallelFor needs without the
// heap allocation a std::function of a large lambda makes. The callable must outlive the call.
class RangeFunctionRef {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, RangeFunctionRef>>>
  RangeFunctionRef(F&& callable)  // NOLINT(google-explicit-constructor): used like a function
      : object_(const_cast<void*>(static_cast<const void*>(&callable))),
        call_([](void* object, size_t begin, size_t end) {
          (*static_cast<std::remove_reference_t<F>*>(object))(begin, end);
        }) {}
  void operator()(size_t begin, size_t end) const { call_(object_, begin, end); }

 private:
  void* object_;
  void (*call_)(void*, size_t, size_t);
};

class ThreadPool {
 public:
  // `threads` >= 1 counts the calling thread: threads - 1 workers are started. Each worker runs
  // `prepare_worker` (if any) first, and the constructor returns once all have: what a thread
  // keeps for later loops (thread_local scratch) is allocated then, not in the middle of a decode
  // step. It must not throw.
  explicit ThreadPool(int threads, const std::function<void()>& prepare_worker = {});
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // What ParallelFor cuts a loop into by default, per taking thread: enough to even out indices
  // of unequal cost and a thread slowed by another process.
  static constexpr size_t kDefaultChunksPerThread = 8;

  // Calls work(begin, end) for disjoint ranges covering [0, count), cut into at most
  // `chunks_per_thread` ranges per taking thread. One per thread suits loops that stream memory
  // (a decode step's matrix-vector products): each thread reads one long run the hardware
  // prefetcher follows, instead of short runs it must find again.
  void ParallelFor(size_t count, RangeFunctionRef work, size_t chunks_per_thread = kDefaultChunksPerThread);

 private:
  void WorkerLoop(size_t worker_index);
  void RunChunks();
  // Returns the generation after `seen`, spinning then parking; kStopping when shutting down.
  uint32_t AwaitGeneration(uint32_t seen);

  std::vector<std::thread> workers_;
  // Bumped once per ParallelFor (release): publishes count_, parts_ and work_ to the workers.
  std::atomic<uint32_t> generation_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<uint32_t> parked_{0};   // workers blocked in a futex wait on generation_
  std::atomic<size_t> pending_{0};    // workers not yet done with this generation
  size_t count_ = 0;
  size_t parts_ = 0;   // threads taking part in this loop
  size_t chunks_ = 0;  // what [0, count_) is cut into
  std::atomic<size_t> next_chunk_{0};
  const RangeFunctionRef* work_ = nullptr;
  std::mutex error_mutex_;
  std::exception_ptr error_;  // guarded by error_mutex_
};

}  // namespace troupe::engine
