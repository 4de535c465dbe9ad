// ScoreTokens: teacher forcing through a fresh cache, log-softmax in double.
#include "engine/scoring.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "engine/error.h"

namespace troupe::engine {
namespace {

// Logit values per batch: 16M floats (64 MB) is 512 positions of a 32k vocabulary and about
// 110 of a 150k one.
constexpr size_t kLogitsPerBatch = size_t{16} << 20;
constexpr size_t kMaxBatchTokens = 512;

double LogSumExp(std::span<const float> row) {
  double max = -INFINITY;
  for (float logit : row) max = std::max(max, static_cast<double>(logit));
  double total = 0.0;
  for (float logit : row) total += std::exp(static_cast<double>(logit) - max);
  return max + std::log(total);
}

}  // namespace

double TokenScores::mean_negative_log_likelihood() const {
  return log_probs.empty() ? 0.0 : -total_log_prob / static_cast<double>(log_probs.size());
}

double TokenScores::perplexity() const { return std::exp(mean_negative_log_likelihood()); }

TokenScores ScoreTokens(Transformer& transformer, std::span<const int32_t> tokens) {
  if (tokens.size() < 2) {
    ThrowInvalid("scoring: needs at least two tokens, got " + std::to_string(tokens.size()));
  }
  const uint64_t context = transformer.spec().context_length;
  if (tokens.size() > context) {
    ThrowInvalid("scoring: " + std::to_string(tokens.size()) +
                 " tokens exceed the model's context length of " + std::to_string(context));
  }
  const auto vocab = static_cast<size_t>(transformer.vocab_size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0 || static_cast<size_t>(tokens[i]) >= vocab) {
      ThrowInvalid("scoring: token " + std::to_string(i) + " has id " + std::to_string(tokens[i]) +
                   ", outside the vocabulary of " + std::to_string(vocab));
    }
  }

  // The last token is only predicted, never run.
  const std::span<const int32_t> inputs = tokens.first(tokens.size() - 1);
  const std::unique_ptr<KvCache> cache = transformer.NewCache(static_cast<uint32_t>(inputs.size()));
  const size_t batch_size = std::clamp<size_t>(kLogitsPerBatch / vocab, 1, kMaxBatchTokens);
  TokenScores scores;
  scores.log_probs.reserve(inputs.size());
  std::vector<float> logits;
  for (size_t offset = 0; offset < inputs.size(); offset += batch_size) {
    const size_t count = std::min(batch_size, inputs.size() - offset);
    transformer.Forward(*cache, inputs.subspan(offset, count), /*all_logits=*/true, logits);
    for (size_t row = 0; row < count; ++row) {
      const std::span<const float> row_logits(logits.data() + row * vocab, vocab);
      const auto next = static_cast<size_t>(tokens[offset + row + 1]);
      const double log_prob = static_cast<double>(row_logits[next]) - LogSumExp(row_logits);
      scores.log_probs.push_back(log_prob);
      scores.total_log_prob += log_prob;
    }
  }
  return scores;
}

double Perplexity(Transformer& transformer, std::span<const int32_t> tokens) {
  return ScoreTokens(transformer, tokens).perplexity();
}

}  // namespace troupe::engine
