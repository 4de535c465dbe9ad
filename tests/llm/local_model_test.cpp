// The local model facade the CLI uses instead of the engine: engine failures come back as the one
// Status mapping, sequences reuse the prefix they hold, synthetic models are written from a shape
// with overrides, and a configuration without a model says how to get one.
#include "llm/local_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "engine/error.h"
#include "llm/engine_status_internal.h"
#include "llm/local_sequence.h"
#include "llm/model_synth.h"
#include "support/temp_dir.h"

namespace troupe::llm {
namespace {

using ::testing::HasSubstr;

std::filesystem::path Stories() { return ::troupe::testing::SharedDir() / "models/stories260K.gguf"; }

TEST(EngineStatus, BadFilesAreTheUsersAndIoFailuresTheEnvironments) {
  using engine::EngineError;
  EXPECT_EQ(StatusFromEngineError(EngineError(EngineError::Kind::kInvalidInput, "bad")).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusFromEngineError(EngineError(EngineError::Kind::kUnsupported, "new")).code(),
            StatusCode::kInvalidArgument);
  const Status io = StatusFromEngineError(EngineError(EngineError::Kind::kIo, "disk: gone"));
  EXPECT_EQ(io.code(), StatusCode::kUnavailable);
  EXPECT_EQ(io.message(), "disk: gone");
}

TEST(LocalModel, LoadFailuresAreStatuses) {
  ::troupe::testing::TempDir dir;
  std::ofstream(dir / "not.gguf") << "GGUF but not really";
  const Result<std::unique_ptr<LocalModel>> bad = LocalModel::Load(dir / "not.gguf");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("not.gguf"));
  EXPECT_EQ(CheckGgufFile(dir / "not.gguf").code(), StatusCode::kInvalidArgument);

  const Result<std::unique_ptr<LocalModel>> missing = LocalModel::Load(dir / "missing.gguf");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(CheckGgufFile(Stories()).ok());
}

TEST(LocalModel, InfoTokensAndScores) {
  Result<std::unique_ptr<LocalModel>> model = LocalModel::Load(Stories(), {.threads = 1});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const ModelInfo& info = (*model)->info();
  EXPECT_EQ(info.architecture, "llama");
  ASSERT_TRUE(info.hyperparameters.has_value());
  EXPECT_GT(info.hyperparameters->context_length, 0u);
  ASSERT_TRUE(info.bos.has_value());
  EXPECT_EQ(info.bos->text, (*model)->TokenText(info.bos->id));
  EXPECT_EQ((*model)->TokenText(-1), "");
  const std::vector<MetadataEntry> metadata = (*model)->Metadata();
  const auto architecture = std::find_if(metadata.begin(), metadata.end(),
                                         [](const MetadataEntry& entry) { return entry.key == "general.architecture"; });
  ASSERT_NE(architecture, metadata.end());
  EXPECT_EQ(std::get<std::string>(architecture->value.value), "llama");
  EXPECT_EQ((*model)->Tensors().size(), info.tensor_count);

  Result<std::vector<int32_t>> tokens = (*model)->Tokenize("Once upon a time", true, false);
  ASSERT_TRUE(tokens.ok());
  Result<TextScore> score = (*model)->Score(*tokens);
  ASSERT_TRUE(score.ok()) << score.status().ToString();
  EXPECT_EQ(score->predicted_tokens, tokens->size() - 1);
  EXPECT_LT(score->total_log_prob, 0.0);
  EXPECT_EQ((*model)->Score(std::span(*tokens).first(1)).status().code(), StatusCode::kInvalidArgument);
}

TEST(LocalModel, ChatRenderingTakesTextTurnsOnly) {
  Result<std::unique_ptr<LocalModel>> model = LocalModel::Load(Stories(), {.vocab_only = true});
  ASSERT_TRUE(model.ok());
  ChatMessage user;
  user.role = "user";
  user.content = "Hello";
  EXPECT_TRUE((*model)->TokenizeChat({user}, true).ok());
  ChatMessage call;
  call.role = "assistant";
  call.tool_calls.push_back({"call_1", "lookup", "{}"});
  EXPECT_EQ((*model)->TokenizeChat({user, call}, true).status().code(), StatusCode::kInvalidArgument);
  // A vocabulary cannot run.
  EXPECT_EQ((*model)->NewSequence(64).status().code(), StatusCode::kInvalidArgument);
}

TEST(LocalSequence, RunsOnlyTheTokensPastWhatItHolds) {
  Result<std::unique_ptr<LocalModel>> model = LocalModel::Load(Stories(), {.threads = 1});
  ASSERT_TRUE(model.ok());
  Result<std::unique_ptr<LocalSequence>> sequence = (*model)->NewSequence(128);
  ASSERT_TRUE(sequence.ok());
  GenerationSettings settings;
  settings.temperature = 0;
  settings.max_tokens = 8;
  settings.stop_at_end_of_generation = false;
  const std::vector<int32_t> prompt = *(*model)->Tokenize("Once upon a time", true, false);
  std::string streamed;
  Result<Generation> first =
      (*sequence)->Generate(prompt, settings, [&streamed](std::string_view piece) { streamed += piece; });
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->prompt_tokens, prompt.size());
  EXPECT_EQ(first->stop_reason, "length");
  EXPECT_EQ(streamed, first->text);

