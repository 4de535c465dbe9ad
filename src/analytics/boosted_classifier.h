// Gradient-boosted trees for a yes/no outcome over dense numeric features: XGBoost's
// binary:logistic, trained in process. Deterministic for the same data, options and seed (one
// thread builds the trees). Errors from the library come back as Status values naming the call.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace troupe::analytics {

struct BoostingOptions {
  int rounds = 60;
  int max_depth = 4;
  double learning_rate = 0.2;
  double min_child_weight = 1;
  uint64_t seed = 1;
};

class BoostedClassifier {
 public:
  BoostedClassifier(BoostedClassifier&&) noexcept;
  BoostedClassifier& operator=(BoostedClassifier&&) noexcept;
  ~BoostedClassifier();

  // rows[i] has the same number of features for every i; kInvalidArgument when the rows are
  // ragged, empty, or the labels are of one class only.
  static Result<BoostedClassifier> Train(const std::vector<std::vector<float>>& rows, const std::vector<bool>& labels,
                                         const BoostingOptions& options);
  // From Serialize's bytes (XGBoost's JSON model); kInvalidArgument when they are not a model.
  static Result<BoostedClassifier> Deserialize(std::string_view bytes, size_t features);

  // The probability of the outcome for each row.
  Result<std::vector<double>> Predict(const std::vector<std::vector<float>>& rows) const;
  // Total gain of each feature's splits (0 for a feature no tree uses), by feature index.
  Result<std::vector<double>> FeatureGain() const;
  Result<std::string> Serialize() const;
  size_t features() const { return features_; }

 private:
  struct Booster;
  BoostedClassifier(std::unique_ptr<Booster> booster, size_t features);
  std::unique_ptr<Booster> booster_;
  size_t features_ = 0;
};

}  // namespace troupe::analytics
