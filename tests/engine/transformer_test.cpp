// The forward pass against llama.cpp's goldens (shared/testdata/golden, README there): for every
// shared model, last-position logits, top-40 lists, greedy continuations and the perplexity of
// the long prompt, within the README's tolerances. The measured figures are printed so they can
// be recorded.
#include "engine/transformer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <span>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/gguf.h"
#include "engine/model_spec.h"
#include "engine/synth.h"
#include "support/temp_dir.h"

namespace troupe::engine {
namespace {

using nlohmann::json;

struct GoldenCase {
  std::string stem;
  std::string model_path;  // under shared/models
  bool quantized;
};

std::ostream& operator<<(std::ostream& out, const GoldenCase& golden) { return out << golden.stem; }

// The README's tolerances.
struct Tolerance {
  double max_abs_diff;
  double min_pearson;
};
Tolerance ToleranceFor(const GoldenCase& golden) {
  return golden.quantized ? Tolerance{0.6, 0.9998} : Tolerance{0.05, 0.99999};
}

json ReadJson(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) ADD_FAILURE() << "cannot open " << path;
  return json::parse(in);
}

std::vector<float> ReadFloats(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return values;
}

double Pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  double mean_a = 0, mean_b = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    mean_a += a[i];
    mean_b += b[i];
  }
  mean_a /= n;
  mean_b /= n;
  double cov = 0, var_a = 0, var_b = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    cov += (a[i] - mean_a) * (b[i] - mean_b);
    var_a += (a[i] - mean_a) * (a[i] - mean_a);
    var_b += (b[i] - mean_b) * (b[i] - mean_b);
  }
  return cov / std::sqrt(var_a * var_b);
}

double MaxAbsDiff(const std::vector<double>& a, const std::vector<double>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
  return worst;
}

int32_t ArgMax(const float* logits, size_t count) {
  // std::max_element returns the first maximum: the lowest id wins a tie, as in the goldens.
  return static_cast<int32_t>(std::max_element(logits, logits + count) - logits);
}

std::vector<int32_t> TokensOf(const json& prompt) { return prompt.at("tokens").get<std::vector<int32_t>>(); }

class TransformerGoldenTest : public ::testing::TestWithParam<GoldenCase> {
 protected:
  void SetUp() override {
    const std::filesystem::path shared = testing::SharedDir();
    golden_ = ReadJson(shared / "testdata/golden" / (GetParam().stem + ".json"));
    file_.emplace(GgufFile::Open(shared / "models" / GetParam().model_path));
    spec_ = ModelSpec::FromGguf(*file_);
    transformer_ = Transformer::Create(*file_, spec_, 2);
    ASSERT_EQ(transformer_->vocab_size(), golden_.at("vocab").at("n_vocab").get<int32_t>());
  }

  const json& Prompt(const std::string& name) const {
    for (const json& prompt : golden_.at("prompts")) {
      if (prompt.at("name") == name) return prompt;
    }
    throw std::runtime_error("golden has no prompt " + name);
  }

  // Runs the prompt in one batch on a fresh cache; returns its last-position logits and leaves
  // the cache holding it.
  std::vector<float> RunPrompt(const json& prompt, std::unique_ptr<KvCache>& cache) {
    const std::vector<int32_t> tokens = TokensOf(prompt);
    cache = transformer_->NewCache(static_cast<uint32_t>(tokens.size() + 40));
    std::vector<float> logits;
    transformer_->Forward(*cache, tokens, false, logits);
    EXPECT_EQ(cache->size(), tokens.size());
    return logits;
  }

  // Greedy decoding compared with the golden up to the first step whose recorded margin is under
  // the tolerance; returns how many steps were compared and matched.
  int CheckGreedy(const json& prompt, std::unique_ptr<KvCache>& cache, std::vector<float> logits) {
    const json& greedy = prompt.at("greedy");
    const auto expected = greedy.at("tokens").get<std::vector<int32_t>>();
    const auto margins = greedy.at("margin_top1_minus_top2").get<std::vector<double>>();
    const double tolerance = ToleranceFor(GetParam()).max_abs_diff;
    int compared = 0;
    for (size_t step = 0; step < expected.size(); ++step) {
      if (margins[step] < tolerance) break;
      const int32_t chosen = ArgMax(logits.data(), logits.size());
      EXPECT_EQ(chosen, expected[step]) << prompt.at("name") << " greedy step " << step;
      if (chosen != expected[step]) break;
      ++compared;
      const int32_t next[] = {chosen};
      transformer_->Forward(*cache, next, false, logits);
    }
    return compared;
  }

