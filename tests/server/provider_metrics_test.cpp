// Provider metrics from real calls to the local engine (stories260K): what /metrics would show.
#include "server/services/provider_metrics.h"

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
  std::unique_ptr<llm::Provider> provider = llm::Observe(llm::MakeLocalProvider(Stories(), options), metrics);
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
