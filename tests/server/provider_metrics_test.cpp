// Provider metrics from real calls to the local engine (stories260K): what /metrics would show.
#include "server/services/provider_metrics.h"

#include "llm/openai_provider.h"
#include "server/services/engine_metrics.h"

#include <gtest/gtest.h>

#include "llm/local_model.h"
#include "llm/local_provider.h"
#include "llm/observed_provider.h"
#include "llm/provider_registry.h"
#include "support/temp_dir.h"

namespace troupe::server {
namespace {

// Loaded once: each provider made from it keeps it alive and shares it.
std::shared_ptr<llm::LocalModel> Stories() {
  static const std::shared_ptr<llm::LocalModel> model(
      llm::LocalModel::Load(::troupe::testing::SharedDir() / "models/stories260K.gguf").value());
  return model;
}

TEST(ProviderMetricsTest, CallsAndErrorsAreCountedPerProvider) {
  MetricsRegistry registry;
  ProviderMetrics metrics(registry);
  llm::LocalProviderOptions options;
  options.name = "tiny";
  options.context_length = 64;
  std::unique_ptr<llm::Provider> provider = llm::Observe(llm::MakeLocalProvider(Stories(), options).value(), metrics);
  EXPECT_EQ(provider->info().name, "tiny");

  llm::ChatRequest request;
  request.messages = {{"user", "Once upon a time", "", {}, ""}};
  request.sampling.temperature = 0;
  request.sampling.max_tokens = 12;
  Result<llm::ChatResult> result = provider->Chat(request, {});
  ASSERT_TRUE(result.ok()) << result.status().ToString();

  // A prompt longer than the 64-token context fails and is counted by its code.
  request.messages[0].content = std::string(400, 'a');
  EXPECT_EQ(provider->Chat(request, {}).status().code(), StatusCode::kInvalidArgument);

  const std::string text = registry.Render();
  EXPECT_NE(text.find("troupe_llm_requests_total{provider=\"tiny\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("troupe_llm_tokens_total{provider=\"tiny\",direction=\"out\"} 12"), std::string::npos) << text;
  EXPECT_NE(text.find("troupe_llm_tokens_total{provider=\"tiny\",direction=\"in\"} " +
                      std::to_string(result->usage.prompt_tokens)),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("troupe_llm_errors_total{provider=\"tiny\",code=\"invalid_argument\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("troupe_llm_time_to_first_token_seconds_count{provider=\"tiny\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("troupe_llm_tokens_per_second_count{provider=\"tiny\"} 1"), std::string::npos) << text;
}

// The way serve wires it: the registry reports every provider it hands out to the metrics.
TEST(ProviderMetricsTest, TheRegistryReportsEveryProvider) {
  MetricsRegistry registry;
  ProviderMetrics metrics(registry);
  config::Config config;
  config.model.context_length = 256;
  Result<std::unique_ptr<llm::ProviderRegistry>> providers = llm::BuildProviderRegistry(config, Stories());
  ASSERT_TRUE(providers.ok()) << providers.status().ToString();
  (*providers)->SetObserver(&metrics);
  Result<llm::Provider*> local = (*providers)->Default();
  ASSERT_TRUE(local.ok());

  llm::ChatRequest request;
  request.messages = {{"user", "Lily had a cat.", "", {}, ""}};
  request.sampling.temperature = 0;
  request.sampling.max_tokens = 5;
  Result<llm::ChatResult> result = (*local)->Chat(request, {});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  request.sampling.top_p = -1;  // refused by the engine's sampler
  EXPECT_EQ((*local)->Chat(request, {}).status().code(), StatusCode::kInvalidArgument);

  const std::string text = registry.Render();
  EXPECT_NE(text.find("troupe_llm_requests_total{provider=\"local\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("troupe_llm_tokens_total{provider=\"local\",direction=\"out\"} " +
                      std::to_string(result->usage.completion_tokens)),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("troupe_llm_errors_total{provider=\"local\",code=\"invalid_argument\"} 1"), std::string::npos)
      << text;
}

}  // namespace
}  // namespace troupe::server

namespace troupe::server {
namespace {

// The engine's own families, read when scraped: after two requests with the same prompt, the
// second's prefix came from the cache.
TEST(EngineMetricsTest, TheLocalEnginesBatchAndPrefixCacheShowOnMetrics) {
  MetricsRegistry registry;
  llm::LocalProviderOptions options;
  options.name = "local";
  options.context_length = 256;
  options.cache_slots = 3;
  std::unique_ptr<llm::Provider> provider = llm::MakeLocalProvider(Stories(), options).value();
  AddEngineMetrics(registry, *provider);
  EXPECT_NE(registry.Render().find("troupe_engine_prefix_cache_hit_ratio 0\n"), std::string::npos) << registry.Render();

  llm::ChatRequest request;
  request.messages = {{"user", "Once upon a time there was a little girl named Lily", "", {}, ""}};
  request.sampling.temperature = 0;
  request.sampling.max_tokens = 6;
  const Result<llm::ChatResult> first = provider->Chat(request, {});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const Result<llm::ChatResult> second = provider->Chat(request, {});
  ASSERT_TRUE(second.ok());

  const llm::EngineLoad load = *provider->engine_load();
  // Whole 16-position blocks of the prompt but its last token, which must run for the logits.
  const int64_t prompt = second->usage.prompt_tokens;
  EXPECT_EQ(load.prompt_tokens_reused, (prompt - 1) / 16 * 16);
  EXPECT_GT(load.prompt_tokens_reused, 0);
  EXPECT_EQ(load.prompt_tokens_computed, 2 * prompt - load.prompt_tokens_reused);
  EXPECT_EQ(load.running, 0);
  EXPECT_EQ(load.slots, 3);
  EXPECT_EQ(load.kv_blocks_capacity, 3 * 256 / 16);  // cache_slots whole contexts by default
  EXPECT_EQ(load.kv_blocks_used, 0);
  EXPECT_EQ(load.kv_blocks_reserved, 0);
  EXPECT_EQ(load.kv_blocks_cached, (prompt + 5) / 16);  // the prompt and the reply but its last token
  EXPECT_GE(load.kv_bytes_allocated, load.kv_block_bytes * load.kv_blocks_cached);
  EXPECT_LE(load.kv_bytes_allocated, load.kv_block_bytes * load.kv_blocks_capacity);
  EXPECT_GE(load.steps, 12);  // a prompt step and five decode steps each, at least
  const std::string text = registry.Render();
  for (const char* family : {"troupe_engine_queue_depth 0", "troupe_engine_running_sequences 0", "troupe_engine_max_sequences 3",
                             "troupe_engine_batch_sequences 1", "# TYPE troupe_engine_steps_total counter"}) {
    EXPECT_NE(text.find(family), std::string::npos) << family << "\n" << text;
  }
  EXPECT_NE(text.find("troupe_engine_prompt_tokens_reused_total " + std::to_string(load.prompt_tokens_reused)),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("troupe_engine_kv_blocks_cached " + std::to_string(load.kv_blocks_cached) + "\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE troupe_engine_kv_blocks_evicted_total counter"), std::string::npos) << text;

  // A remote provider has no engine: nothing is registered for it.
  MetricsRegistry remote_registry;
  llm::OpenAiProviderOptions remote;
  remote.name = "remote";
  remote.base_url = "http://127.0.0.1:9/v1";
  AddEngineMetrics(remote_registry, *llm::MakeOpenAiProvider(remote).value());
  EXPECT_EQ(remote_registry.Render().find("troupe_engine"), std::string::npos);
}

}  // namespace
}  // namespace troupe::server
