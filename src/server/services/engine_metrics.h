// Prometheus gauges and counters of an in-process engine (the local provider's
// llm::EngineLoad), read when /metrics is scraped: the queue, requests running and waiting for a
// shared prompt prefix, the last forward pass's batch (sequences and tokens), forward passes, the
// prompt tokens attached from cached KV blocks against those computed, with their ratio (the
// prefix cache's hit ratio), and the paged KV cache's blocks: capacity, used, cached, reserved,
// evicted, and the memory they hold. Time to first token is troupe_llm_time_to_first_token_seconds
// (provider_metrics.h).
#pragma once

#include "llm/provider.h"
#include "server/http/metrics.h"

namespace troupe::server {

// Registers the families for `provider`, which must outlive `registry`'s scrapes; nothing for a
// provider without an engine (engine_load() empty).
void AddEngineMetrics(MetricsRegistry& registry, const llm::Provider& provider);

}  // namespace troupe::server