  json golden_;
  std::optional<GgufFile> file_;
  ModelSpec spec_;
  std::unique_ptr<Transformer> transformer_;
};

TEST_P(TransformerGoldenTest, LastPositionLogitsMatchTheFullGoldenVector) {
  const std::vector<float> reference =
      ReadFloats(testing::SharedDir() / "testdata/golden" / (GetParam().stem + ".logits.f32"));
  ASSERT_EQ(reference.size(), static_cast<size_t>(transformer_->vocab_size()));
  std::unique_ptr<KvCache> cache;
  const std::vector<float> logits = RunPrompt(Prompt("short_sentence"), cache);
  const std::vector<double> ours(logits.begin(), logits.end());
  const std::vector<double> theirs(reference.begin(), reference.end());
  const double diff = MaxAbsDiff(ours, theirs);
  const double r = Pearson(ours, theirs);
  std::printf("[golden] %s short_sentence all %zu logits: max|diff| %.4f  r %.7f\n",
              GetParam().stem.c_str(), ours.size(), diff, r);
  const Tolerance tolerance = ToleranceFor(GetParam());
  EXPECT_LE(diff, tolerance.max_abs_diff);
  EXPECT_GE(r, tolerance.min_pearson);
}

TEST_P(TransformerGoldenTest, TopFortyAndGreedyContinuationsMatchForEveryPrompt) {
  const Tolerance tolerance = ToleranceFor(GetParam());
  for (const char* name : {"short_sentence", "chat_multi_turn", "unicode_digits", "long_paragraph"}) {
    const json& prompt = Prompt(name);
    std::unique_ptr<KvCache> cache;
    const std::vector<float> logits = RunPrompt(prompt, cache);
    std::vector<double> ours, theirs;
    for (const json& entry : prompt.at("last_position").at("top40")) {
      ours.push_back(logits.at(entry.at(0).get<size_t>()));
      theirs.push_back(entry.at(1).get<double>());
    }
    const double diff = MaxAbsDiff(ours, theirs);
    const double r = Pearson(ours, theirs);
    // The top-40 ids are ours too, except where neighbouring golden logits are closer than the
    // tolerance (then either order is right).
    std::vector<int32_t> our_order(logits.size());
    for (size_t i = 0; i < our_order.size(); ++i) our_order[i] = static_cast<int32_t>(i);
    std::partial_sort(our_order.begin(), our_order.begin() + 40, our_order.end(),
                      [&](int32_t a, int32_t b) {
                        return logits[a] != logits[b] ? logits[a] > logits[b] : a < b;
                      });
    const json& top = prompt.at("last_position").at("top40");
    int same_ids = 0;
    for (size_t i = 0; i < 40; ++i) {
      const int32_t expected = top.at(i).at(0).get<int32_t>();
      if (our_order[i] == expected) {
        ++same_ids;
        continue;
      }
      const double here = top.at(i).at(1).get<double>();
      const bool close_above = i > 0 && top.at(i - 1).at(1).get<double>() - here < tolerance.max_abs_diff;
      const bool close_below = i + 1 < 40 && here - top.at(i + 1).at(1).get<double>() < tolerance.max_abs_diff;
      EXPECT_TRUE(close_above || close_below)
          << name << " top40 rank " << i << ": ours " << our_order[i] << ", golden " << expected;
    }
    const int agreed = CheckGreedy(prompt, cache, logits);
    size_t meaningful = 0;
    for (double margin : prompt.at("greedy").at("margin_top1_minus_top2")) {
      if (margin < tolerance.max_abs_diff) break;
      ++meaningful;
    }
    std::printf("[golden] %s %s: top40 max|diff| %.4f r %.6f same ids %d/40; greedy %d/%zu "
                "(steps before the first margin < %.2f)\n",
                GetParam().stem.c_str(), name, diff, r, same_ids, agreed, meaningful,
                tolerance.max_abs_diff);
    EXPECT_LE(diff, tolerance.max_abs_diff) << name;
    EXPECT_EQ(static_cast<size_t>(agreed), meaningful) << name;
  }
}

