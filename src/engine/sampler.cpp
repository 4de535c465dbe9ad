// Sampler: llama.cpp's default chain (bias, penalties, top-k, top-p, min-p, temperature, draw)
// over a reused candidate buffer, sorting only as much of the row as a filter can keep.
#include "engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "engine/error.h"
#include "engine/split_mix64_internal.h"

namespace troupe::engine {
namespace {

constexpr float kMinusInfinity = -std::numeric_limits<float>::infinity();
// top-p grows its sorted prefix geometrically from here: most rows need only a few dozen tokens.
constexpr size_t kFirstTopPChunk = 64;

uint64_t RotateLeft(uint64_t value, int bits) { return (value << bits) | (value >> (64 - bits)); }

void RequireFinite(float value, const char* field) {
  if (std::isnan(value) || std::isinf(value)) {
    ThrowInvalid(std::string("sampling: ") + field + " must be a finite number");
  }
}

}  // namespace

SamplingParams GreedyParams() {
  SamplingParams params;
  params.temperature = 0.0f;
  params.top_k = 0;
  params.top_p = 1.0f;
  params.min_p = 0.0f;
  return params;
}

void ApplyBiasAndPenalties(const SamplingParams& params, std::span<const int32_t> recent_tokens,
                           std::span<float> logits) {
  const auto vocab = static_cast<int64_t>(logits.size());
  for (const auto& [token, bias] : params.logit_bias) {
    if (token < 0 || token >= vocab) {
      ThrowInvalid("sampling: logit_bias names token " + std::to_string(token) +
                   ", outside the vocabulary of " + std::to_string(vocab));
    }
    logits[static_cast<size_t>(token)] += bias;
  }
  const bool penalizes = params.repeat_penalty != 1.0f || params.frequency_penalty != 0.0f ||
                         params.presence_penalty != 0.0f;
  if (!penalizes || recent_tokens.empty()) return;

  // Count each distinct token of the window once: sort a copy and walk its runs. The copy's
  // buffer is kept by the thread, so sampling a token allocates nothing once it has grown.
  thread_local std::vector<int32_t> window;
  if (window.capacity() < 4096) window.reserve(4096);
  window.assign(recent_tokens.begin(), recent_tokens.end());
  std::sort(window.begin(), window.end());
  for (size_t start = 0; start < window.size();) {
    size_t end = start + 1;
    while (end < window.size() && window[end] == window[start]) ++end;
    const int32_t token = window[start];
    const auto count = static_cast<float>(end - start);
    start = end;
    if (token < 0 || token >= vocab) continue;  // the caller's history may hold foreign ids
    float& logit = logits[static_cast<size_t>(token)];
    logit = logit <= 0.0f ? logit * params.repeat_penalty : logit / params.repeat_penalty;
    logit -= count * params.frequency_penalty + params.presence_penalty;
  }
}

Sampler::Sampler(SamplingParams params, int32_t vocab_size)
    : params_(std::move(params)), vocab_size_(vocab_size) {
  if (vocab_size_ <= 0) ThrowInvalid("sampling: the vocabulary is empty");
  // A prompt and reply of a few thousand tokens then never reallocate the history mid-reply.
  history_.reserve(4096);
  if (std::isnan(params_.temperature)) ThrowInvalid("sampling: temperature is NaN");
  if (!(params_.top_p >= 0.0f && params_.top_p <= 1.0f)) {
    ThrowInvalid("sampling: top_p must be within [0, 1], got " + std::to_string(params_.top_p));
  }
  if (!(params_.min_p >= 0.0f && params_.min_p <= 1.0f)) {
    ThrowInvalid("sampling: min_p must be within [0, 1], got " + std::to_string(params_.min_p));
  }
  RequireFinite(params_.repeat_penalty, "repeat_penalty");
  if (params_.repeat_penalty <= 0.0f) {
    ThrowInvalid("sampling: repeat_penalty must be positive, got " +
                 std::to_string(params_.repeat_penalty));
  }
  if (params_.repeat_last_n < -1) {
    ThrowInvalid("sampling: repeat_last_n must be -1 (whole history), 0 (off) or a count, got " +
                 std::to_string(params_.repeat_last_n));
  }
  RequireFinite(params_.frequency_penalty, "frequency_penalty");
  RequireFinite(params_.presence_penalty, "presence_penalty");
  for (const auto& [token, bias] : params_.logit_bias) {
    if (token < 0 || token >= vocab_size_) {
      ThrowInvalid("sampling: logit_bias names token " + std::to_string(token) +
                   ", outside the vocabulary of " + std::to_string(vocab_size_));
    }
    // -infinity bans a token; +infinity or NaN would turn every probability into NaN.
    if (std::isnan(bias) || bias == std::numeric_limits<float>::infinity()) {
      ThrowInvalid("sampling: logit_bias for token " + std::to_string(token) +
                   " must be a number or -infinity");
    }
  }
  uint64_t seed_state = params_.seed;
  for (uint64_t& word : random_state_) word = SplitMix64(seed_state);
}

void Sampler::Accept(int32_t token) { history_.push_back(token); }

uint64_t Sampler::NextRandom() {
  // xoshiro256** (Blackman and Vigna): small, fast and fully specified.
  uint64_t* s = random_state_;
  const uint64_t result = RotateLeft(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = RotateLeft(s[3], 45);
  return result;
}

namespace {

// The canonical order: higher logit first, lower id first among equals.
template <typename Candidate>
bool Before(const Candidate& a, const Candidate& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.token < b.token);
}

}  // namespace

void Sampler::SortPrefix(size_t count) {
  count = std::min(count, candidates_.size());
  if (count <= sorted_prefix_) return;
  // Everything past a sorted prefix ranks after it, so extending the prefix is another
  // partial_sort of the tail.
  std::partial_sort(candidates_.begin() + static_cast<std::ptrdiff_t>(sorted_prefix_),
                    candidates_.begin() + static_cast<std::ptrdiff_t>(count), candidates_.end(),
                    Before<Candidate>);
  sorted_prefix_ = count;
}

void Sampler::KeepTopK() {
  if (params_.top_k <= 0 || static_cast<size_t>(params_.top_k) >= candidates_.size()) return;
  SortPrefix(static_cast<size_t>(params_.top_k));
  candidates_.resize(static_cast<size_t>(params_.top_k));
}

namespace {

template <typename Candidate>
float MaxLogit(const std::vector<Candidate>& candidates, size_t sorted_prefix) {
  if (sorted_prefix > 0) return candidates.front().logit;
  float max = kMinusInfinity;
  for (const Candidate& candidate : candidates) max = std::max(max, candidate.logit);
  return max;
}

}  // namespace

void Sampler::KeepTopP() {
  if (params_.top_p >= 1.0f) return;
  const double max = MaxLogit(candidates_, sorted_prefix_);
  double total = 0.0;
  for (const Candidate& candidate : candidates_) total += std::exp(candidate.logit - max);
  const double target = static_cast<double>(params_.top_p) * total;
  double mass = 0.0;
  size_t kept = 0;
  while (kept < candidates_.size()) {
    if (kept == sorted_prefix_) SortPrefix(std::max(kFirstTopPChunk, 2 * sorted_prefix_));
    mass += std::exp(candidates_[kept].logit - max);
    ++kept;
    if (mass >= target) break;
  }
  candidates_.resize(kept);
  sorted_prefix_ = std::min(sorted_prefix_, kept);
}

void Sampler::KeepMinP() {
  if (params_.min_p <= 0.0f) return;
  const double threshold =
      static_cast<double>(MaxLogit(candidates_, sorted_prefix_)) + std::log(static_cast<double>(params_.min_p));
  // The kept tokens are a prefix of the canonical order; count them, then sort just that many.
  size_t kept = 0;
  for (const Candidate& candidate : candidates_) {
    if (candidate.logit >= threshold) ++kept;
  }
  kept = std::max<size_t>(kept, 1);
  SortPrefix(kept);
  candidates_.resize(kept);
  sorted_prefix_ = std::min(sorted_prefix_, kept);
}

void Sampler::Filter(std::span<const float> logits) {
  if (logits.size() != static_cast<size_t>(vocab_size_)) {
    ThrowInvalid("sampling: got " + std::to_string(logits.size()) + " logits for a vocabulary of " +
                 std::to_string(vocab_size_));
  }
  adjusted_.resize(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) {
    adjusted_[i] = std::isnan(logits[i]) ? kMinusInfinity : logits[i];
  }
  std::span<const int32_t> window;
  if (params_.repeat_last_n == -1) {
    window = history_;
  } else if (params_.repeat_last_n > 0) {
    const size_t count = std::min(history_.size(), static_cast<size_t>(params_.repeat_last_n));
    window = std::span<const int32_t>(history_).last(count);
  }
  ApplyBiasAndPenalties(params_, window, adjusted_);

  candidates_.clear();
  sorted_prefix_ = 0;
  if (params_.temperature <= 0.0f) {
    // Greedy: the strict comparison keeps the lowest id among equal maxima.
    size_t best = 0;
    for (size_t i = 1; i < adjusted_.size(); ++i) {
      if (adjusted_[i] > adjusted_[best]) best = i;
    }
    if (adjusted_[best] != kMinusInfinity) {
      candidates_.push_back({static_cast<int32_t>(best), adjusted_[best]});
      sorted_prefix_ = 1;
    }
  } else {
    // Banned tokens (-infinity) can never be drawn: leave them out of every later pass.
    for (size_t i = 0; i < adjusted_.size(); ++i) {
      if (adjusted_[i] != kMinusInfinity) candidates_.push_back({static_cast<int32_t>(i), adjusted_[i]});
    }
  }
  if (candidates_.empty()) ThrowInvalid("sampling: every token of the vocabulary is banned");
  if (params_.temperature <= 0.0f) return;

  KeepTopK();
  KeepTopP();
  KeepMinP();
  for (Candidate& candidate : candidates_) candidate.logit /= params_.temperature;
}

std::vector<TokenProbability> Sampler::Distribution(std::span<const float> logits) {
  Filter(logits);
  const double max = MaxLogit(candidates_, sorted_prefix_);
  std::vector<TokenProbability> distribution;
  distribution.reserve(candidates_.size());
  double total = 0.0;
  for (const Candidate& candidate : candidates_) {
    const double weight = std::exp(candidate.logit - max);
    distribution.push_back({candidate.token, weight});
    total += weight;
  }
  for (TokenProbability& entry : distribution) entry.probability /= total;
  return distribution;
}

int32_t Sampler::Sample(std::span<const float> logits) {
  Filter(logits);
  if (candidates_.size() == 1) return candidates_.front().token;
  const double max = MaxLogit(candidates_, sorted_prefix_);
  double total = 0.0;
  for (const Candidate& candidate : candidates_) total += std::exp(candidate.logit - max);
  // 53 random bits give a uniform double in [0, 1).
  const double target = static_cast<double>(NextRandom() >> 11) * 0x1.0p-53 * total;
  double mass = 0.0;
  for (const Candidate& candidate : candidates_) {
    mass += std::exp(candidate.logit - max);
    if (mass > target) return candidate.token;
  }
  return candidates_.back().token;  // rounding left the target at the very top
}

}  // namespace troupe::engine
