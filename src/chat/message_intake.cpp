#include "chat/message_intake.h"

#include <vector>

#include "base/thread_name.h"

namespace troupe::chat {

MessageIntake::MessageIntake(store::MessageRepository& messages, size_t max_batch)
    : messages_(messages), max_batch_(max_batch < 1 ? 1 : max_batch), thread_([this] { Run(); }) {}

MessageIntake::~MessageIntake() { Close(); }

void MessageIntake::Submit(store::Message message, Stored stored) {
  {
    std::lock_guard lock(mutex_);
    if (!closing_) {
      queue_.emplace_back(std::move(message), std::move(stored));
      wake_.notify_one();
      return;
    }
  }
  stored(Status(StatusCode::kUnavailable, "the server is shutting down; the message was not stored"));
}

void MessageIntake::Close() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

int64_t MessageIntake::batches() const {
  std::lock_guard lock(mutex_);
  return batches_;
}

void MessageIntake::Run() {
  NameCurrentThread("intake");
  std::vector<store::Message> batch;
  std::vector<Stored> callbacks;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing, and everything handed over is stored
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front().first));
        callbacks.push_back(std::move(queue_.front().second));
        queue_.pop_front();
      }
      ++batches_;
    }
    std::vector<Result<store::Message>> results = messages_.AppendAllAfterLatest(std::move(batch));
    for (size_t i = 0; i < callbacks.size(); ++i) callbacks[i](std::move(results[i]));
    batch.clear();
    callbacks.clear();
  }
}

}  // namespace troupe::chat
