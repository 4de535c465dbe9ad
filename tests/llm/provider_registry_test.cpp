// The registry built from a real configuration: the local engine (stories260K) and a remote
// provider (the loopback fault server), lookup by name, the default, and calls reported to the
// observer.
#include "llm/provider_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>

#include "config/config.h"
#include "fault_http_server.h"
#include "support/temp_dir.h"

namespace troupe::llm {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RecordingObserver final : public ProviderObserver {
 public:
  void OnCall(const ProviderCallRecord& record) override {
    std::lock_guard lock(mutex_);
    records_.push_back(record);
  }
  std::vector<ProviderCallRecord> records() {
    std::lock_guard lock(mutex_);
    return records_;
  }

 private:
  std::mutex mutex_;
  std::vector<ProviderCallRecord> records_;
};

config::Config ConfigFrom(const std::string& yaml) {
  Result<config::LoadedConfig> loaded = config::LoadFromYamlText(yaml, "troupe.yaml");
  EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
  return loaded.ok() ? loaded->config : config::Config{};
}

std::shared_ptr<LocalModel> Stories() {
  static const std::shared_ptr<LocalModel> model(
      LocalModel::Load(::troupe::testing::SharedDir() / "models/stories260K.gguf").value());
  return model;
}

ChatRequest Ask(const std::string& text) {
  ChatRequest request;
  request.messages = {{"user", text, "", {}, ""}};
  request.sampling.temperature = 0;
  request.sampling.max_tokens = 6;
  return request;
}

TEST(ProviderRegistryTest, NamedProvidersFromConfiguration) {
  testing::FaultHttpServer server;
  const config::Config config = ConfigFrom("model:\n  context_length: 512\n"
                                           "providers:\n"
                                           "  fast:\n"
                                           "    base_url: " + server.BaseUrl() + "\n"
                                           "    model: small-model\n"
                                           "    context_length: 16000\n");
  Result<std::unique_ptr<ProviderRegistry>> registry = BuildProviderRegistry(config, Stories());
  ASSERT_TRUE(registry.ok()) << registry.status().ToString();
  EXPECT_THAT((*registry)->names(), ElementsAre("fast", "local"));
  EXPECT_EQ((*registry)->default_name(), "local");

  Result<Provider*> fallback = (*registry)->Default();
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ((*fallback)->info().name, "local");
  EXPECT_EQ((*fallback)->info().kind, "local");
  EXPECT_EQ((*fallback)->info().context_length, 512);
  EXPECT_EQ(*(*registry)->Find(""), *fallback);

  Result<Provider*> fast = (*registry)->Find("fast");
  ASSERT_TRUE(fast.ok());
  EXPECT_EQ((*fast)->info().kind, "openai");
  EXPECT_EQ((*fast)->info().model, "small-model");
  EXPECT_EQ((*fast)->info().context_length, 16000);

  Result<Provider*> unknown = (*registry)->Find("big");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(unknown.status().message(), "no provider named 'big' (configured: fast, local)");
  EXPECT_EQ(unknown.status().field(), "provider");
}

// providers.<name>.redact_pii: what reaches the remote endpoint has placeholders for personal data;
// a provider without it sends the text as it is.
TEST(ProviderRegistryTest, RedactPiiReplacesPersonalDataBeforeTheRequestLeaves) {
  testing::FaultHttpServer server;
  testing::FaultHttpServer::Response stream;
  stream.body_parts = testing::StreamOf({"ok"});
  server.SetDefault(stream);
  const config::Config config = ConfigFrom("providers:\n"
                                           "  careful:\n"
                                           "    base_url: " + server.BaseUrl() + "\n"
                                           "    redact_pii: true\n"
                                           "  plain:\n"
                                           "    base_url: " + server.BaseUrl() + "\n");
  EXPECT_TRUE(config.providers.at("careful").redact_pii);
  EXPECT_FALSE(config.providers.at("plain").redact_pii);
  Result<std::unique_ptr<ProviderRegistry>> registry = BuildProviderRegistry(config, Stories());
  ASSERT_TRUE(registry.ok()) << registry.status().ToString();
  const std::string text = "I'm jane@example.com, card 4111 1111 1111 1111, call +44 20 7946 0958";
  ASSERT_TRUE((*(*registry)->Find("careful"))->Chat(Ask(text), {}).ok());
  ASSERT_TRUE((*(*registry)->Find("plain"))->Chat(Ask(text), {}).ok());
  ASSERT_EQ(server.requests().size(), 2u);
  const std::string careful = server.requests()[0].body;
  EXPECT_THAT(careful, HasSubstr("I'm [email], card [card], call [phone]"));
  EXPECT_EQ(careful.find("jane@example.com"), std::string::npos);
  EXPECT_THAT(server.requests()[1].body, HasSubstr("jane@example.com"));

  EXPECT_FALSE(config::LoadFromYamlText("providers:\n  x:\n    base_url: http://a\n    redact_pii: maybe\n",
                                        "troupe.yaml")
                   .ok());
}

TEST(ProviderRegistryTest, TheDefaultCanBeARemoteProvider) {
  const config::Config config = ConfigFrom("chat:\n  default_provider: cloud\n"
                                           "providers:\n  cloud:\n    base_url: https://api.openai.com/v1\n");
  Result<std::unique_ptr<ProviderRegistry>> registry = BuildProviderRegistry(config, Stories());
  ASSERT_TRUE(registry.ok()) << registry.status().ToString();
  Result<Provider*> fallback = (*registry)->Default();
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ((*fallback)->info().name, "cloud");
}

TEST(ProviderRegistryTest, WithoutAModelLocalIsKnownButUnavailable) {
  Result<std::unique_ptr<ProviderRegistry>> registry =
      BuildProviderRegistry(config::Config{}, nullptr, "no model yet: run troupe models pull");
  ASSERT_TRUE(registry.ok());
  EXPECT_THAT((*registry)->names(), ElementsAre("local"));
  Result<Provider*> local = (*registry)->Default();
  ASSERT_FALSE(local.ok());
  EXPECT_EQ(local.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(local.status().message(), "no model yet: run troupe models pull");
}

TEST(ProviderRegistryTest, EveryCallIsReportedToTheObserver) {
  testing::FaultHttpServer server;
  testing::FaultHttpServer::Response stream;
  stream.body_parts = testing::StreamOf({"remote ", "reply"}, 17);
  server.Enqueue(stream);
  testing::FaultHttpServer::Response refused;
  refused.status = 401;
  refused.content_type = "application/json";
  refused.chunked = false;
  refused.body_parts = {R"({"error":{"message":"bad key"}})"};
  server.Enqueue(refused);
  server.Enqueue(stream);

  const config::Config config =
      ConfigFrom("model:\n  context_length: 512\nproviders:\n  fast:\n    base_url: " + server.BaseUrl() + "\n");
  Result<std::unique_ptr<ProviderRegistry>> registry = BuildProviderRegistry(config, Stories());
  ASSERT_TRUE(registry.ok());
  RecordingObserver observer;
  (*registry)->SetObserver(&observer);

  Provider* fast = *(*registry)->Find("fast");
  Provider* local = *(*registry)->Find("local");
  Result<ChatResult> remote = fast->Chat(Ask("Hi"), {});
  ASSERT_TRUE(remote.ok()) << remote.status().ToString();
  Result<ChatResult> engine = local->Chat(Ask("Once upon a time"), {});
  ASSERT_TRUE(engine.ok());
  EXPECT_EQ(fast->Chat(Ask("Hi"), {}).status().code(), StatusCode::kUnauthenticated);

  const std::vector<ProviderCallRecord> records = observer.records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].provider, "fast");
  EXPECT_TRUE(records[0].ok);
  EXPECT_EQ(records[0].usage.prompt_tokens, 17);
  EXPECT_EQ(records[0].usage.completion_tokens, 2);
  EXPECT_EQ(records[1].provider, "local");
  EXPECT_EQ(records[1].usage.prompt_tokens, engine->usage.prompt_tokens);
  EXPECT_EQ(records[1].usage.completion_tokens, engine->usage.completion_tokens);
  EXPECT_GT(records[1].total_ms, 0);
  EXPECT_EQ(records[2].provider, "fast");
  EXPECT_FALSE(records[2].ok);
  EXPECT_EQ(records[2].error, "unauthenticated");

  (*registry)->SetObserver(nullptr);
  ASSERT_TRUE(fast->Chat(Ask("Hi"), {}).ok());
  EXPECT_EQ(observer.records().size(), 3u);
}

TEST(ProviderRegistryTest, NamesAreUnique) {
  ProviderRegistry registry;
  ASSERT_TRUE(registry.AddUnavailable("local", Status(StatusCode::kUnavailable, "no model")).ok());
  EXPECT_EQ(registry.AddUnavailable("local", Status(StatusCode::kUnavailable, "again")).code(), StatusCode::kConflict);
}

}  // namespace
}  // namespace troupe::llm
