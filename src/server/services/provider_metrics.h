// Prometheus metrics of the language-model providers, fed by llm::Observe: per provider, time to
// first token and generation speed (histograms), requests, tokens in and out, and errors by code.
#pragma once

#include "llm/provider.h"
#include "server/http/metrics.h"

namespace troupe::server {

class ProviderMetrics final : public llm::ProviderObserver {
 public:
  // Registers the families in `registry`, which must outlive this.
  explicit ProviderMetrics(MetricsRegistry& registry);
  void OnCall(const llm::ProviderCallRecord& record) override;

 private:
  Histogram& time_to_first_token_;
  Histogram& tokens_per_second_;
  Counter& requests_;
  Counter& tokens_;
  Counter& errors_;
};

}  // namespace troupe::server
