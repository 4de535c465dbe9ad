// Picks the next token from a row of logits, the way llama.cpp's default sampler chain does:
// logit bias, then repetition/frequency/presence penalties, then top-k, top-p, min-p, then
// temperature, then a seeded draw. Temperature <= 0 is greedy: the highest adjusted logit wins,
// the lowest id on a tie.
//
// Draws come from the engine's own generator (xoshiro256** seeded through splitmix64), never from
// std::*_distribution, so a seed gives the same tokens with every standard library. The filters
// leave the kept tokens in one canonical order (logit descending, id ascending; or id order when
// no filter ran), so the draw does not depend on how a library sorts either.
//
// Cost: O(vocab) per token plus a partial sort of only the tokens a filter can keep, so a
// 150k-token vocabulary with top_k = 40 never sorts the whole row.
//
// Thread safety: a Sampler belongs to one sequence and one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <vector>

namespace troupe::engine {

struct SamplingParams {
  float temperature = 0.8f;  // <= 0: greedy
  int32_t top_k = 40;        // <= 0 or >= vocab: off
  float top_p = 0.95f;       // 1: off. Keeps the smallest most-likely set whose mass reaches top_p
  float min_p = 0.05f;       // 0: off. Keeps tokens at least min_p times as likely as the best
  // A logit l of a token seen in the last repeat_last_n tokens becomes l / repeat_penalty when
  // positive and l * repeat_penalty otherwise (1: off).
  float repeat_penalty = 1.0f;
  int32_t repeat_last_n = 64;  // the penalty window: 0 = no penalties, -1 = the whole history
  // OpenAI's formula over the same window: l -= count * frequency_penalty
  // + (count > 0) * presence_penalty.
  float frequency_penalty = 0.0f;
  float presence_penalty = 0.0f;
  // Added to a token's logit before everything else; -infinity bans the token.
  std::map<int32_t, float> logit_bias;
  uint64_t seed = 0;
};

// Greedy decoding with no penalties: what the goldens and `--temperature 0` use.
SamplingParams GreedyParams();

struct TokenProbability {
  int32_t token = 0;
  double probability = 0.0;
};

// Applies `params.logit_bias`, then the penalties for the tokens of `recent_tokens` (the caller
// passes the window: the last repeat_last_n tokens), to `logits` in place. Exposed for tests and
// for callers that show adjusted scores.
void ApplyBiasAndPenalties(const SamplingParams& params, std::span<const int32_t> recent_tokens,
                           std::span<float> logits);

class Sampler {
 public:
  // Throws EngineError(kInvalidInput) naming the field for a NaN or out-of-range parameter
  // (top_p or min_p outside [0, 1], repeat_penalty <= 0, repeat_last_n < -1, a NaN temperature
  // or penalty, a logit_bias id outside [0, vocab_size)).
  Sampler(SamplingParams params, int32_t vocab_size);

  const SamplingParams& params() const { return params_; }

  // Records a token of the sequence (prompt or generated) for the penalties.
  void Accept(int32_t token);
  const std::vector<int32_t>& history() const { return history_; }

  // The next token for `logits` (vocab_size values; NaN counts as -infinity). Advances the
  // generator only when the draw is random (temperature > 0 and more than one token kept).
  // Throws EngineError(kInvalidInput) when the row has the wrong size or every token is banned.
  int32_t Sample(std::span<const float> logits);

  // The tokens Sample would choose among, after every filter and the temperature, with their
  // probabilities, in the order the draw walks them. Greedy gives the one winner with 1.0.
  std::vector<TokenProbability> Distribution(std::span<const float> logits);

 private:
  struct Candidate {
    int32_t token;
    float logit;
  };

  // Leaves candidates_ holding the kept tokens with tempered logits.
  void Filter(std::span<const float> logits);
  void SortPrefix(size_t count);
  void KeepTopK();
  void KeepTopP();
  void KeepMinP();
  uint64_t NextRandom();

  SamplingParams params_;
  int32_t vocab_size_;
  std::vector<int32_t> history_;
  std::vector<float> adjusted_;          // reused row of adjusted logits
  std::vector<Candidate> candidates_;    // reused; the kept tokens after Filter
  size_t sorted_prefix_ = 0;             // candidates_[0, sorted_prefix_) are in canonical order
  uint64_t random_state_[4] = {0, 0, 0, 0};
};

}  // namespace troupe::engine
