// What constrained decoding adds to a step: masking the whole vocabulary against a JSON Schema's
// grammar (engine/token_constraint.h) in the states a JSON reply spends its tokens in, for the
// real 32k (Llama 2), 128k (Llama 3) and 152k (Qwen2) vocabularies; and, for the ratio, one decode
// step of a model with SmolLM2-135M's shape and Qwen2's 152k vocabulary (Q8_0, 2 threads),
// measured in the same run. Needs ../shared (the vocabularies).
//   build/release/bench/constraint_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/gguf.h"
#include "scratch_dir.h"
#include "engine/json_schema.h"
#include "engine/model_spec.h"
#include "engine/synth.h"
#include "engine/token_constraint.h"
#include "engine/tokenizer.h"
#include "engine/transformer.h"

namespace troupe::engine {
namespace {

namespace fs = std::filesystem;

const char* const kVocabularies[] = {"ggml-vocab-llama-spm.gguf", "ggml-vocab-llama-bpe.gguf", "ggml-vocab-qwen2.gguf"};

fs::path VocabularyPath(int index) {
  return fs::path(TROUPE_SHARED_DIR_DEFAULT) / "testdata/tokenizer" / kVocabularies[index];
}

const Tokenizer& TokenizerFor(int index) {
  static std::map<int, std::unique_ptr<Tokenizer>> tokenizers;
  std::unique_ptr<Tokenizer>& tokenizer = tokenizers[index];
  if (!tokenizer) tokenizer = std::make_unique<Tokenizer>(Tokenizer::FromGguf(GgufFile::Open(VocabularyPath(index))));
  return *tokenizer;
}

std::shared_ptr<const ConstraintVocabulary> VocabularyFor(int index) {
  static std::map<int, std::shared_ptr<const ConstraintVocabulary>> vocabularies;
  auto& vocabulary = vocabularies[index];
  if (!vocabulary) vocabulary = std::make_shared<const ConstraintVocabulary>(TokenizerFor(index));
  return vocabulary;
}

const Grammar& PersonGrammar() {
  static const Grammar grammar = JsonSchemaGrammar(std::string_view(R"({"type": "object", "properties": {
      "name": {"type": "string"}, "age": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}},
      "address": {"type": "object", "properties": {"city": {"type": "string"}}}}, "required": ["name", "age"]})"));
  return grammar;
}

// Where the reply stands when the step is masked: inside a string (nearly every token allowed),
// expecting a key, or inside a number.
const char* const kPrefixes[] = {R"({"name": "Ann )", R"({)", R"({"name": "Ann", "age": 4)"};
const char* const kStateNames[] = {"in a string", "before a key", "in a number"};

// remembered 0: the first mask of a state (a fresh constraint each time, its set-up untimed: the
// trie walk, with the automaton's transitions computed on the way); 1: the mask of a state seen
// before (TokenConstraint remembers it).
void BM_MaskStep(benchmark::State& state) {
  const int vocabulary = static_cast<int>(state.range(0));
  const bool remembered = state.range(2) == 1;
  std::vector<float> logits(static_cast<size_t>(TokenizerFor(vocabulary).vocab_size()));
  auto fresh = [&] {
    auto constraint = std::make_unique<TokenConstraint>(PersonGrammar(), VocabularyFor(vocabulary));
    if (!constraint->AcceptText(kPrefixes[state.range(1)])) state.SkipWithError("the prefix does not match");
    return constraint;
  };
  std::unique_ptr<TokenConstraint> constraint = fresh();
  constraint->Mask(logits);
  for (auto _ : state) {
    if (!remembered) {
      state.PauseTiming();
      constraint = fresh();
      state.ResumeTiming();
    }
    std::fill(logits.begin(), logits.end(), 0.0f);
    constraint->Mask(logits);
    benchmark::DoNotOptimize(logits.data());
  }
  state.SetLabel(std::string(kVocabularies[vocabulary]) + ", " + kStateNames[state.range(1)] +
                 (remembered ? ", remembered" : ", first time"));
}

void BM_BuildVocabulary(benchmark::State& state) {
  const Tokenizer& tokenizer = TokenizerFor(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    ConstraintVocabulary vocabulary(tokenizer);
    benchmark::DoNotOptimize(&vocabulary);
  }
  state.SetLabel(kVocabularies[state.range(0)]);
}


void BM_DecodeStep(benchmark::State& state) {
  static ScratchDir dir("troupe-constraint-bench");
  SynthOptions options;
  options.output = dir.path() / "smollm2-135m-qwen2-vocab-q8_0.gguf";
  options.shape = *ShapePreset("smollm2-135m");
  options.weight_type = "q8_0";
  options.vocab_file = VocabularyPath(2);
  if (!fs::exists(options.output)) WriteSyntheticModel(options);
  const GgufFile file = GgufFile::Open(options.output);
  const ModelSpec spec = ModelSpec::FromGguf(file);
  auto transformer = Transformer::Create(file, spec, 2);
  constexpr uint32_t kCapacity = 256;
  auto cache = transformer->NewCache(kCapacity);
  std::vector<int32_t> prompt(64);
  for (size_t i = 0; i < prompt.size(); ++i) prompt[i] = static_cast<int32_t>((i * 7919 + 13) % spec.vocab_size);
  std::vector<float> logits;
  transformer->Forward(*cache, prompt, false, logits);
  int32_t next[] = {1};
  for (auto _ : state) {
    if (cache->size() == kCapacity) cache->Truncate(static_cast<uint32_t>(prompt.size()));
    transformer->Forward(*cache, next, false, logits);
    next[0] = static_cast<int32_t>(cache->size() % spec.vocab_size);
  }
  state.SetLabel("smollm2-135m shape, qwen2 vocabulary, q8_0, 2 threads");
}

BENCHMARK(BM_MaskStep)
    ->ArgsProduct({{0, 1, 2}, {0, 1, 2}, {0, 1}})
    ->ArgNames({"vocabulary", "state", "remembered"})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BuildVocabulary)->DenseRange(0, 2)->ArgName("vocabulary")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeStep)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace troupe::engine

BENCHMARK_MAIN();
