#include "analytics/binary_report.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace troupe::analytics {

namespace {

// The Mann-Whitney U of the positives' predictions over the negatives', divided by their pairs:
// sort once, give tied predictions their mean rank.
double RocAuc(const std::vector<double>& predicted, const std::vector<bool>& actual, size_t positives) {
  const size_t negatives = actual.size() - positives;
  if (positives == 0 || negatives == 0) return 0.5;
  std::vector<size_t> order(predicted.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return predicted[a] < predicted[b]; });
  double positive_rank_sum = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && predicted[order[j]] == predicted[order[i]]) ++j;
    const double mean_rank = (static_cast<double>(i) + static_cast<double>(j) + 1) / 2;  // ranks from 1
    for (size_t k = i; k < j; ++k) {
      if (actual[order[k]]) positive_rank_sum += mean_rank;
    }
    i = j;
  }
  const double p = static_cast<double>(positives);
  const double u = positive_rank_sum - p * (p + 1) / 2;
  return u / (p * static_cast<double>(negatives));
}

std::vector<CalibrationBin> Calibration(const std::vector<double>& predicted, const std::vector<bool>& actual,
                                        size_t bins) {
  std::vector<CalibrationBin> table(bins);
  std::vector<double> positives(bins, 0);
  for (size_t i = 0; i < predicted.size(); ++i) {
    const double p = std::clamp(predicted[i], 0.0, 1.0);
    const size_t bin = std::min(bins - 1, static_cast<size_t>(p * static_cast<double>(bins)));
    table[bin].count += 1;
    table[bin].mean_predicted += p;
    positives[bin] += actual[i] ? 1 : 0;
  }
  std::vector<CalibrationBin> filled;
  for (size_t bin = 0; bin < bins; ++bin) {
    CalibrationBin entry = table[bin];
    if (entry.count == 0) continue;
    entry.low = static_cast<double>(bin) / static_cast<double>(bins);
    entry.high = static_cast<double>(bin + 1) / static_cast<double>(bins);
    entry.mean_predicted /= static_cast<double>(entry.count);
    entry.observed_rate = positives[bin] / static_cast<double>(entry.count);
    filled.push_back(entry);
  }
  return filled;
}

}  // namespace

BinaryReport EvaluateBinary(const std::vector<double>& predicted, const std::vector<bool>& actual, double threshold,
                            size_t calibration_bins) {
  if (predicted.size() != actual.size()) {
    throw std::invalid_argument("EvaluateBinary: " + std::to_string(predicted.size()) + " predictions for " +
                                std::to_string(actual.size()) + " outcomes");
  }
  BinaryReport report;
  report.examples = actual.size();
  report.threshold = threshold;
  report.positives = static_cast<size_t>(std::count(actual.begin(), actual.end(), true));
  if (report.examples == 0) return report;
  size_t true_positive = 0, false_positive = 0, false_negative = 0, correct = 0;
  double squared_error = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    const bool said_yes = predicted[i] >= threshold;
    true_positive += said_yes && actual[i];
    false_positive += said_yes && !actual[i];
    false_negative += !said_yes && actual[i];
    correct += said_yes == actual[i];
    const double error = predicted[i] - (actual[i] ? 1.0 : 0.0);
    squared_error += error * error;
  }
  auto ratio = [](size_t part, size_t whole) { return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole); };
  report.precision = ratio(true_positive, true_positive + false_positive);
  report.recall = ratio(true_positive, true_positive + false_negative);
  report.f1 = report.precision + report.recall == 0
                  ? 0
                  : 2 * report.precision * report.recall / (report.precision + report.recall);
  report.accuracy = ratio(correct, actual.size());
  report.brier = squared_error / static_cast<double>(actual.size());
  report.auc = RocAuc(predicted, actual, report.positives);
  report.calibration = Calibration(predicted, actual, std::max<size_t>(calibration_bins, 1));
  return report;
}

}  // namespace troupe::analytics
