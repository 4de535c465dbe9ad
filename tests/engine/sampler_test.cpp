// The sampler on small known distributions: each filter keeps exactly the tokens it should, the
// chain runs in llama.cpp's order, temperature reshapes the draw by the measured frequencies,
// penalties and biases move exactly the right logits, and a seed fixes the tokens.
#include "engine/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "engine/error.h"

namespace troupe::engine {
namespace {

constexpr float kMinusInfinity = -std::numeric_limits<float>::infinity();

// Sampling with no filter at all: temperature 1, every token reachable.
SamplingParams Unfiltered(uint64_t seed = 0) {
  SamplingParams params;
  params.temperature = 1.0f;
  params.top_k = 0;
  params.top_p = 1.0f;
  params.min_p = 0.0f;
  params.seed = seed;
  return params;
}

std::vector<float> LogitsOfProbabilities(const std::vector<double>& probabilities) {
  std::vector<float> logits;
  for (double p : probabilities) logits.push_back(static_cast<float>(std::log(p)));
  return logits;
}

std::vector<int32_t> TokensOf(const std::vector<TokenProbability>& distribution) {
  std::vector<int32_t> tokens;
  for (const TokenProbability& entry : distribution) tokens.push_back(entry.token);
  return tokens;
}

// A reproducible row of pseudo-random logits (not the sampler's own generator).
std::vector<float> RandomLogits(size_t count, uint32_t seed, float scale) {
  std::vector<float> logits(count);
  uint32_t state = seed;
  for (float& logit : logits) {
    state = state * 1664525u + 1013904223u;
    logit = scale * (static_cast<float>(state >> 8) / static_cast<float>(1u << 24) - 0.5f);
  }
  return logits;
}

// The ids of `logits` by logit descending, id ascending: the reference the filters must match.
std::vector<int32_t> RankedIds(const std::vector<float>& logits) {
  std::vector<int32_t> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0);
  std::stable_sort(ids.begin(), ids.end(),
                   [&](int32_t a, int32_t b) { return logits[static_cast<size_t>(a)] > logits[static_cast<size_t>(b)]; });
  return ids;
}

std::vector<double> Frequencies(Sampler& sampler, const std::vector<float>& logits, int draws) {
  std::vector<double> counts(logits.size(), 0.0);
  for (int i = 0; i < draws; ++i) counts[static_cast<size_t>(sampler.Sample(logits))] += 1.0;
  for (double& count : counts) count /= draws;
  return counts;
}

TEST(Sampler, GreedyTakesTheHighestLogitAndTheLowestIdOnATie) {
  Sampler sampler(GreedyParams(), 6);
  EXPECT_EQ(sampler.Sample(std::vector<float>{0.1f, 2.0f, -1.0f, 1.9f, 0.0f, 2.0f}), 1);
  EXPECT_EQ(sampler.Sample(std::vector<float>{-3.0f, -2.0f, -1.0f, -0.5f, -7.0f, -0.5f}), 3);
  const std::vector<TokenProbability> only = sampler.Distribution(std::vector<float>{0, 0, 5, 0, 0, 0});
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(only[0].token, 2);
  EXPECT_EQ(only[0].probability, 1.0);
}

TEST(Sampler, GreedyIgnoresTheOtherFiltersAndTreatsNanAsMinusInfinity) {
  SamplingParams params = GreedyParams();
  params.top_k = 1;
  params.top_p = 0.1f;
  params.min_p = 0.9f;
  params.temperature = -1.0f;  // any temperature <= 0 is greedy
  Sampler sampler(params, 4);
  EXPECT_EQ(sampler.Sample(std::vector<float>{std::nanf(""), 1.0f, 3.0f, 2.0f}), 2);
  EXPECT_EQ(sampler.Sample(std::vector<float>{std::nanf(""), -5.0f, -4.0f, -6.0f}), 2);
}

TEST(Sampler, TheSameSeedGivesTheSameTokensAndOtherSeedsDiffer) {
  const std::vector<float> logits = RandomLogits(1000, 7, 4.0f);
  auto draw = [&](uint64_t seed) {
    Sampler sampler(Unfiltered(seed), 1000);
    std::vector<int32_t> tokens;
    for (int i = 0; i < 200; ++i) tokens.push_back(sampler.Sample(logits));
    return tokens;
  };
  EXPECT_EQ(draw(42), draw(42));
  EXPECT_NE(draw(42), draw(43));
  EXPECT_NE(draw(0), draw(1));
}

TEST(Sampler, ASeedMeansTheSameTokensOnEveryPlatform) {
  // Eight equal logits: the draw is floor(8 * u) for u the top 53 bits of xoshiro256** seeded
  // through splitmix64, so these follow from the published algorithms alone (computed with an
  // independent Python transcription), not from any standard library's distributions.
  const std::vector<float> flat(8, 0.0f);
  const std::vector<std::pair<uint64_t, std::vector<int32_t>>> expected = {
      {0, {4, 5, 0, 3, 5, 7, 3, 4, 6, 7, 0, 0, 0, 5, 3, 2}},
      {1234, {0, 6, 5, 6, 0, 7, 3, 1, 4, 5, 4, 1, 1, 5, 3, 6}},
  };
  for (const auto& [seed, tokens] : expected) {
    Sampler sampler(Unfiltered(seed), 8);
    std::vector<int32_t> drawn;
    for (size_t i = 0; i < tokens.size(); ++i) drawn.push_back(sampler.Sample(flat));
    EXPECT_EQ(drawn, tokens) << "seed " << seed;
  }
}

TEST(Sampler, TopKKeepsTheKHighestAndRenormalizes) {
  const std::vector<float> logits = {1.0f, 4.0f, 2.0f, 4.0f, 3.0f, -1.0f, 0.5f};
  SamplingParams params = Unfiltered();
  params.top_k = 3;
  Sampler sampler(params, 7);
  const std::vector<TokenProbability> kept = sampler.Distribution(logits);
  // 4.0 twice, then 3.0: ties rank the lower id first.
  EXPECT_EQ(TokensOf(kept), (std::vector<int32_t>{1, 3, 4}));
  const double total = 2 * std::exp(4.0) + std::exp(3.0);
  EXPECT_NEAR(kept[0].probability, std::exp(4.0) / total, 1e-12);
  EXPECT_NEAR(kept[2].probability, std::exp(3.0) / total, 1e-12);

  // On a tie at the boundary the lower id stays.
  params.top_k = 1;
  Sampler one(params, 7);
  EXPECT_EQ(TokensOf(one.Distribution(logits)), (std::vector<int32_t>{1}));
  // k of 0 or beyond the vocabulary keeps everything.
  params.top_k = 100;
  Sampler all(params, 7);
  EXPECT_EQ(all.Distribution(logits).size(), 7u);
}

TEST(Sampler, TopKOnALargeVocabularyMatchesAFullSort) {
  const size_t vocab = 151936;
  const std::vector<float> logits = RandomLogits(vocab, 11, 20.0f);
  const std::vector<int32_t> ranked = RankedIds(logits);
  SamplingParams params = Unfiltered();
  params.top_k = 40;
  Sampler sampler(params, static_cast<int32_t>(vocab));
  EXPECT_EQ(TokensOf(sampler.Distribution(logits)),
            std::vector<int32_t>(ranked.begin(), ranked.begin() + 40));
}

TEST(Sampler, TopPKeepsTheSmallestSetThatReachesP) {
  const std::vector<float> logits = LogitsOfProbabilities({0.15, 0.5, 0.1, 0.25});
  auto kept_for = [&](float top_p) {
    SamplingParams params = Unfiltered();
    params.top_p = top_p;
    Sampler sampler(params, 4);
    return TokensOf(sampler.Distribution(logits));
  };
  EXPECT_EQ(kept_for(0.3f), (std::vector<int32_t>{1}));           // 0.5 >= 0.3
  EXPECT_EQ(kept_for(0.7f), (std::vector<int32_t>{1, 3}));        // 0.75 >= 0.7
  EXPECT_EQ(kept_for(0.8f), (std::vector<int32_t>{1, 3, 0}));     // 0.9 >= 0.8
  EXPECT_EQ(kept_for(0.95f), (std::vector<int32_t>{1, 3, 0, 2}));
  EXPECT_EQ(kept_for(0.0f), (std::vector<int32_t>{1}));           // always at least one
  // The kept probabilities are renormalized.
  SamplingParams params = Unfiltered();
  params.top_p = 0.7f;
  Sampler sampler(params, 4);
  const std::vector<TokenProbability> kept = sampler.Distribution(logits);
  EXPECT_NEAR(kept[0].probability, 0.5 / 0.75, 1e-6);
  EXPECT_NEAR(kept[1].probability, 0.25 / 0.75, 1e-6);
}

TEST(Sampler, TopPOnALargeFlatVocabularyMatchesAFullSort) {
  // A flat row makes top-p keep thousands of tokens, past several of its sorting chunks.
  const size_t vocab = 50000;
  const std::vector<float> logits = RandomLogits(vocab, 5, 2.0f);
  const std::vector<int32_t> ranked = RankedIds(logits);
  double total = 0.0;
  for (float logit : logits) total += std::exp(static_cast<double>(logit));
  size_t expected = 0;
  double mass = 0.0;
  while (mass < 0.5 * total) mass += std::exp(static_cast<double>(logits[static_cast<size_t>(ranked[expected++])]));
  ASSERT_GT(expected, 10000u);

  SamplingParams params = Unfiltered();
  params.top_p = 0.5f;
  Sampler sampler(params, static_cast<int32_t>(vocab));
  EXPECT_EQ(TokensOf(sampler.Distribution(logits)),
            std::vector<int32_t>(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(expected)));
}

TEST(Sampler, MinPKeepsTokensAtLeastMinPTimesAsLikelyAsTheBest) {
  const std::vector<float> logits = LogitsOfProbabilities({0.15, 0.5, 0.1, 0.25});
  auto kept_for = [&](float min_p) {
    SamplingParams params = Unfiltered();
    params.min_p = min_p;
    Sampler sampler(params, 4);
    return TokensOf(sampler.Distribution(logits));
  };
  EXPECT_EQ(kept_for(0.25f), (std::vector<int32_t>{1, 3, 0}));  // threshold 0.125
  EXPECT_EQ(kept_for(0.45f), (std::vector<int32_t>{1, 3}));     // threshold 0.225
  EXPECT_EQ(kept_for(0.6f), (std::vector<int32_t>{1}));         // threshold 0.3
  EXPECT_EQ(kept_for(0.1f), (std::vector<int32_t>{1, 3, 0, 2}));

  const size_t vocab = 60000;
  const std::vector<float> wide = RandomLogits(vocab, 3, 12.0f);
  const std::vector<int32_t> ranked = RankedIds(wide);
  const float best = wide[static_cast<size_t>(ranked[0])];
  const auto expected = static_cast<size_t>(std::count_if(wide.begin(), wide.end(), [&](float logit) {
    return static_cast<double>(logit) >= best + std::log(0.01);
  }));
  SamplingParams params = Unfiltered();
  params.min_p = 0.01f;
  Sampler sampler(params, static_cast<int32_t>(vocab));
  EXPECT_EQ(TokensOf(sampler.Distribution(wide)),
            std::vector<int32_t>(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(expected)));
}

TEST(Sampler, FiltersRunInLlamaCppsOrder) {
  // Top-p after top-k measures mass within the k kept: [.3 .3 .2 .2] with k = 3 becomes
  // [.375 .375 .25], and 0.7 is reached after two tokens (top-p first would keep three).
  SamplingParams params = Unfiltered();
  params.top_k = 3;
  params.top_p = 0.7f;
  Sampler top_k_then_top_p(params, 4);
  EXPECT_EQ(TokensOf(top_k_then_top_p.Distribution(LogitsOfProbabilities({0.3, 0.3, 0.2, 0.2}))),
            (std::vector<int32_t>{0, 1}));

  // Min-p runs before the temperature: with T = 2 the row flattens to [.41 .26 .32], where 0.2
  // would pass min_p = 0.5; judged before tempering it does not (0.2 < 0.25).
  params = Unfiltered();
  params.min_p = 0.5f;
  params.temperature = 2.0f;
  Sampler min_p_then_temperature(params, 3);
  const std::vector<TokenProbability> kept =
      min_p_then_temperature.Distribution(LogitsOfProbabilities({0.5, 0.2, 0.3}));
  EXPECT_EQ(TokensOf(kept), (std::vector<int32_t>{0, 2}));
  // ... and the temperature then applies to the survivors: sqrt(.5) : sqrt(.3).
  EXPECT_NEAR(kept[0].probability, std::sqrt(0.5) / (std::sqrt(0.5) + std::sqrt(0.3)), 1e-6);
}

TEST(Sampler, TemperatureSharpensAndFlattensTheDrawnFrequencies) {
  const std::vector<float> logits = {0.0f, 1.0f, 2.0f, 0.5f};
  const int draws = 40000;
  std::vector<double> top_frequency;
  for (float temperature : {0.5f, 1.0f, 2.0f}) {
    SCOPED_TRACE(temperature);
    SamplingParams params = Unfiltered(99);
    params.temperature = temperature;
    Sampler sampler(params, 4);
    double total = 0.0;
    for (float logit : logits) total += std::exp(static_cast<double>(logit) / temperature);
    const std::vector<TokenProbability> distribution = sampler.Distribution(logits);
    ASSERT_EQ(distribution.size(), 4u);
    const std::vector<double> frequencies = Frequencies(sampler, logits, draws);
    for (const TokenProbability& entry : distribution) {
      const double expected = std::exp(static_cast<double>(logits[static_cast<size_t>(entry.token)]) / temperature) / total;
      EXPECT_NEAR(entry.probability, expected, 1e-6);
      // Within 4.5 standard deviations of the binomial count.
      const double sigma = std::sqrt(expected * (1 - expected) / draws);
      EXPECT_NEAR(frequencies[static_cast<size_t>(entry.token)], expected, 4.5 * sigma) << entry.token;
    }
    top_frequency.push_back(frequencies[2]);
  }
  // The best token: 0.83 at T = 0.5, 0.58 at T = 1, 0.41 at T = 2.
  EXPECT_GT(top_frequency[0], top_frequency[1] + 0.05);
  EXPECT_GT(top_frequency[1], top_frequency[2] + 0.05);
}

TEST(Sampler, PenaltiesChangeExactlyTheLogitsOfRecentTokens) {
  SamplingParams params = Unfiltered();
  params.repeat_penalty = 2.0f;
  params.frequency_penalty = 0.5f;
  params.presence_penalty = 0.25f;
  std::vector<float> logits = {3.0f, -3.0f, 1.0f, 0.0f, 5.0f, -1.0f};
  // Token 0 three times, 1 once, 3 once; 2, 4 and 5 never.
  const std::vector<int32_t> recent = {0, 1, 0, 3, 0};
  ApplyBiasAndPenalties(params, recent, logits);
  EXPECT_FLOAT_EQ(logits[0], 3.0f / 2 - 3 * 0.5f - 0.25f);
  EXPECT_FLOAT_EQ(logits[1], -3.0f * 2 - 0.5f - 0.25f);
  EXPECT_FLOAT_EQ(logits[3], 0.0f * 2 - 0.5f - 0.25f);  // zero counts as not positive
  EXPECT_EQ(logits[2], 1.0f);
  EXPECT_EQ(logits[4], 5.0f);
  EXPECT_EQ(logits[5], -1.0f);
}

TEST(Sampler, PenaltiesSeeOnlyTheLastRepeatLastNTokens) {
  SamplingParams params = Unfiltered();
  params.repeat_penalty = 4.0f;
  params.repeat_last_n = 2;
  const std::vector<float> logits = {2.0f, 2.0f, 2.0f, 2.0f};
  Sampler sampler(params, 4);
  for (int32_t token : {0, 1, 2}) sampler.Accept(token);
  // Only 1 and 2 are in the window: their logit becomes 0.5, a ratio of e^1.5 to 0 and 3.
  const std::vector<TokenProbability> distribution = sampler.Distribution(logits);
  std::vector<double> probability(4);
  for (const TokenProbability& entry : distribution) probability[static_cast<size_t>(entry.token)] = entry.probability;
  EXPECT_NEAR(std::log(probability[0] / probability[1]), 1.5, 1e-6);
  EXPECT_NEAR(std::log(probability[3] / probability[2]), 1.5, 1e-6);
  EXPECT_NEAR(probability[0], probability[3], 1e-12);

  params.repeat_last_n = 0;  // off
  Sampler off(params, 4);
  for (int32_t token : {0, 1, 2}) off.Accept(token);
  for (const TokenProbability& entry : off.Distribution(logits)) EXPECT_NEAR(entry.probability, 0.25, 1e-12);

  params.repeat_last_n = -1;  // the whole history
  Sampler whole(params, 4);
  for (int32_t token : {0, 1, 2}) whole.Accept(token);
  // With no filter the draw walks the tokens in id order.
  const std::vector<TokenProbability> whole_distribution = whole.Distribution(logits);
  EXPECT_EQ(TokensOf(whole_distribution), (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_NEAR(whole_distribution[3].probability, std::exp(1.5) / (std::exp(1.5) + 3), 1e-6);
}

TEST(Sampler, LogitBiasShiftsOneTokenAndMinusInfinityBansIt) {
  const std::vector<float> logits = {1.0f, 3.0f, 2.0f, 0.0f};
  SamplingParams params = GreedyParams();
  params.logit_bias = {{1, kMinusInfinity}};
  Sampler greedy(params, 4);
  EXPECT_EQ(greedy.Sample(logits), 2);

  params.logit_bias = {{3, 3.5f}};
  Sampler boosted(params, 4);
  EXPECT_EQ(boosted.Sample(logits), 3);

  // A banned token is never drawn, however flat the rest is.
  params = Unfiltered(5);
  params.temperature = 50.0f;
  params.logit_bias = {{1, kMinusInfinity}, {2, kMinusInfinity}};
  Sampler sampler(params, 4);
  EXPECT_EQ(TokensOf(sampler.Distribution(logits)), (std::vector<int32_t>{0, 3}));
  const std::vector<double> frequencies = Frequencies(sampler, logits, 5000);
  EXPECT_EQ(frequencies[1], 0.0);
  EXPECT_EQ(frequencies[2], 0.0);
  EXPECT_GT(frequencies[0], 0.4);
  EXPECT_GT(frequencies[3], 0.4);

  // Banning everything is an error, not a silent pick.
  params.logit_bias = {{0, kMinusInfinity}, {1, kMinusInfinity}, {2, kMinusInfinity}, {3, kMinusInfinity}};
  Sampler none(params, 4);
  EXPECT_THROW(none.Sample(logits), EngineError);
  params.temperature = 0.0f;
  Sampler none_greedy(params, 4);
  EXPECT_THROW(none_greedy.Sample(logits), EngineError);
}

TEST(Sampler, RejectsBadParametersNamingTheField) {
  auto message_for = [](SamplingParams params, int32_t vocab) -> std::string {
    try {
      Sampler sampler(std::move(params), vocab);
    } catch (const EngineError& error) {
      EXPECT_EQ(error.kind(), EngineError::Kind::kInvalidInput);
      return error.what();
    }
    return "no error";
  };
  SamplingParams params;
  params.top_p = 1.5f;
  EXPECT_NE(message_for(params, 10).find("top_p"), std::string::npos);
  params = {};
  params.min_p = -0.1f;
  EXPECT_NE(message_for(params, 10).find("min_p"), std::string::npos);
  params = {};
  params.repeat_penalty = 0.0f;
  EXPECT_NE(message_for(params, 10).find("repeat_penalty"), std::string::npos);
  params = {};
  params.repeat_last_n = -2;
  EXPECT_NE(message_for(params, 10).find("repeat_last_n"), std::string::npos);
  params = {};
  params.temperature = std::nanf("");
  EXPECT_NE(message_for(params, 10).find("temperature"), std::string::npos);
  params = {};
  params.frequency_penalty = std::numeric_limits<float>::infinity();
  EXPECT_NE(message_for(params, 10).find("frequency_penalty"), std::string::npos);
  params = {};
  params.logit_bias = {{10, 1.0f}};
  EXPECT_NE(message_for(params, 10).find("token 10"), std::string::npos);
  params = {};
  params.logit_bias = {{3, std::numeric_limits<float>::infinity()}};
  EXPECT_NE(message_for(params, 10).find("token 3"), std::string::npos);

  Sampler sampler(SamplingParams{}, 10);
  EXPECT_THROW(sampler.Sample(std::vector<float>(9, 0.0f)), EngineError);
}

}  // namespace
}  // namespace troupe::engine
