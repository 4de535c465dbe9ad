// Log-probabilities of given text under a model (teacher forcing), for perplexity evaluation.
//
// Each token after the first is scored by the log-softmax of the logits at the position before
// it; log-sum-exp runs in double over the Transformer's float logits, as llama.cpp's perplexity
// tool does. Tokens run in batches with all_logits, small enough that a batch of logits stays
// near 64 MB whatever the vocabulary.
//
// Thread safety: uses the Transformer (one caller at a time, see transformer.h) and a fresh cache.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/transformer.h"

namespace troupe::engine {

struct TokenScores {
  // log_probs[i] = log P(tokens[i + 1] | tokens[0..i]); the first token has no score.
  std::vector<double> log_probs;
  double total_log_prob = 0.0;

  size_t predicted_tokens() const { return log_probs.size(); }
  double mean_negative_log_likelihood() const;  // -total / predicted
  double perplexity() const;                    // exp(mean NLL)
};

// Throws EngineError(kInvalidInput) for fewer than two tokens, more than the model's context
// length, or an id out of range; EngineError from the Transformer passes through.
TokenScores ScoreTokens(Transformer& transformer, std::span<const int32_t> tokens);

// exp(mean negative log-likelihood) of `tokens`; ScoreTokens(...).perplexity().
double Perplexity(Transformer& transformer, std::span<const int32_t> tokens);

}  // namespace troupe::engine
