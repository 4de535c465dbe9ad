// Training an outcome predictor on the stored conversations, as `troupe analytics outcomes` and the
// analytics.train_outcomes job do: the examples (outcome_dataset.h), a split by a hash of each
// conversation's id and the seed (a rerun on a grown store keeps every conversation on its side),
// boosted trees on the training side, and the held-out report (binary_report.h) with each
// feature's gain. The trained model can then be stored with its report and score new conversations
// from their first messages.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include <nlohmann/json.hpp>

#include "analytics/boosted_classifier.h"
#include "analytics/outcome_dataset.h"
#include "base/status.h"
#include "store/store.h"

namespace troupe::analytics {

struct OutcomeTraining {
  OutcomeOptions data;
  double test_share = 0.25;  // (0, 1)
  uint64_t seed = 1;
};

struct TrainedOutcome {
  BoostedClassifier model;
  nlohmann::ordered_json report;  // train_examples, test_examples, auc, ..., calibration, feature_importance
  size_t examples = 0;
};

// Whether a conversation is held out for the report.
bool InTestShare(int64_t conversation_id, uint64_t seed, double share);

// kInvalidArgument naming "test_share"; kFailedPrecondition when fewer than 10 examples are left to
// train on or none to test on, or the training side holds one class only; kUnavailable when
// `progress(done, total)` returned false.
Result<TrainedOutcome> TrainOutcome(store::Store& store, const OutcomeTraining& training,
                                    const std::function<bool(size_t, size_t)>& progress = {});

// The model as the store keeps it, and back: the outcome, the first messages and return days it
// was trained with, XGBoost's JSON, the report.
Result<store::OutcomeModelRecord> OutcomeModelRecordOf(const TrainedOutcome& trained, const OutcomeTraining& training);

// The probability of `outcome` for a conversation from its first messages (oldest first; only the
// model's first_messages are used); kInvalidArgument when the stored model does not load.
class OutcomeScorer {
 public:
  static Result<OutcomeScorer> FromRecord(const store::OutcomeModelRecord& record);
  Result<double> Score(const store::Conversation& conversation, const std::vector<store::Message>& messages) const;
  const store::OutcomeModelRecord& record() const { return record_; }

 private:
  OutcomeScorer(BoostedClassifier model, store::OutcomeModelRecord record);
  BoostedClassifier model_;
  store::OutcomeModelRecord record_;
};

}  // namespace troupe::analytics
