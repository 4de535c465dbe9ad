// Forward-pass speed on a synthetic model with SmolLM2-135M's shape (30 layers, n_embd 576, 9/3
// heads, n_ff 1536, 49152 tokens): prompt processing (one batch of 128 tokens) and generation
// (one token at a time after a 64-token prompt), in Q8_0 and Q4_K_M, at 1 and 2 threads. The
// model files are written once per run into a temporary directory (engine/synth.h).
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/gguf.h"
#include "scratch_dir.h"
#include "engine/model_spec.h"
#include "engine/synth.h"
#include "engine/transformer.h"

namespace troupe::engine {
namespace {

const char* const kWeightTypes[] = {"q8_0", "q4_k_m"};


struct LoadedModel {
  GgufFile file;
  ModelSpec spec;
};

// One synthetic file per weight type, made on first use and kept for the whole run.
const LoadedModel& ModelFor(const std::string& weight_type) {
  static ScratchDir dir("troupe-forward-bench");
  static std::map<std::string, std::unique_ptr<LoadedModel>> models;
  auto found = models.find(weight_type);
  if (found != models.end()) return *found->second;
  SynthOptions options;
  options.output = dir.path() / ("smollm2-135m-" + weight_type + ".gguf");
  options.shape = *ShapePreset("smollm2-135m");
  options.weight_type = weight_type;
  WriteSyntheticModel(options);
  GgufFile file = GgufFile::Open(options.output);
  ModelSpec spec = ModelSpec::FromGguf(file);
  auto model = std::make_unique<LoadedModel>(LoadedModel{std::move(file), spec});
  return *models.emplace(weight_type, std::move(model)).first->second;
}

std::vector<int32_t> PromptTokens(size_t count, uint64_t vocab) {
  std::vector<int32_t> tokens(count);
  for (size_t i = 0; i < count; ++i) tokens[i] = static_cast<int32_t>((i * 7919 + 13) % vocab);
  return tokens;
}

void SetLabel(benchmark::State& state) {
  state.SetLabel(std::string(kWeightTypes[state.range(0)]) + ", " +
                 std::to_string(state.range(1)) + " thread(s)");
}

void BM_PromptTokens(benchmark::State& state) {
  const LoadedModel& model = ModelFor(kWeightTypes[state.range(0)]);
  auto transformer =
      Transformer::Create(model.file, model.spec, static_cast<int>(state.range(1)));
  const std::vector<int32_t> prompt = PromptTokens(128, model.spec.vocab_size);
  auto cache = transformer->NewCache(static_cast<uint32_t>(prompt.size()));
  std::vector<float> logits;
  for (auto _ : state) {
    cache->Truncate(0);
    transformer->Forward(*cache, prompt, false, logits);
    benchmark::DoNotOptimize(logits.data());
  }
  state.counters["tokens/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * prompt.size()), benchmark::Counter::kIsRate);
  SetLabel(state);
}

void BM_GenerationTokens(benchmark::State& state) {
  const LoadedModel& model = ModelFor(kWeightTypes[state.range(0)]);
  auto transformer =
      Transformer::Create(model.file, model.spec, static_cast<int>(state.range(1)));
  const std::vector<int32_t> prompt = PromptTokens(64, model.spec.vocab_size);
  constexpr uint32_t kCapacity = 256;
  auto cache = transformer->NewCache(kCapacity);
  std::vector<float> logits;
  transformer->Forward(*cache, prompt, false, logits);
  int32_t next[] = {1};
  for (auto _ : state) {
    // Rewinding to the prompt keeps the attention span between 64 and 256 positions.
    if (cache->size() == kCapacity) cache->Truncate(static_cast<uint32_t>(prompt.size()));
    transformer->Forward(*cache, next, false, logits);
    next[0] = static_cast<int32_t>(cache->size() % model.spec.vocab_size);
  }
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  SetLabel(state);
}

// Continuous batching's decode step: `sequences` sequences, one token each, in one ForwardBatch
// (Q8_0, 2 threads); tokens/s counts every sequence's token.
void BM_BatchedGenerationTokens(benchmark::State& state) {
  const LoadedModel& model = ModelFor("q8_0");
  auto transformer = Transformer::Create(model.file, model.spec, 2);
  const size_t sequences = static_cast<size_t>(state.range(0));
  const std::vector<int32_t> prompt = PromptTokens(64, model.spec.vocab_size);
  constexpr uint32_t kCapacity = 256;
  std::vector<std::unique_ptr<KvCache>> caches;
  std::vector<float> logits;
  for (size_t s = 0; s < sequences; ++s) {
    caches.push_back(transformer->NewCache(kCapacity));
    transformer->Forward(*caches.back(), prompt, false, logits);
  }
  std::vector<int32_t> next(sequences, 1);
  std::vector<ForwardEntry> entries(sequences);
  for (auto _ : state) {
    for (size_t s = 0; s < sequences; ++s) {
      if (caches[s]->size() == kCapacity) caches[s]->Truncate(static_cast<uint32_t>(prompt.size()));
      entries[s] = ForwardEntry{caches[s].get(), std::span<const int32_t>(&next[s], 1), true};
    }
    transformer->ForwardBatch(entries, logits);
    for (size_t s = 0; s < sequences; ++s) next[s] = static_cast<int32_t>((caches[s]->size() + s) % model.spec.vocab_size);
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(state.iterations() * sequences),
                                                  benchmark::Counter::kIsRate);
  state.SetLabel("q8_0, 2 threads, " + std::to_string(sequences) + " sequences");
}

void TypesAndThreads(benchmark::internal::Benchmark* benchmark) {
  benchmark->ArgNames({"type", "threads"});
  for (int64_t type = 0; type < 2; ++type) {
    for (int64_t threads : {1, 2}) benchmark->Args({type, threads});
  }
  benchmark->UseRealTime()->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_PromptTokens)->Apply(TypesAndThreads);
BENCHMARK(BM_GenerationTokens)->Apply(TypesAndThreads);
BENCHMARK(BM_BatchedGenerationTokens)->Arg(1)->Arg(4)->Arg(8)->Arg(16)->ArgName("sequences")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace troupe::engine

BENCHMARK_MAIN();
