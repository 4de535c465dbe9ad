// The model bench (`troupe bench`) on real files with tiny token counts: the report's shape, the
// weights a decoded token reads for untied and tied embeddings, progress, cancellation, the
// options it refuses. Speeds are only checked to be positive: timings depend on the machine.
#include "llm/model_bench.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "support/temp_dir.h"

namespace troupe::llm {
namespace {

using ::testing::ElementsAre;
using ::testing::Each;
using ::testing::Gt;
using ::testing::HasSubstr;

constexpr uint64_t kMiB = 1024 * 1024;

std::filesystem::path SharedModel(const std::string& name) { return ::troupe::testing::SharedDir() / "models" / name; }

std::unique_ptr<LocalModel> Load(const std::string& name, int threads = 1) {
  Result<std::unique_ptr<LocalModel>> model = LocalModel::Load(SharedModel(name), {.threads = threads});
  EXPECT_TRUE(model.ok()) << name << ": " << model.status().ToString();
  return model.ok() ? std::move(*model) : nullptr;
}

// Small enough for the sanitizer build; the probe's figure means nothing at this size.
BenchOptions TinyOptions() {
  BenchOptions options;
  options.prompt_tokens = 8;
  options.generated_tokens = 4;
  options.repetitions = 2;
  options.bandwidth_buffer_bytes = 4 * kMiB;
  options.bandwidth_passes = 2;
  return options;
}

TEST(ModelBench, ReportsEachTestsRunsAndTheDecodeLimit) {
  const std::unique_ptr<LocalModel> model = Load("stories260K.gguf");
  ASSERT_NE(model, nullptr);
  const Result<BenchReport> report = RunModelBench(*model, TinyOptions());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_FALSE(report->cancelled);
  EXPECT_EQ(report->model, "llama 293K F32");
  EXPECT_EQ(report->path, SharedModel("stories260K.gguf").string());
  EXPECT_EQ(report->weight_bytes, model->info().tensor_bytes);
  EXPECT_EQ(report->parameter_count, model->info().parameter_count);
  EXPECT_EQ(report->threads, 1);
  EXPECT_EQ(report->kernel_path, KernelPathName());
  EXPECT_THAT((std::vector<std::string>{"scalar", "avx2", "avx-vnni", "avx512"}),
              ::testing::Contains(report->kernel_path));

  ASSERT_EQ(report->tests.size(), 2u);
  const BenchTest& prompt = report->tests[0];
  const BenchTest& generation = report->tests[1];
  EXPECT_EQ(prompt.name, "pp8");
  EXPECT_EQ(prompt.prompt_tokens, 8u);
  EXPECT_EQ(prompt.generated_tokens, 0u);
  EXPECT_EQ(generation.name, "tg4");
  EXPECT_EQ(generation.prompt_tokens, 0u);
  EXPECT_EQ(generation.generated_tokens, 4u);
  for (const BenchTest& test : report->tests) {
    SCOPED_TRACE(test.name);
    ASSERT_EQ(test.tokens_per_second.size(), 2u);
    EXPECT_THAT(test.tokens_per_second, Each(Gt(0.0)));
    const double mean = (test.tokens_per_second[0] + test.tokens_per_second[1]) / 2;
    EXPECT_DOUBLE_EQ(test.mean_tokens_per_second, mean);
    // Two samples: the sample standard deviation is |a - b| / sqrt(2).
    EXPECT_NEAR(test.sd_tokens_per_second,
                std::abs(test.tokens_per_second[0] - test.tokens_per_second[1]) / std::sqrt(2.0), 1e-9 * mean);
  }

  ASSERT_TRUE(report->bandwidth.has_value());
  EXPECT_GT(report->bandwidth->bytes_per_second, 0.0);
  EXPECT_EQ(report->bandwidth->buffer_bytes, 4 * kMiB);
  EXPECT_EQ(report->bandwidth->threads, 1);
  EXPECT_EQ(report->bandwidth->passes, 2);
  ASSERT_TRUE(report->decode_limit.has_value());
  EXPECT_EQ(report->weight_bytes_per_token, WeightBytesPerToken(*model));
  EXPECT_DOUBLE_EQ(report->decode_limit->tokens_per_second,
                   report->bandwidth->bytes_per_second / static_cast<double>(report->weight_bytes_per_token));
  EXPECT_DOUBLE_EQ(report->decode_limit->share,
                   generation.mean_tokens_per_second / report->decode_limit->tokens_per_second);
}

TEST(ModelBench, RunsOnlyTheTestsAskedForAndTheProbeOnlyWhenAsked) {
  const std::unique_ptr<LocalModel> model = Load("synthetic/tiny-qwen2-bpe-Q4_K_M.gguf");
  ASSERT_NE(model, nullptr);
  BenchOptions options = TinyOptions();
  options.prompt_tokens = 0;
  options.repetitions = 1;
  options.measure_bandwidth = false;
  const Result<BenchReport> report = RunModelBench(*model, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->tests.size(), 1u);
  EXPECT_EQ(report->tests[0].name, "tg4");
  EXPECT_EQ(report->tests[0].tokens_per_second.size(), 1u);
  EXPECT_EQ(report->tests[0].sd_tokens_per_second, 0.0);
  EXPECT_FALSE(report->bandwidth.has_value());
  EXPECT_FALSE(report->decode_limit.has_value());
  EXPECT_THAT(report->model, ::testing::StartsWith("qwen2 "));
}

// The embedding (token_embd.weight, vocab rows of n_embd) by itself, and every tensor's bytes.
struct WeightBytes {
  uint64_t all = 0;
  uint64_t embedding = 0;
  uint64_t embedding_rows = 0;
};

WeightBytes BytesOf(const LocalModel& model) {
  WeightBytes bytes;
  for (const TensorEntry& tensor : model.Tensors()) {
    bytes.all += tensor.bytes;
    if (tensor.name == "token_embd.weight") {
      bytes.embedding = tensor.bytes;
      bytes.embedding_rows = tensor.shape.at(1);
    }
  }
  return bytes;
}

TEST(ModelBench, AnUntiedTokenReadsOneEmbeddingRowAndEveryOtherWeight) {
  for (const std::string name : {"stories260K.gguf", "synthetic/tiny-llama-spm-Q8_0.gguf",
                                 "synthetic/tiny-llama-spm-Q4_K_M.gguf"}) {
    SCOPED_TRACE(name);
    const std::unique_ptr<LocalModel> model = Load(name);
    ASSERT_NE(model, nullptr);
    ASSERT_FALSE(model->info().hyperparameters->tied_embeddings);
    const WeightBytes bytes = BytesOf(*model);
    ASSERT_GT(bytes.embedding_rows, 1u);
    EXPECT_EQ(bytes.all, model->info().tensor_bytes);
    EXPECT_EQ(WeightBytesPerToken(*model), bytes.all - bytes.embedding + bytes.embedding / bytes.embedding_rows);
  }
  // stories260K in numbers: all F32, 512 tokens of 64 values, so one row is 256 bytes.
  const std::unique_ptr<LocalModel> stories = Load("stories260K.gguf");
  ASSERT_NE(stories, nullptr);
  EXPECT_EQ(WeightBytesPerToken(*stories), stories->info().tensor_bytes - 512 * 64 * 4 + 64 * 4);
}

TEST(ModelBench, ATiedTokenReadsTheWholeEmbeddingAsTheOutputMatrix) {
  for (const std::string name : {"synthetic/tiny-qwen2-bpe-Q4_K_M.gguf", "synthetic/tiny-llama3-bpe-Q8_0.gguf"}) {
    SCOPED_TRACE(name);
    const std::unique_ptr<LocalModel> model = Load(name);
    ASSERT_NE(model, nullptr);
    ASSERT_TRUE(model->info().hyperparameters->tied_embeddings);
    EXPECT_EQ(WeightBytesPerToken(*model), model->info().tensor_bytes);
    EXPECT_EQ(WeightBytesPerToken(*model), BytesOf(*model).all);
  }
}

TEST(ModelBench, ReportsTheWarmUpAndEachRunInOrder) {
  const std::unique_ptr<LocalModel> model = Load("stories260K.gguf");
  ASSERT_NE(model, nullptr);
  std::vector<std::string> seen;
  BenchOptions options = TinyOptions();
  options.on_progress = [&seen](const BenchProgress& progress) {
    seen.push_back(progress.test + " " + std::to_string(progress.repetition) + "/" +
                   std::to_string(progress.repetitions));
  };
  ASSERT_TRUE(RunModelBench(*model, options).ok());
  EXPECT_THAT(seen, ElementsAre("pp8 0/2", "pp8 1/2", "pp8 2/2", "tg4 0/2", "tg4 1/2", "tg4 2/2", "bandwidth 0/2"));
}

TEST(ModelBench, CancellingStopsBeforeTheNextPassAndKeepsTheFinishedRuns) {
  const std::unique_ptr<LocalModel> model = Load("stories260K.gguf");
  ASSERT_NE(model, nullptr);
  std::atomic<bool> cancel{false};
  BenchOptions options = TinyOptions();
  options.repetitions = 5;
  options.cancel = &cancel;
  int progress_calls = 0;
  // As if Ctrl-C came while the second timed generation run starts.
  options.on_progress = [&](const BenchProgress& progress) {
    ++progress_calls;
    if (progress.test == "tg4" && progress.repetition == 2) cancel.store(true);
  };
  const Result<BenchReport> report = RunModelBench(*model, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->cancelled);
  ASSERT_EQ(report->tests.size(), 2u);
  EXPECT_EQ(report->tests[0].tokens_per_second.size(), 5u);
  EXPECT_EQ(report->tests[1].tokens_per_second.size(), 1u);
  EXPECT_EQ(progress_calls, 6 + 3);  // nothing started after the cancel
  EXPECT_FALSE(report->bandwidth.has_value());
  EXPECT_FALSE(report->decode_limit.has_value());

  // Cancelled before it starts: nothing runs.
  const Result<BenchReport> early = RunModelBench(*model, options);
  ASSERT_TRUE(early.ok());
  EXPECT_TRUE(early->cancelled);
  ASSERT_EQ(early->tests.size(), 1u);
  EXPECT_TRUE(early->tests[0].tokens_per_second.empty());
}

TEST(ModelBench, RefusesOptionsItCannotRunNamingTheField) {
  const std::unique_ptr<LocalModel> model = Load("stories260K.gguf");
  ASSERT_NE(model, nullptr);
  auto failure = [&model](const BenchOptions& options) { return RunModelBench(*model, options).status(); };

  BenchOptions options = TinyOptions();
  options.repetitions = 0;
  EXPECT_EQ(failure(options).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(failure(options).field(), "repetitions");

  options = TinyOptions();
  options.prompt_tokens = 0;
  options.generated_tokens = 0;
  EXPECT_EQ(failure(options).field(), "prompt_tokens");

  options = TinyOptions();
  options.prompt_tokens = 4096;  // the model was trained on 2048
  EXPECT_EQ(failure(options).field(), "prompt_tokens");
  EXPECT_THAT(failure(options).message(), HasSubstr("2048"));
  options = TinyOptions();
  options.generated_tokens = 4096;
  EXPECT_EQ(failure(options).field(), "generated_tokens");

  // Refused before the runs, not after them.
  options = TinyOptions();
  options.bandwidth_buffer_bytes = 1000;
  int runs_started = 0;
  options.on_progress = [&runs_started](const BenchProgress&) { ++runs_started; };
  EXPECT_EQ(failure(options).field(), "buffer_bytes");
  EXPECT_EQ(runs_started, 0);
  options.bandwidth_buffer_bytes = 0;
  options.bandwidth_passes = 0;
  EXPECT_EQ(failure(options).field(), "passes");
  EXPECT_EQ(runs_started, 0);

  Result<std::unique_ptr<LocalModel>> vocabulary =
      LocalModel::Load(SharedModel("stories260K.gguf"), {.vocab_only = true});
  ASSERT_TRUE(vocabulary.ok());
  const Status status = RunModelBench(**vocabulary, TinyOptions()).status();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("vocabulary only"));
  EXPECT_EQ(WeightBytesPerToken(**vocabulary), 0u);
}

TEST(ModelLabel, ArchitectureRoundedSizeAndFileType) {
  ModelInfo info;
  info.architecture = "llama";
  info.parameter_count = 134'515'008;
  info.file_type = "Q8_0";
  EXPECT_EQ(ModelLabel(info), "llama 135M Q8_0");
  info.architecture = "qwen2";
  info.parameter_count = 1'235'814'400;
  info.file_type = "Q4_K_M";
  EXPECT_EQ(ModelLabel(info), "qwen2 1.2B Q4_K_M");
  // No file type in the file: the type most tensors have.
  info.file_type.clear();
  info.parameter_count = 292'000;
  info.tensors_by_type = {{"F32", 9}, {"Q4_K", 25}, {"Q6_K", 5}};
  EXPECT_EQ(ModelLabel(info), "qwen2 292K Q4_K");
}

}  // namespace
}  // namespace troupe::llm
