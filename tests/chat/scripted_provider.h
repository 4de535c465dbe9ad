// A provider the test drives by hand, to hold turns in flight at chosen points: each Start is
// recorded as a call, and the test writes its deltas and ends it (or sees it cancelled). It stands
// for a remote endpoint's timing only; what the runtime does with the text is the real code's.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "llm/provider.h"

namespace troupe::chat::testing {

class ScriptedProvider final : public llm::Provider {
 public:
  struct Call final : llm::ChatCall {
    llm::ChatRequest request;
    llm::ChatCallbacks callbacks;
    std::string written;
    bool ended = false;
    bool cancel_asked = false;
    ScriptedProvider* owner = nullptr;
    void Cancel() override { owner->CancelCall(this); }
  };

  ScriptedProvider() { info_ = {"scripted", "openai", "scripted-model", 4096}; }

  const llm::ProviderInfo& info() const override { return info_; }
  int64_t CountTokens(std::string_view text) const override { return static_cast<int64_t>(text.size() / 4 + 1); }
  int64_t CountChatTokens(const std::vector<llm::ChatMessage>& messages) const override {
    int64_t total = 0;
    for (const llm::ChatMessage& message : messages) total += 4 + CountTokens(message.content);
    return total;
  }

  std::shared_ptr<llm::ChatCall> Start(llm::ChatRequest request, llm::ChatCallbacks callbacks) override {
    auto call = std::make_shared<Call>();
    call->request = std::move(request);
    call->callbacks = std::move(callbacks);
    call->owner = this;
    std::lock_guard lock(mutex_);
    calls_.push_back(call);  // kept alive until it ends, as a real provider keeps its calls
    changed_.notify_all();
    return call;
  }

  // Waits (real time, bounded so a broken runtime fails instead of hanging) for `count` calls.
  bool WaitForCalls(size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(60), [&] { return calls_.size() >= count; });
  }
  size_t calls() {
    std::lock_guard lock(mutex_);
    return calls_.size();
  }
  std::shared_ptr<Call> call(size_t index) {
    std::lock_guard lock(mutex_);
    return calls_.at(index);
  }
  // Waits until call `index` was asked to cancel.
  bool WaitForCancel(size_t index) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(60),
                             [&] { return calls_.size() > index && calls_[index]->cancel_asked; });
  }

  void Write(size_t index, std::string_view text) {
    std::shared_ptr<Call> target = call(index);
    target->written += text;
    if (target->callbacks.on_delta) target->callbacks.on_delta(text);  // optional, as for real providers
  }
  void End(size_t index, llm::FinishReason reason = llm::FinishReason::kStop) {
    std::shared_ptr<Call> target = call(index);
    {
      std::lock_guard lock(mutex_);
      if (target->ended) return;
      target->ended = true;
    }
    llm::ChatResult result;
    result.content = target->written;
    result.finish_reason = reason;
    result.usage = {10, static_cast<int64_t>(target->written.size() / 4 + 1)};
    target->callbacks.on_done(std::move(result));
  }
  // Ends call `index` asking for tools, after what it wrote, as a model that calls them does.
  void CallTools(size_t index, std::vector<llm::ToolCall> calls) {
    std::shared_ptr<Call> target = call(index);
    {
      std::lock_guard lock(mutex_);
      if (target->ended) return;
      target->ended = true;
    }
    llm::ChatResult result;
    result.content = target->written;
    result.tool_calls = std::move(calls);
    result.finish_reason = llm::FinishReason::kToolCalls;
    result.usage = {10, 5};
    target->callbacks.on_done(std::move(result));
  }
  void Fail(size_t index, Status error) {
    std::shared_ptr<Call> target = call(index);
    {
      std::lock_guard lock(mutex_);
      target->ended = true;
    }
    target->callbacks.on_done(std::move(error));
  }

 private:
  // A cancelled call ends at once with what it wrote, as remote providers do.
  void CancelCall(Call* target) {
    {
      std::lock_guard lock(mutex_);
      target->cancel_asked = true;
      changed_.notify_all();
      if (target->ended) return;
    }
    for (size_t i = 0; i < calls(); ++i) {
      if (call(i).get() == target) return End(i, llm::FinishReason::kCancelled);
    }
  }

  llm::ProviderInfo info_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::shared_ptr<Call>> calls_;
};

}  // namespace troupe::chat::testing
