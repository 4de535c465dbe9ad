#include "server/services/provider_metrics.h"

namespace troupe::server {

ProviderMetrics::ProviderMetrics(MetricsRegistry& registry)
    : time_to_first_token_(registry.AddHistogram("troupe_llm_time_to_first_token_seconds",
                                                 "Time from a model request to its first generated text",
                                                 {"provider"},
                                                 {0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60})),
      tokens_per_second_(registry.AddHistogram("troupe_llm_tokens_per_second",
                                               "Generation speed of a request after its first token", {"provider"},
                                               {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000})),
      requests_(registry.AddCounter("troupe_llm_requests_total", "Model requests, finished or failed", {"provider"})),
      tokens_(registry.AddCounter("troupe_llm_tokens_total", "Tokens read (in) and generated (out)",
                                  {"provider", "direction"})),
      errors_(registry.AddCounter("troupe_llm_errors_total", "Failed model requests by error code",
                                  {"provider", "code"})) {}

void ProviderMetrics::OnCall(const llm::ProviderCallRecord& record) {
  requests_.Increment({record.provider});
  if (!record.ok) {
    errors_.Increment({record.provider, record.error});
    return;
  }
  time_to_first_token_.Observe(record.time_to_first_token_ms / 1000.0, {record.provider});
  if (record.tokens_per_second > 0) tokens_per_second_.Observe(record.tokens_per_second, {record.provider});
  tokens_.Increment({record.provider, "in"}, static_cast<double>(record.usage.prompt_tokens));
  tokens_.Increment({record.provider, "out"}, static_cast<double>(record.usage.completion_tokens));
}

}  // namespace troupe::server
