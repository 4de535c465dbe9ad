#include "llm/pii_redacting_provider.h"

#include "base/pii.h"

namespace troupe::llm {

namespace {

class PiiRedactingProvider final : public ForwardingProvider {
 public:
  using ForwardingProvider::ForwardingProvider;

  std::shared_ptr<ChatCall> Start(ChatRequest request, ChatCallbacks callbacks) override {
    return inner().Start(WithoutPersonalData(std::move(request)), std::move(callbacks));
  }
};

}  // namespace

ChatRequest WithoutPersonalData(ChatRequest request) {
  for (ChatMessage& message : request.messages) {
    message.content = RedactPii(message.content);
    for (ToolCall& call : message.tool_calls) call.arguments_json = RedactPii(call.arguments_json);
  }
  return request;
}

std::unique_ptr<Provider> RedactPersonalData(std::unique_ptr<Provider> inner) {
  return std::make_unique<PiiRedactingProvider>(std::move(inner));
}

}  // namespace troupe::llm
