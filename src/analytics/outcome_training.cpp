// Training, storing and applying an outcome predictor (outcome_training.h).
#include "analytics/outcome_training.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "analytics/binary_report.h"
#include "base/split_mix64.h"

namespace troupe::analytics {

namespace {

using TrainingJson = nlohmann::ordered_json;

TrainingJson TrainingReport(const BinaryReport& report, const std::vector<double>& gain, size_t train) {
  TrainingJson calibration = TrainingJson::array();
  for (const CalibrationBin& bin : report.calibration) {
    calibration.push_back({{"low", bin.low}, {"high", bin.high}, {"count", bin.count},
                           {"mean_predicted", bin.mean_predicted}, {"observed_rate", bin.observed_rate}});
  }
  TrainingJson importance = TrainingJson::array();
  const std::vector<std::string>& names = OutcomeFeatureNames();
  std::vector<size_t> order(gain.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return gain[a] > gain[b]; });
  for (size_t i : order) importance.push_back({{"feature", names.at(i)}, {"gain", gain[i]}});
  return {{"train_examples", train},  {"test_examples", report.examples}, {"test_positives", report.positives},
          {"auc", report.auc},        {"threshold", report.threshold},    {"precision", report.precision},
          {"recall", report.recall},  {"f1", report.f1},                  {"accuracy", report.accuracy},
          {"brier", report.brier},    {"calibration", calibration},       {"feature_importance", importance}};
}

}  // namespace

bool InTestShare(int64_t conversation_id, uint64_t seed, double share) {
  return UnitInterval(SplitMix64Finalize(static_cast<uint64_t>(conversation_id) + seed * kSplitMix64Gamma)) < share;
}

Result<TrainedOutcome> TrainOutcome(store::Store& store, const OutcomeTraining& training,
                                    const std::function<bool(size_t, size_t)>& progress) {
  if (!(training.test_share > 0 && training.test_share < 1)) {
    return InvalidArgument("test_share must be between 0 and 1", "test_share");
  }
  TROUPE_ASSIGN_OR_RETURN(std::vector<OutcomeExample> examples, BuildOutcomeDataset(store, training.data, progress));
  std::vector<std::vector<float>> train_rows, test_rows;
  std::vector<bool> train_labels, test_labels;
  for (const OutcomeExample& example : examples) {
    const bool test = InTestShare(example.conversation_id, training.seed, training.test_share);
    (test ? test_rows : train_rows).push_back(example.features);
    (test ? test_labels : train_labels).push_back(example.happened);
  }
  const std::string outcome(NameOf(training.data.outcome));
  if (train_rows.size() < 10 || test_rows.empty()) {
    return Status(StatusCode::kFailedPrecondition,
                  std::to_string(examples.size()) + " conversations have a known " + outcome +
                      " outcome: too few to train on and hold out (at least 10 to train, 1 to test)");
  }
  if (std::all_of(train_labels.begin(), train_labels.end(), [&](bool label) { return label == train_labels[0]; })) {
    return Status(StatusCode::kFailedPrecondition, "every conversation trained on has the same " + outcome +
                                                       " outcome: there is nothing to learn yet");
  }
  BoostingOptions boosting;
  boosting.seed = training.seed;
  TROUPE_ASSIGN_OR_RETURN(BoostedClassifier model, BoostedClassifier::Train(train_rows, train_labels, boosting));
  TROUPE_ASSIGN_OR_RETURN(std::vector<double> predicted, model.Predict(test_rows));
  TROUPE_ASSIGN_OR_RETURN(std::vector<double> gain, model.FeatureGain());
  TrainedOutcome trained{std::move(model), TrainingReport(EvaluateBinary(predicted, test_labels), gain, train_rows.size()),
                         examples.size()};
  return trained;
}

Result<store::OutcomeModelRecord> OutcomeModelRecordOf(const TrainedOutcome& trained, const OutcomeTraining& training) {
  store::OutcomeModelRecord record;
  record.outcome = std::string(NameOf(training.data.outcome));
  record.first_messages = training.data.first_messages;
  record.return_days = training.data.return_days;
  record.features = static_cast<int64_t>(trained.model.features());
  record.examples = static_cast<int64_t>(trained.examples);
  TROUPE_ASSIGN_OR_RETURN(record.model_json, trained.model.Serialize());
  record.report_json = trained.report.dump();
  return record;
}

OutcomeScorer::OutcomeScorer(BoostedClassifier model, store::OutcomeModelRecord record)
    : model_(std::move(model)), record_(std::move(record)) {}

Result<OutcomeScorer> OutcomeScorer::FromRecord(const store::OutcomeModelRecord& record) {
  if (record.features != static_cast<int64_t>(OutcomeFeatureNames().size())) {
    return InvalidArgument("outcome model " + std::to_string(record.id) + " has " + std::to_string(record.features) +
                               " features; this Troupe computes " + std::to_string(OutcomeFeatureNames().size()) +
                               ": train it again",
                           "features");
  }
  TROUPE_ASSIGN_OR_RETURN(BoostedClassifier model,
                          BoostedClassifier::Deserialize(record.model_json, static_cast<size_t>(record.features)));
  store::OutcomeModelRecord kept = record;
  kept.model_json.clear();  // the trees live in `model`
  return OutcomeScorer(std::move(model), std::move(kept));
}

Result<double> OutcomeScorer::Score(const store::Conversation& conversation,
                                    const std::vector<store::Message>& messages) const {
  const size_t first = std::min(messages.size(), static_cast<size_t>(std::max<int64_t>(record_.first_messages, 1)));
  const std::vector<store::Message> opening(messages.begin(), messages.begin() + static_cast<ptrdiff_t>(first));
  TROUPE_ASSIGN_OR_RETURN(std::vector<double> predicted, model_.Predict({OutcomeFeatures(conversation, opening)}));
  return predicted.at(0);
}

}  // namespace troupe::analytics
