// Where users' messages are stored. A caller hands a message over and goes on with other work; one
// thread stores everything handed over since its last write in one transaction
// (MessageRepository::AppendAllAfterLatest), then tells each caller how its message ended. A burst
// of messages from many connections costs one commit and no hand-off between the callers, instead
// of every caller waiting in turn for the database and then for its commit.
//
// A conversation's messages are stored in the order they were handed over. Each message succeeds or fails alone (its conversation is gone,
// a field is invalid); a commit that fails fails every message of its batch, and none of them is
// reported stored.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include "base/status.h"
#include "store/message_repository.h"

namespace troupe::chat {

class MessageIntake {
 public:
  // Runs once per message, on the intake's thread, after the batch holding it committed (or
  // failed). It must not wait for other messages of the intake.
  using Stored = std::function<void(Result<store::Message>)>;

  // `max_batch`: messages per transaction at most.
  explicit MessageIntake(store::MessageRepository& messages, size_t max_batch = 256);
  ~MessageIntake();  // Close()s
  MessageIntake(const MessageIntake&) = delete;
  MessageIntake& operator=(const MessageIntake&) = delete;

  // Queues `message` to be appended after its conversation's latest message. After Close, `stored`
  // gets kUnavailable at once, on the calling thread. Thread-safe.
  void Submit(store::Message message, Stored stored);

  // Stores what was handed over before it and waits for their callbacks; later Submits are refused.
  // Idempotent; must not be called from a Stored callback.
  void Close();

  // Transactions written so far (for tests and metrics).
  int64_t batches() const;

 private:
  void Run();

  store::MessageRepository& messages_;
  const size_t max_batch_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<store::Message, Stored>> queue_;  // guarded by mutex_
  bool closing_ = false;                                 // guarded by mutex_
  int64_t batches_ = 0;                                  // guarded by mutex_
  std::thread thread_;
};

}  // namespace troupe::chat
