#include "llm/provider.h"

#include <future>
#include <memory>

namespace troupe::llm {

std::string_view ToString(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kToolCalls:
      return "tool_calls";
    case FinishReason::kCancelled:
      return "cancelled";
  }
  return "stop";
}

Result<ChatResult> Provider::Chat(const ChatRequest& request, const ChatCallbacks& callbacks) {
  // Shared: the provider's thread may still hold on_done when this thread has its result.
  auto finished = std::make_shared<std::promise<Result<ChatResult>>>();
  std::future<Result<ChatResult>> result = finished->get_future();
  ChatCallbacks waiting;
  waiting.on_delta = callbacks.on_delta;
  waiting.on_done = [finished](Result<ChatResult> outcome) { finished->set_value(std::move(outcome)); };
  // The handle may be dropped: the call runs to its end either way, and request.cancel stops it.
  Start(request, std::move(waiting));
  return result.get();
}

}  // namespace troupe::llm
