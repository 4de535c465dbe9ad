#include "llm/pii_redacting_provider.h"

#include "base/pii.h"

namespace troupe::llm {

namespace {

class PiiRedactingProvider final : public Provider {
 public:
  explicit PiiRedactingProvider(std::unique_ptr<Provider> inner) : inner_(std::move(inner)) {}

  const ProviderInfo& info() const override { return inner_->info(); }
  std::shared_ptr<ChatCall> Start(ChatRequest request, ChatCallbacks callbacks) override {
    return inner_->Start(WithoutPersonalData(std::move(request)), std::move(callbacks));
  }
  int64_t CountTokens(std::string_view text) const override { return inner_->CountTokens(text); }
  int64_t CountChatTokens(const std::vector<ChatMessage>& messages) const override {
    return inner_->CountChatTokens(messages);
  }
  std::vector<std::string> TurnEndStrings() const override { return inner_->TurnEndStrings(); }
  std::optional<EngineLoad> engine_load() const override { return inner_->engine_load(); }

 private:
  std::unique_ptr<Provider> inner_;
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