TEST_P(TransformerGoldenTest, TeacherForcedPerplexityOfTheLongPromptIsWithinOnePercent) {
  const json& prompt = Prompt("long_paragraph");
  const std::vector<int32_t> tokens = TokensOf(prompt);
  auto cache = transformer_->NewCache(static_cast<uint32_t>(tokens.size()));
  std::vector<float> logits;
  transformer_->Forward(*cache, tokens, true, logits);
  const size_t vocab = static_cast<size_t>(transformer_->vocab_size());
  ASSERT_EQ(logits.size(), tokens.size() * vocab);
  double total_nll = 0;
  for (size_t i = 0; i + 1 < tokens.size(); ++i) {
    const float* row = logits.data() + i * vocab;
    const double max_logit = *std::max_element(row, row + vocab);
    double sum = 0;
    for (size_t j = 0; j < vocab; ++j) sum += std::exp(static_cast<double>(row[j]) - max_logit);
    total_nll += max_logit + std::log(sum) - row[tokens[i + 1]];
  }
  const double mean_nll = total_nll / static_cast<double>(tokens.size() - 1);
  const json& forcing = prompt.at("teacher_forcing");
  const double golden_nll = forcing.at("mean_nll").get<double>();
  const double golden_perplexity = forcing.at("perplexity").get<double>();
  const double perplexity = std::exp(mean_nll);
  std::printf("[golden] %s long_paragraph: mean NLL %.5f (golden %.5f, diff %+.5f), "
              "perplexity ratio %.5f\n",
              GetParam().stem.c_str(), mean_nll, golden_nll, mean_nll - golden_nll,
              perplexity / golden_perplexity);
  EXPECT_NEAR(perplexity / golden_perplexity, 1.0, 0.01);
  // The README's tighter figure: mean NLL within 0.002 (F16/F32 weights) or 0.02 (quantized).
  EXPECT_NEAR(mean_nll, golden_nll, GetParam().quantized ? 0.02 : 0.002);
}

// Properties of the forward pass itself, on a small synthetic model.
class TransformerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SynthOptions options;
    options.output = dir_ / "tiny.gguf";
    options.shape = *ShapePreset("tiny");
    options.shape.context_length = 700;
    options.weight_type = "q4_k_m";
    WriteSyntheticModel(options);
    file_.emplace(GgufFile::Open(options.output));
    spec_ = ModelSpec::FromGguf(*file_);
  }

  std::vector<int32_t> Tokens(size_t count) const {
    std::vector<int32_t> tokens(count);
    for (size_t i = 0; i < count; ++i) tokens[i] = static_cast<int32_t>((i * 37 + 5) % spec_.vocab_size);
    return tokens;
  }

  testing::TempDir dir_;
  std::optional<GgufFile> file_;
  ModelSpec spec_;
};

TEST_F(TransformerTest, TokenByTokenBatchedAndAnyThreadCountGiveTheSameBits) {
  const std::vector<int32_t> tokens = Tokens(600);  // longer than one internal batch of 512
  auto single = Transformer::Create(*file_, spec_, 1);
  auto cache = single->NewCache(600);
  std::vector<float> all;
  single->Forward(*cache, tokens, true, all);
  const size_t vocab = spec_.vocab_size;
  ASSERT_EQ(all.size(), 600 * vocab);

  auto threaded = Transformer::Create(*file_, spec_, 3);
  EXPECT_EQ(threaded->threads(), 3);
  auto stepped = threaded->NewCache(600);
  std::vector<float> logits;
  threaded->Forward(*stepped, std::span(tokens).first(590), false, logits);
  EXPECT_EQ(0, std::memcmp(logits.data(), all.data() + 589 * vocab, vocab * sizeof(float)));
  for (size_t i = 590; i < 600; ++i) {
    threaded->Forward(*stepped, std::span(tokens).subspan(i, 1), false, logits);
    EXPECT_EQ(0, std::memcmp(logits.data(), all.data() + i * vocab, vocab * sizeof(float))) << i;
  }
  EXPECT_EQ(stepped->size(), 600u);
}

TEST_F(TransformerTest, TruncatedCacheRecomputesTheSameLogits) {
  auto transformer = Transformer::Create(*file_, spec_, 2);
  const std::vector<int32_t> tokens = Tokens(20);
  auto cache = transformer->NewCache(32);
  std::vector<float> first, second;
  transformer->Forward(*cache, tokens, false, first);
  cache->Truncate(12);
  EXPECT_EQ(cache->size(), 12u);
  cache->Truncate(30);  // past the end: nothing changes
  EXPECT_EQ(cache->size(), 12u);
  transformer->Forward(*cache, std::span(tokens).subspan(12), false, second);
  EXPECT_EQ(first, second);
  EXPECT_EQ(cache->capacity(), 32u);
  // 2 layers x 32 positions x (128 keys + 128 values) halves.
  EXPECT_EQ(cache->memory_bytes(), 2u * 32 * 256 * 2);
}

