// How well predicted probabilities of a yes/no outcome match what happened: ranking (ROC AUC),
// the decisions at a threshold (precision, recall, F1, accuracy), and calibration (Brier score
// and a reliability table of equal-width probability bins).
#pragma once

#include <cstddef>
#include <vector>

namespace troupe::analytics {

struct CalibrationBin {
  double low = 0;   // predicted probabilities in [low, high)
  double high = 0;  // (the last bin includes 1)
  size_t count = 0;
  double mean_predicted = 0;
  double observed_rate = 0;  // share of positives among them
};

struct BinaryReport {
  size_t examples = 0;
  size_t positives = 0;
  double auc = 0.5;  // 0.5 when only one class is present (undefined)
  double threshold = 0.5;
  double precision = 0, recall = 0, f1 = 0, accuracy = 0;
  double brier = 0;
  std::vector<CalibrationBin> calibration;  // non-empty bins only
};

// `predicted[i]` in [0, 1] for `actual[i]` (true = the outcome happened); sizes must match.
// ROC AUC counts tied predictions as half-correct (the Mann-Whitney U statistic).
BinaryReport EvaluateBinary(const std::vector<double>& predicted, const std::vector<bool>& actual,
                            double threshold = 0.5, size_t calibration_bins = 10);

}  // namespace troupe::analytics
