#include "llm/model_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <span>

#include "engine/engine.h"
#include "engine/kernels/cpu_features.h"
#include "llm/engine_status_internal.h"
#include "llm/local_model_internal.h"

namespace troupe::llm {
namespace {

// Deterministic ids over the whole vocabulary (Knuth's multiplicative hash of the position), so a
// run neither repeats a few embedding rows nor depends on a random generator.
std::vector<int32_t> SpreadTokens(size_t count, int32_t vocab_size) {
  std::vector<int32_t> tokens(count);
  for (size_t i = 0; i < count; ++i) {
    tokens[i] = static_cast<int32_t>((i * 2654435761u + 12345u) % static_cast<uint64_t>(vocab_size));
  }
  return tokens;
}

double Mean(const std::vector<double>& values) {
  if (values.empty()) return 0.0;
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

// llama-bench's spread: the sample standard deviation.
double SampleSd(const std::vector<double>& values) {
  if (values.size() < 2) return 0.0;
  const double mean = Mean(values);
  double squares = 0.0;
  for (const double value : values) squares += (value - mean) * (value - mean);
  return std::sqrt(squares / static_cast<double>(values.size() - 1));
}

bool Cancelled(const BenchOptions& options) { return options.cancel != nullptr && options.cancel->load(); }

// Runs the tests on one transformer and one cache, emptied before every run as llama-bench clears
// its KV cache between repetitions.
class TestRunner {
 public:
  TestRunner(engine::Transformer& transformer, engine::KvCache& cache, const BenchOptions& options)
      : transformer_(transformer), cache_(cache), options_(options) {}

  // The warm-up, then `repetitions` timed runs into test.tokens_per_second; false when cancelled.
  // Throws EngineError as Forward does.
  bool Run(BenchTest& test) {
    const uint32_t length = test.prompt_tokens + test.generated_tokens;
    const std::vector<int32_t> tokens = SpreadTokens(length, transformer_.vocab_size());
    for (int repetition = 0; repetition <= options_.repetitions; ++repetition) {
      if (options_.on_progress) options_.on_progress({test.name, repetition, options_.repetitions});
      const std::optional<double> seconds = test.prompt_tokens > 0 ? Prompt(tokens) : Generation(tokens);
      if (!seconds) return false;
      if (repetition > 0) test.tokens_per_second.push_back(length / std::max(*seconds, 1e-9));
    }
    test.mean_tokens_per_second = Mean(test.tokens_per_second);
    test.sd_tokens_per_second = SampleSd(test.tokens_per_second);
    return true;
  }

 private:
  using Clock = std::chrono::steady_clock;  // real elapsed time is what is measured

  static double SecondsSince(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
  }

  // One pass over the whole prompt; nullopt when cancelled before or during it (between layers,
  // so a long prompt on a large model stops within one layer's work).
  std::optional<double> Prompt(std::span<const int32_t> tokens) {
    cache_.Truncate(0);
    if (Cancelled(options_)) return std::nullopt;
    const Clock::time_point start = Clock::now();
    if (options_.cancel == nullptr) {
      transformer_.Forward(cache_, tokens, /*all_logits=*/false, logits_);
    } else if (!transformer_.ForwardUnlessCancelled(cache_, tokens, /*all_logits=*/false, logits_, *options_.cancel)) {
      return std::nullopt;
    }
    return SecondsSince(start);
  }

  // One pass per token; nullopt when cancelled before the last.
  std::optional<double> Generation(std::span<const int32_t> tokens) {
    cache_.Truncate(0);
    const Clock::time_point start = Clock::now();
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (Cancelled(options_)) return std::nullopt;
      transformer_.Forward(cache_, tokens.subspan(i, 1), /*all_logits=*/false, logits_);
    }
    return SecondsSince(start);
  }

  engine::Transformer& transformer_;
  engine::KvCache& cache_;
  const BenchOptions& options_;
  std::vector<float> logits_;
};

BenchTest PlannedTest(uint32_t prompt_tokens, uint32_t generated_tokens) {
  BenchTest test;
  test.prompt_tokens = prompt_tokens;
  test.generated_tokens = generated_tokens;
  test.name = prompt_tokens > 0 ? "pp" + std::to_string(prompt_tokens) : "tg" + std::to_string(generated_tokens);
  return test;
}

Status CheckOptions(const ModelInfo& info, const BenchOptions& options) {
  if (!info.hyperparameters) {
    return InvalidArgument(info.path + ": loaded as a vocabulary only; it cannot run", "model");
  }
  if (options.repetitions < 1) return InvalidArgument("at least one repetition is needed", "repetitions");
  if (options.prompt_tokens == 0 && options.generated_tokens == 0) {
    return InvalidArgument("nothing to measure: both the prompt and the generation test are off", "prompt_tokens");
  }
  if (options.measure_bandwidth) {
    // Refused now rather than after minutes of runs; the thread count is the model's, checked later.
    TROUPE_RETURN_IF_ERROR(CheckBandwidthOptions(
        {.threads = 1, .buffer_bytes = options.bandwidth_buffer_bytes, .passes = options.bandwidth_passes}));
  }
  const uint64_t context = info.hyperparameters->context_length;
  if (options.prompt_tokens > context) {
    return InvalidArgument(std::to_string(options.prompt_tokens) + " prompt tokens exceed the model's context of " +
                               std::to_string(context) + " tokens",
                           "prompt_tokens");
  }
  if (options.generated_tokens > context) {
    return InvalidArgument(std::to_string(options.generated_tokens) +
                               " generated tokens exceed the model's context of " + std::to_string(context) + " tokens",
                           "generated_tokens");
  }
  return Status::Ok();
}

// The tests of `options` into report.tests; sets report.cancelled when cancelled.
Status RunTests(engine::Model& model, const BenchOptions& options, BenchReport& report) {
  try {
    engine::Transformer& transformer = model.transformer();
    report.threads = transformer.threads();
    const std::unique_ptr<engine::KvCache> cache =
        model.NewSequence(std::max(options.prompt_tokens, options.generated_tokens));
    TestRunner runner(transformer, *cache, options);
    for (BenchTest test : {PlannedTest(options.prompt_tokens, 0), PlannedTest(0, options.generated_tokens)}) {
      if (test.prompt_tokens + test.generated_tokens == 0) continue;
      const bool finished = runner.Run(test);
      report.tests.push_back(std::move(test));
      if (!finished) {
        report.cancelled = true;
        break;
      }
    }
  } catch (const engine::EngineError& error) {
    return StatusFromEngineError(error);
  }
  return Status::Ok();
}

// The probe at the model's thread count, and the limit it sets; sets report.cancelled when cancelled.
Status MeasureLimit(const BenchOptions& options, BenchReport& report) {
  if (options.on_progress) options.on_progress({"bandwidth", 0, options.bandwidth_passes});
  TROUPE_ASSIGN_OR_RETURN(const MemoryBandwidth bandwidth,
                          MeasureReadBandwidth({.threads = report.threads,
                                                .buffer_bytes = options.bandwidth_buffer_bytes,
                                                .passes = options.bandwidth_passes,
                                                .cancel = options.cancel}));
  if (Cancelled(options) || bandwidth.passes < options.bandwidth_passes) {
    report.cancelled = true;
    return Status::Ok();
  }
  report.bandwidth = bandwidth;
  if (report.weight_bytes_per_token == 0 || bandwidth.bytes_per_second <= 0.0) return Status::Ok();
  DecodeLimit limit;
  limit.tokens_per_second = bandwidth.bytes_per_second / static_cast<double>(report.weight_bytes_per_token);
  for (const BenchTest& test : report.tests) {
    if (test.generated_tokens > 0) limit.share = test.mean_tokens_per_second / limit.tokens_per_second;
  }
  report.decode_limit = limit;
  return Status::Ok();
}

}  // namespace

Result<BenchReport> RunModelBench(LocalModel& model, const BenchOptions& options) {
  const ModelInfo& info = model.info();
  TROUPE_RETURN_IF_ERROR(CheckOptions(info, options));
  BenchReport report;
  report.model = ModelLabel(info);
  report.path = info.path;
  report.weight_bytes = info.tensor_bytes;
  report.parameter_count = info.parameter_count;
  report.kernel_path = KernelPathName();
  report.weight_bytes_per_token = WeightBytesPerToken(model);
  TROUPE_RETURN_IF_ERROR(RunTests(*LocalModelAccess::EngineModel(model), options, report));
  if (!report.cancelled && options.measure_bandwidth) TROUPE_RETURN_IF_ERROR(MeasureLimit(options, report));
  return report;
}

uint64_t WeightBytesPerToken(const LocalModel& model) {
  const engine::Model& engine_model = *LocalModelAccess::EngineModel(model);
  if (!engine_model.summary().spec) return 0;
  const engine::GgufFile& file = engine_model.file();
  uint64_t bytes = 0;
  for (const engine::GgufTensorInfo& tensor : file.tensors()) bytes += tensor.byte_size;
  const engine::GgufTensorInfo* embedding = file.FindTensor("token_embd.weight");
  if (embedding != nullptr && !engine_model.summary().spec->tied_embeddings && embedding->shape.size() >= 2) {
    // Rows are whole blocks of the stored type, so the division is exact.
    const uint64_t rows = embedding->shape[1];
    bytes = bytes - embedding->byte_size + embedding->byte_size / std::max<uint64_t>(rows, 1);
  }
  return bytes;
}

std::string ModelLabel(const ModelInfo& info) {
  const double count = static_cast<double>(info.parameter_count);
  char size[32];
  if (count >= 999.5e6) {
    std::snprintf(size, sizeof size, "%.1fB", count / 1e9);
  } else if (count >= 999.5e3) {
    std::snprintf(size, sizeof size, "%.0fM", count / 1e6);
  } else if (count >= 999.5) {
    std::snprintf(size, sizeof size, "%.0fK", count / 1e3);
  } else {
    std::snprintf(size, sizeof size, "%.0f", count);
  }
  std::string type = info.file_type;
  if (type.empty() && !info.tensors_by_type.empty()) {
    type = std::max_element(info.tensors_by_type.begin(), info.tensors_by_type.end(),
                            [](const auto& a, const auto& b) { return a.second < b.second; })
               ->first;
  }
  std::string label = info.architecture.empty() ? "unknown" : info.architecture;
  label += std::string(" ") + size;
  if (!type.empty()) label += " " + type;
  return label;
}

std::string KernelPathName() {
  return std::string(engine::kernels::NameOf(engine::kernels::ActiveKernelPath()));
}

}  // namespace troupe::llm