TEST_F(TransformerTest, ACancelledPassKeepsNothingAndAnUncancelledOneIsForward) {
  auto transformer = Transformer::Create(*file_, spec_, 2);
  const std::vector<int32_t> tokens = Tokens(600);  // two internal batches
  auto reference_cache = transformer->NewCache(650);
  std::vector<float> reference;
  transformer->Forward(*reference_cache, tokens, false, reference);

  auto cache = transformer->NewCache(650);
  std::vector<float> logits;
  transformer->Forward(*cache, std::span(tokens).first(10), false, logits);
  std::atomic<bool> cancel{true};
  EXPECT_FALSE(transformer->ForwardUnlessCancelled(*cache, std::span(tokens).subspan(10), false, logits, cancel));
  EXPECT_EQ(cache->size(), 10u);  // the prefix it held, nothing of the cancelled pass

  cancel = false;
  ASSERT_TRUE(transformer->ForwardUnlessCancelled(*cache, std::span(tokens).subspan(10), false, logits, cancel));
  EXPECT_EQ(cache->size(), 600u);
  EXPECT_EQ(logits, reference);
}

TEST_F(TransformerTest, RejectsBadTokensFullCachesAndForeignCaches) {
  auto transformer = Transformer::Create(*file_, spec_, 1);
  auto cache = transformer->NewCache(4);
  std::vector<float> logits;
  const int32_t too_big[] = {1, static_cast<int32_t>(spec_.vocab_size)};
  EXPECT_THROW(transformer->Forward(*cache, too_big, false, logits), EngineError);
  const int32_t negative[] = {-1};
  EXPECT_THROW(transformer->Forward(*cache, negative, false, logits), EngineError);
  EXPECT_THROW(transformer->Forward(*cache, {}, false, logits), EngineError);
  EXPECT_EQ(cache->size(), 0u);
  const std::vector<int32_t> five = Tokens(5);
  try {
    transformer->Forward(*cache, five, false, logits);
    ADD_FAILURE() << "a full cache was accepted";
  } catch (const EngineError& error) {
    EXPECT_EQ(error.kind(), EngineError::Kind::kInvalidInput);
    EXPECT_NE(std::string(error.what()).find("do not fit in the KV cache"), std::string::npos)
        << error.what();
  }
  auto other = Transformer::Create(*file_, spec_, 1);
  auto foreign = other->NewCache(4);
  EXPECT_THROW(transformer->Forward(*foreign, std::span(five).first(1), false, logits), EngineError);
  EXPECT_THROW(transformer->NewCache(0), EngineError);
  EXPECT_THROW(transformer->NewCache(701), EngineError);
  EXPECT_THROW(Transformer::Create(*file_, spec_, 0), EngineError);
}

INSTANTIATE_TEST_SUITE_P(
    SharedModels, TransformerGoldenTest,
    ::testing::Values(GoldenCase{"stories260K", "stories260K.gguf", false},
                      GoldenCase{"tiny-llama-spm-F16", "synthetic/tiny-llama-spm-F16.gguf", false},
                      GoldenCase{"tiny-llama-spm-Q8_0", "synthetic/tiny-llama-spm-Q8_0.gguf", true},
                      GoldenCase{"tiny-llama-spm-Q4_0", "synthetic/tiny-llama-spm-Q4_0.gguf", true},
                      GoldenCase{"tiny-llama-spm-Q4_K_M", "synthetic/tiny-llama-spm-Q4_K_M.gguf", true},
                      GoldenCase{"tiny-qwen2-bpe-Q4_K_M", "synthetic/tiny-qwen2-bpe-Q4_K_M.gguf", true},
                      GoldenCase{"tiny-llama3-bpe-Q8_0", "synthetic/tiny-llama3-bpe-Q8_0.gguf", true}),
    [](const ::testing::TestParamInfo<GoldenCase>& info) {
      std::string name = info.param.stem;
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

}  // namespace
}  // namespace troupe::engine
