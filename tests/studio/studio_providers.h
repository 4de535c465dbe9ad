// The providers the studio's pipeline tests run on: the local engine over the shared stories260K
// model (512 tokens of context, its own), and an OpenAI-compatible client of a scripted server.
#pragma once

#include <memory>

#include <gtest/gtest.h>

#include "../llm/fault_http_server.h"
#include "llm/local_model.h"
#include "llm/local_provider.h"
#include "llm/openai_provider.h"
#include "support/temp_dir.h"

namespace troupe::testing {

// Loaded once per test binary; a model that does not load fails the test that asked, loudly.
inline std::shared_ptr<llm::LocalModel> SharedStoriesModel() {
  static const std::shared_ptr<llm::LocalModel> model = [] {
    Result<std::unique_ptr<llm::LocalModel>> loaded = llm::LocalModel::Load(SharedDir() / "models/stories260K.gguf");
    EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
    return loaded.ok() ? std::shared_ptr<llm::LocalModel>(std::move(*loaded)) : nullptr;
  }();
  return model;
}

inline std::unique_ptr<llm::Provider> StoriesProvider() {
  std::shared_ptr<llm::LocalModel> model = SharedStoriesModel();
  if (model == nullptr) return nullptr;
  llm::LocalProviderOptions options;
  options.name = "local";
  options.context_length = 512;
  Result<std::unique_ptr<llm::Provider>> provider = llm::MakeLocalProvider(model, options);
  EXPECT_TRUE(provider.ok()) << provider.status().ToString();
  return provider.ok() ? std::move(*provider) : nullptr;
}

// Sends what `server` was scripted to answer; no retries, so every request shows in its log.
inline std::unique_ptr<llm::Provider> ScriptedProvider(const FaultHttpServer& server) {
  llm::OpenAiProviderOptions options;
  options.name = "remote";
  options.base_url = server.BaseUrl();
  options.model = "test-model";
  options.max_retries = 0;
  Result<std::unique_ptr<llm::Provider>> provider = llm::MakeOpenAiProvider(options);
  EXPECT_TRUE(provider.ok()) << provider.status().ToString();
  return provider.ok() ? std::move(*provider) : nullptr;
}

// Queues `content` as the scripted server's next streamed reply.
inline void ScriptReply(FaultHttpServer& server, const std::string& content) {
  FaultHttpServer::Response response;
  response.body_parts = StreamOf({content});
  server.Enqueue(std::move(response));
}

}  // namespace troupe::testing
