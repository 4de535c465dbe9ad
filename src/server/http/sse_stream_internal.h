// The side of SseStream that only the server's connection code uses.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "server/http/sse_stream.h"

namespace troupe::server {

struct SseStream::State {
  explicit State(std::size_t max_bytes) : max_queued_bytes(max_bytes) {}

  // Called by the connection once it starts writing: `wake` is invoked (under the mutex, so it
  // must only post) whenever something new is queued, the producer closes, or the stream is
  // cancelled.
  void Attach(std::function<void()> wake);
  // Moves the queued chunks into `out`; returns true when the producer has closed and nothing
  // more will come.
  bool TakePending(std::deque<std::string>& out);
  // Cancels the stream (idempotent) and runs the cancel callbacks outside the lock.
  void Cancel(const std::string& reason);
  // The connection is done with the stream: no more wakes, later Sends return false.
  void Detach();

  bool Enqueue(std::string chunk);

  const std::size_t max_queued_bytes;
  std::atomic<bool> cancelled{false};

  std::mutex mutex;
  std::deque<std::string> pending;         // guarded by mutex
  std::size_t pending_bytes = 0;           // guarded by mutex
  bool closed = false;                     // guarded by mutex: the producer called Close()
  bool detached = false;                   // guarded by mutex
  std::string reason;                      // guarded by mutex
  std::function<void()> wake;              // guarded by mutex
  std::vector<std::function<void()>> on_cancel;  // guarded by mutex
};

}  // namespace troupe::server
