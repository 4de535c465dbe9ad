// Speculative decoding against plain greedy decoding on the same main model, measured in one run:
// the synthetic tiny-llama-spm F16 file with its Q4_0 quantization as the draft (same vocabulary,
// same master weights), 64 greedy tokens after a short prompt, 2 threads each. Counters: tokens/s,
// and for speculative runs the share of proposals kept. Needs ../shared (the models).
//   build/release/bench/speculative_bench
#include <benchmark/benchmark.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "engine/engine.h"
#include "engine/speculative.h"

namespace troupe::engine {
namespace {

Model& Load(const std::string& relative) {
  static std::map<std::string, std::unique_ptr<Model>> models;
  std::unique_ptr<Model>& model = models[relative];
  if (!model) {
    LoadOptions options;
    options.threads = 2;
    model = Model::Load(std::filesystem::path(TROUPE_SHARED_DIR_DEFAULT) / relative, options);
  }
  return *model;
}

GenerationRequest Request(Model& model) {
  GenerationRequest request;
  request.prompt = model.Tokenize("Hello, my name is", true, false);
  request.sampling = GreedyParams();
  request.max_tokens = 64;
  request.stop_on_end_of_generation = false;
  return request;
}

void BM_PlainGreedy(benchmark::State& state) {
  Model& main = Load("models/synthetic/tiny-llama-spm-F16.gguf");
  const GenerationRequest request = Request(main);
  size_t tokens = 0;
  for (auto _ : state) tokens += main.Generate(*main.NewSequence(256), request).tokens.size();
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
}

void BM_Speculative(benchmark::State& state) {
  Model& main = Load("models/synthetic/tiny-llama-spm-F16.gguf");
  Model& draft = Load("models/synthetic/tiny-llama-spm-Q4_0.gguf");
  const GenerationRequest request = Request(main);
  size_t tokens = 0;
  SpeculativeStats stats;
  uint64_t proposed = 0;
  uint64_t accepted = 0;
  for (auto _ : state) {
    tokens += GenerateSpeculative(main.transformer(), draft.transformer(), main.tokenizer(), *main.NewSequence(256),
                                  *draft.NewSequence(256), request, {},
                                  SpeculativeOptions{.draft_tokens = static_cast<int>(state.range(0))}, &stats)
                  .tokens.size();
    proposed += stats.proposed;
    accepted += stats.accepted;
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
  state.counters["kept"] = proposed == 0 ? 0.0 : static_cast<double>(accepted) / static_cast<double>(proposed);
}

BENCHMARK(BM_PlainGreedy)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Speculative)->Arg(2)->Arg(4)->Arg(8)->ArgName("draft_tokens")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace troupe::engine

BENCHMARK_MAIN();
