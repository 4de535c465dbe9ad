// An optional learned sentiment model: logistic regression (liblinear) over hashed word 1- and
// 2-grams of analytics::LowercaseWords, words after a negation ("not", "never", "-n't") marked as
// negated up to the end of their clause. It learns positive against negative from an operator's
// `text<TAB>label` file and is saved as a small versioned binary file (sparse weights).
//
// File format, little-endian: the 8 bytes "TRSNTLIN", u32 format version (1), u32 hash bits
// (10..24), f32 bias, u32 count, then count pairs (u32 feature index, f32 weight) in strictly
// increasing index order, nothing after. Load checks every field and the length.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/sentiment_eval.h"
#include "base/status.h"

namespace troupe::analytics {

struct SentimentLinearOptions {
  double c = 4.0;           // liblinear's C, the inverse regularisation strength; > 0 (see docs/analytics.md)
  uint32_t hash_bits = 18;  // 2^bits feature slots; 10..24
};

class SentimentLinearModel {
 public:
  static constexpr uint32_t kFormatVersion = 1;

  // Trains on the positive and negative examples. kInvalidArgument for a neutral example (the
  // model is binary), for a set lacking either class, or for options out of range; kInternal if
  // liblinear fails. Deterministic (a primal solver): the same data gives the same model.
  // Thread-safe, though trainings run one at a time (liblinear prints through a global hook).
  static Result<SentimentLinearModel> Train(const std::vector<LabelledText>& examples,
                                            const SentimentLinearOptions& options = {});

  // Parses a saved model; kInvalidArgument naming `source` and the byte offset of what is wrong.
  static Result<SentimentLinearModel> FromBytes(std::string_view bytes, std::string_view source);
  // kNotFound when the file cannot be read, else as FromBytes.
  static Result<SentimentLinearModel> Load(const std::filesystem::path& path);

  std::string ToBytes() const;
  // Writes through a temporary file and a rename, so a reader never sees half a model.
  Status Save(const std::filesystem::path& path) const;

  // P(positive | text), and the same as a score in [-1, 1] (2p - 1) for ClassifySentiment. Thread-safe.
  double PositiveProbability(std::string_view text) const;
  double Score(std::string_view text) const { return 2 * PositiveProbability(text) - 1; }

  uint32_t hash_bits() const { return hash_bits_; }
  size_t nonzero_weights() const;

 private:
  friend class SentimentLinearModelBuilder;  // training and loading fill one in

  uint32_t hash_bits_ = 18;
  float bias_ = 0;
  std::vector<float> weights_;  // 2^hash_bits_
};

// Seeded, stratified k-fold cross-validation of the linear model: every example is predicted by
// a model that did not see it, and the figures are over all of them. `on_fold(k)` runs before
// fold k (from 0) and may return false to stop: then kUnavailable "interrupted". folds: 2..20.
Result<SentimentReport> CrossValidateSentimentLinear(const std::vector<LabelledText>& examples, int folds,
                                                     uint64_t seed, const SentimentLinearOptions& options,
                                                     const std::function<bool(int fold)>& on_fold);

}  // namespace troupe::analytics
