// The fixtures of the local provider's tests (local_provider_test.cpp,
// local_provider_constraints_test.cpp): stories260K behind a provider, and a synthetic qwen2 that
// carries Qwen's real chat template with tools.
#pragma once

#include "llm/local_provider.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "engine/gguf.h"
#include "engine/synth.h"
#include "llm/local_model_internal.h"
#include "support/temp_dir.h"

namespace troupe::llm {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A one-way gate between threads, waited on without any timeout.
class Gate {
 public:
  void Open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
};

inline ChatRequest Ask(const std::string& text, int max_tokens = 24) {
  ChatRequest request;
  request.messages = {{"user", text, "", {}, ""}};
  request.sampling.temperature = 0;
  request.sampling.max_tokens = max_tokens;
  return request;
}

class LocalProviderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    local_ = LocalModel::Load(::troupe::testing::SharedDir() / "models/stories260K.gguf").value();
    model_ = LocalModelAccess::EngineModel(*local_);
  }
  static void TearDownTestSuite() {
    model_.reset();
    local_.reset();
  }

  static std::unique_ptr<Provider> Make(LocalProviderOptions options = {}) {
    options.name = "tiny";
    if (options.context_length == LocalProviderOptions{}.context_length) options.context_length = 512;
    return MakeLocalProvider(local_, options).value();
  }

  // The prompt the provider should build: the template's rendering, tokenized with BOS and
  // control tokens.
  static size_t PromptTokens(const std::vector<ChatMessage>& messages) {
    engine::ChatTemplateInputs inputs;
    for (const ChatMessage& message : messages) {
      inputs.messages.push_back({{"role", message.role}, {"content", message.content}});
    }
    inputs.add_generation_prompt = true;
    return model_->Tokenize(model_->RenderChat(std::move(inputs)), true, true).size();
  }

  struct Streamed {
    Result<ChatResult> result = Status(StatusCode::kInternal, "not run");
    std::string deltas;
    int delta_count = 0;
  };
  static Streamed Run(Provider& provider, const ChatRequest& request) {
    Streamed out;
    ChatCallbacks callbacks;
    callbacks.on_delta = [&out](std::string_view delta) {
      out.deltas += delta;
      ++out.delta_count;
    };
    out.result = provider.Chat(request, callbacks);
    return out;
  }

  static inline std::shared_ptr<LocalModel> local_;
  static inline std::shared_ptr<engine::Model> model_;  // local_'s, for the prompts the tests expect
};


class QwenTemplateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ::troupe::testing::TempDir();
    // A vocabulary with ChatML control tokens, carrying the template.
    engine::SynthOptions base;
    base.output = *dir_ / "base.gguf";
    base.shape = *engine::ShapePreset("tiny");
    engine::WriteSyntheticModel(base);
    const engine::GgufFile vocabulary = engine::GgufFile::Open(base.output);
    engine::GgufWriter writer;
    for (const engine::GgufKeyValue& entry : vocabulary.metadata()) {
      if (entry.key.rfind("tokenizer.", 0) == 0 && entry.key != "tokenizer.chat_template") {
        writer.Set(entry.key, entry.value);
      }
    }
    std::ifstream json_file(::troupe::testing::SharedDir() / "testdata/chat_templates/qwen3.json");
    const nlohmann::json templates = nlohmann::json::parse(json_file);
    writer.Set("tokenizer.chat_template", templates.at("template").get<std::string>());
    writer.WriteFile(*dir_ / "vocab.gguf");

    engine::SynthOptions qwen;
    qwen.output = *dir_ / "qwen2.gguf";
    qwen.shape = *engine::ShapePreset("tiny");
    qwen.shape.architecture = engine::Architecture::kQwen2;
    qwen.vocab_file = *dir_ / "vocab.gguf";
    engine::WriteSyntheticModel(qwen);
    model_ = LocalModel::Load(qwen.output).value();
  }
  static void TearDownTestSuite() {
    model_.reset();
    delete dir_;
  }

  static std::unique_ptr<Provider> Make() {
    LocalProviderOptions options;
    options.name = "qwen";
    options.context_length = 2048;
    return MakeLocalProvider(model_, options).value();
  }

  static inline ::troupe::testing::TempDir* dir_ = nullptr;
  static inline std::shared_ptr<LocalModel> model_;
};


}  // namespace troupe::llm
