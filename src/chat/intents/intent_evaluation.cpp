#include "chat/intents/intent_evaluation.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace troupe::chat::intents {

namespace {

struct Counts {
  size_t true_positive = 0;
  size_t predicted = 0;
  size_t actual = 0;
};

double Ratio(size_t a, size_t b) { return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b); }

}  // namespace

EvaluationReport Evaluate(const IntentClassifier& classifier, const std::vector<LabelledExample>& test,
                          size_t max_confusions) {
  EvaluationReport report;
  report.examples = test.size();
  const std::set<std::string_view> known(classifier.intents().begin(), classifier.intents().end());

  std::vector<IntentScore> predictions;
  predictions.reserve(test.size());
  const auto start = std::chrono::steady_clock::now();
  for (const LabelledExample& example : test) predictions.push_back(classifier.Best(example.text));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.messages_per_second = seconds > 0 ? static_cast<double>(test.size()) / seconds : 0;

  std::map<std::string, Counts> counts;
  std::map<std::pair<std::string, std::string>, size_t> confusions;
  std::vector<double> confidences;
  std::vector<bool> hits;
  for (size_t i = 0; i < test.size(); ++i) {
    const std::string& expected = test[i].intent;
    const std::string predicted(predictions[i].intent);
    const bool hit = expected == predicted;
    if (!known.count(expected)) ++report.unknown;
    report.correct += hit ? 1 : 0;
    ++counts[expected].actual;
    ++counts[predicted].predicted;
    if (hit) {
      ++counts[expected].true_positive;
    } else {
      ++confusions[{expected, predicted}];
    }
    confidences.push_back(predictions[i].confidence);
    hits.push_back(hit);
  }
  report.accuracy = Ratio(report.correct, report.examples);
  report.calibration_error = ExpectedCalibrationError(confidences, hits);

  double f1_sum = 0;
  for (const auto& [intent, count] : counts) {
    IntentMetrics metrics{intent, Ratio(count.true_positive, count.predicted), Ratio(count.true_positive, count.actual),
                          0, count.actual};
    const double sum = metrics.precision + metrics.recall;
    metrics.f1 = sum > 0 ? 2 * metrics.precision * metrics.recall / sum : 0;
    f1_sum += metrics.f1;
    report.per_intent.push_back(std::move(metrics));
  }
  report.macro_f1 = counts.empty() ? 0 : f1_sum / static_cast<double>(counts.size());

  for (const auto& [pair, count] : confusions) report.confusions.push_back({pair.first, pair.second, count});
  std::stable_sort(report.confusions.begin(), report.confusions.end(),
                   [](const Confusion& a, const Confusion& b) { return a.count > b.count; });
  if (report.confusions.size() > max_confusions) report.confusions.resize(max_confusions);
  return report;
}

std::string FormatReport(const EvaluationReport& report) {
  size_t width = 6;
  for (const IntentMetrics& metrics : report.per_intent) width = std::max(width, metrics.intent.size());
  std::string out = fmt::format("{:<{}}  precision  recall     f1  support\n", "intent", width);
  for (const IntentMetrics& metrics : report.per_intent) {
    out += fmt::format("{:<{}}  {:>9.4f}  {:>6.4f}  {:>5.4f}  {:>7}\n", metrics.intent, width, metrics.precision,
                       metrics.recall, metrics.f1, metrics.support);
  }
  if (!report.confusions.empty()) {
    out += "\nmost frequent confusions (expected -> predicted: count)\n";
    for (const Confusion& confusion : report.confusions) {
      out += fmt::format("  {} -> {}: {}\n", confusion.expected, confusion.predicted, confusion.count);
    }
  }
  out += "\n";
  if (report.unknown > 0) {
    out += fmt::format("{} test examples have intents the model was not trained on (always wrong)\n", report.unknown);
  }
  out += fmt::format("examples={} correct={} calibration_error={:.4f} messages_per_second={:.0f}\n", report.examples,
                     report.correct, report.calibration_error, report.messages_per_second);
  out += fmt::format("accuracy={:.4f} macro_f1={:.4f}\n", report.accuracy, report.macro_f1);
  return out;
}

nlohmann::json ReportJson(const EvaluationReport& report) {
  nlohmann::json per_intent = nlohmann::json::array();
  for (const IntentMetrics& metrics : report.per_intent) {
    per_intent.push_back({{"intent", metrics.intent},
                          {"precision", metrics.precision},
                          {"recall", metrics.recall},
                          {"f1", metrics.f1},
                          {"support", metrics.support}});
  }
  nlohmann::json confusions = nlohmann::json::array();
  for (const Confusion& confusion : report.confusions) {
    confusions.push_back(
        {{"expected", confusion.expected}, {"predicted", confusion.predicted}, {"count", confusion.count}});
  }
  return {{"examples", report.examples},
          {"correct", report.correct},
          {"accuracy", report.accuracy},
          {"macro_f1", report.macro_f1},
          {"unknown", report.unknown},
          {"calibration_error", report.calibration_error},
          {"messages_per_second", report.messages_per_second},
          {"per_intent", per_intent},
          {"confusions", confusions}};
}

}  // namespace troupe::chat::intents
