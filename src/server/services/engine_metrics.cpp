#include "server/services/engine_metrics.h"

#include <functional>

namespace troupe::server {
namespace {

using Type = CallbackMetric::Type;

}  // namespace

void AddEngineMetrics(MetricsRegistry& registry, const llm::Provider& provider) {
  if (!provider.engine_load()) return;
  const auto read = [&provider](int64_t llm::EngineLoad::*field) {
    return [&provider, field] { return static_cast<double>(provider.engine_load().value_or(llm::EngineLoad{}).*field); };
  };
  registry.AddCallback("troupe_engine_queue_depth", "Model requests waiting to start", Type::kGauge,
                       read(&llm::EngineLoad::queued));
  registry.AddCallback("troupe_engine_waiting_for_prefix", "Model requests waiting for another to compute their prompt prefix",
                       Type::kGauge, read(&llm::EngineLoad::waiting_for_prefix));
  registry.AddCallback("troupe_engine_running_sequences", "Model requests generating", Type::kGauge,
                       read(&llm::EngineLoad::running));
  registry.AddCallback("troupe_engine_max_sequences", "Model requests that may generate at once (model.cache_slots)",
                       Type::kGauge, read(&llm::EngineLoad::slots));
  registry.AddCallback("troupe_engine_batch_sequences", "Requests the last forward pass served", Type::kGauge,
                       read(&llm::EngineLoad::last_step_sequences));
  registry.AddCallback("troupe_engine_batch_tokens", "Tokens the last forward pass ran", Type::kGauge,
                       read(&llm::EngineLoad::last_step_tokens));
  registry.AddCallback("troupe_engine_steps_total", "Forward passes", Type::kCounter, read(&llm::EngineLoad::steps));
  registry.AddCallback("troupe_engine_prompt_tokens_reused_total", "Prompt tokens attached from cached KV blocks",
                       Type::kCounter, read(&llm::EngineLoad::prompt_tokens_reused));
  registry.AddCallback("troupe_engine_prompt_tokens_computed_total", "Prompt tokens run through the model",
                       Type::kCounter, read(&llm::EngineLoad::prompt_tokens_computed));
  registry.AddCallback("troupe_engine_kv_block_bytes", "Bytes of one KV cache block", Type::kGauge,
                       read(&llm::EngineLoad::kv_block_bytes));
  registry.AddCallback("troupe_engine_kv_blocks_capacity", "KV cache blocks model.kv_cache_bytes holds", Type::kGauge,
                       read(&llm::EngineLoad::kv_blocks_capacity));
  registry.AddCallback("troupe_engine_kv_blocks_used", "KV cache blocks in a running request's cache", Type::kGauge,
                       read(&llm::EngineLoad::kv_blocks_used));
  registry.AddCallback("troupe_engine_kv_blocks_cached", "KV cache blocks kept for a later request with the same prefix",
                       Type::kGauge, read(&llm::EngineLoad::kv_blocks_cached));
  registry.AddCallback("troupe_engine_kv_blocks_reserved", "KV cache blocks promised to running requests", Type::kGauge,
                       read(&llm::EngineLoad::kv_blocks_reserved));
  registry.AddCallback("troupe_engine_kv_blocks_evicted_total", "Cached KV blocks whose memory went to another block",
                       Type::kCounter, read(&llm::EngineLoad::kv_blocks_evicted));
  registry.AddCallback("troupe_engine_kv_bytes_allocated", "KV cache block memory held", Type::kGauge,
                       read(&llm::EngineLoad::kv_bytes_allocated));
  registry.AddCallback("troupe_engine_draft_tokens_proposed_total", "Tokens the draft model proposed (speculative decoding)",
                       Type::kCounter, read(&llm::EngineLoad::draft_tokens_proposed));
  registry.AddCallback("troupe_engine_draft_tokens_accepted_total", "Proposed tokens the model kept", Type::kCounter,
                       read(&llm::EngineLoad::draft_tokens_accepted));
  registry.AddCallback("troupe_engine_prefix_cache_hit_ratio", "Share of prompt tokens attached from cached KV blocks",
                       Type::kGauge, [&provider] {
                         const llm::EngineLoad load = provider.engine_load().value_or(llm::EngineLoad{});
                         const int64_t total = load.prompt_tokens_reused + load.prompt_tokens_computed;
                         return total == 0 ? 0.0 : static_cast<double>(load.prompt_tokens_reused) / static_cast<double>(total);
                       });
}

}  // namespace troupe::server