  // The conversation so far plus two new tokens: only those (and the reply's last token, which
  // was sampled but never run) go through the network.
  std::vector<int32_t> longer = prompt;
  longer.insert(longer.end(), first->tokens.begin(), first->tokens.end());
  longer.push_back(prompt[1]);
  longer.push_back(prompt[2]);
  Result<Generation> second = (*sequence)->Generate(longer, settings);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->prompt_tokens, 3u);

  // The same prompt again runs one token, for the reply's logits, and replies the same.
  Result<Generation> again = (*sequence)->Generate(longer, settings);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->prompt_tokens, 1u);
  EXPECT_EQ(again->text, second->text);

  EXPECT_EQ((*sequence)->Generate({}, settings).status().code(), StatusCode::kInvalidArgument);
}

TEST(ModelSynth, WritesTheShapeWithItsOverridesAndRefusesUnknownNames) {
  ::troupe::testing::TempDir dir;
  SyntheticModelOptions options;
  options.output = dir / "tiny.gguf";
  options.architecture = "qwen2";
  options.block_count = 1;
  options.weight_type = "q8_0";
  Result<SyntheticModelFile> written = WriteSyntheticModel(options);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_GT(written->parameter_count, 0u);
  EXPECT_EQ(written->file_size, std::filesystem::file_size(options.output));
  Result<std::unique_ptr<LocalModel>> model = LocalModel::Load(options.output, {.vocab_only = true});
  ASSERT_TRUE(model.ok());
  EXPECT_EQ((*model)->info().architecture, "qwen2");

  SyntheticModelOptions unknown = options;
  unknown.shape = "huge";
  EXPECT_THAT(CheckSyntheticModelOptions(unknown).message(), HasSubstr("unknown shape 'huge'"));
  unknown = options;
  unknown.architecture = "mamba";
  EXPECT_EQ(CheckSyntheticModelOptions(unknown).code(), StatusCode::kInvalidArgument);
  unknown = options;
  unknown.output = dir / "bad.gguf";
  unknown.weight_type = "q3_x";
  EXPECT_EQ(WriteSyntheticModel(unknown).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dir / "bad.gguf"));
}

TEST(ConfiguredModel, NoModelIsAHintAndAMissingFileAnError) {
  ::troupe::testing::TempDir dir;
  config::Config config;
  config.data_dir = dir.path().string();
  Result<ConfiguredModel> none = LoadConfiguredModel(config);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->model, nullptr);
  EXPECT_THAT(none->missing_hint, HasSubstr("troupe models pull"));

  config.model.path = (dir / "gone.gguf").string();
  Result<ConfiguredModel> missing = LoadConfiguredModel(config);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().field(), "model.path");

  config.model.path = Stories().string();
  Result<ConfiguredModel> loaded = LoadConfiguredModel(config);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_NE(loaded->model, nullptr);
  EXPECT_EQ(loaded->model->info().architecture, "llama");
}

}  // namespace
}  // namespace troupe::llm
