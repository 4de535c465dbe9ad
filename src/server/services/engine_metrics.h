// Prometheus gauges and counters of an in-process engine (the local provider's
// llm::EngineLoad), read when /metrics is scraped: the queue, requests running and waiting for a
// shared prompt prefix, the last forward pass's batch (sequences and tokens), forward passes, and
// the prompt tokens a KV cache already held against those computed, with their ratio (the prefix
// cache's hit ratio). Time to first token is troupe_llm_time_to_first_token_seconds
// (provider_metrics.h).
#pragma once

#include "llm/provider.h"
#include "server/http/metrics.h"

namespace troupe::server {

// Registers the families for `provider`, which must outlive `registry`'s scrapes; nothing for a
// provider without an engine (engine_load() empty).
void AddEngineMetrics(MetricsRegistry& registry, const llm::Provider& provider);

}  // namespace troupe::server
