#include "llm/observed_provider.h"

#include <chrono>

namespace troupe::llm {
namespace {

class ObservedProvider final : public ForwardingProvider {
 public:
  ObservedProvider(std::unique_ptr<Provider> inner, ProviderObserver& observer)
      : ForwardingProvider(std::move(inner)), observer_(observer) {}

  std::shared_ptr<ChatCall> Start(ChatRequest request, ChatCallbacks callbacks) override {
    const auto started = std::chrono::steady_clock::now();
    auto done = std::move(callbacks.on_done);
    callbacks.on_done = [this, started, done = std::move(done)](Result<ChatResult> result) {
      const double total_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
      observer_.OnCall(MakeCallRecord(inner().info().name, result, total_ms));
      done(std::move(result));
    };
    return inner().Start(std::move(request), std::move(callbacks));
  }

 private:
  ProviderObserver& observer_;
};

}  // namespace

ProviderCallRecord MakeCallRecord(const std::string& provider, const Result<ChatResult>& result, double total_ms) {
  ProviderCallRecord record;
  record.provider = provider;
  record.total_ms = total_ms;
  if (result.ok()) {
    record.time_to_first_token_ms = result->time_to_first_token_ms;
    record.usage = result->usage;
    const double generating_ms = record.total_ms - record.time_to_first_token_ms;
    // The first token's time belongs to the prompt; the rest is the generation rate.
    if (result->usage.completion_tokens > 1 && generating_ms > 0) {
      record.tokens_per_second = static_cast<double>(result->usage.completion_tokens - 1) * 1000.0 / generating_ms;
    }
  } else {
    record.ok = false;
    record.error = std::string(StatusCodeName(result.status().code()));
  }
  return record;
}

std::unique_ptr<Provider> Observe(std::unique_ptr<Provider> inner, ProviderObserver& observer) {
  return std::make_unique<ObservedProvider>(std::move(inner), observer);
}

}  // namespace troupe::llm
