// Outcome predictions in the running server: the runtime's predictor (chat/outcome_prediction.h)
// on the newest stored handoff model, which it stores as each conversation's prediction, and the
// job that trains and stores a model (analytics/outcome_training.h), queued through the API.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

#include "analytics/outcome_training.h"
#include "base/clock.h"
#include "chat/outcome_prediction.h"
#include "server/services/job_runner.h"
#include "store/store.h"

namespace troupe::server {

inline constexpr std::string_view kTrainOutcomesJob = "analytics.train_outcomes";

// Scores with the newest "handoff" model, looked for again at most every `refresh_ms` (a model
// trained on another node is picked up within that), and stores the prediction until the
// conversation has more messages than the model reads. Thread-safe.
class StoredOutcomePredictor final : public chat::OutcomePredictor {
 public:
  StoredOutcomePredictor(store::Store& store, const Clock& clock, int64_t refresh_ms = 60'000);
  Result<std::optional<double>> PredictHandoff(const store::Conversation& conversation,
                                               const std::vector<store::Message>& messages) override;
  // Looks for the newest model at the next prediction (a model was just trained here).
  void Refresh();

 private:
  Result<std::shared_ptr<const analytics::OutcomeScorer>> Current();

  store::Store& store_;
  const Clock& clock_;
  const int64_t refresh_ms_;
  std::mutex mutex_;
  std::shared_ptr<const analytics::OutcomeScorer> scorer_;  // guarded by mutex_; null: no model
  int64_t looked_at_ = 0;                                   // guarded by mutex_
  bool looked_ = false;                                     // guarded by mutex_
};

// The training request {outcome, first_messages, return_days, test_share, seed} checked and
// filled with defaults; kInvalidArgument naming the field.
Result<nlohmann::json> CheckTrainOutcomesPayload(const nlohmann::json& request);

// Registers kTrainOutcomesJob: trains, stores the model, calls `on_model_saved` (may be empty) and
// returns {"model_id", "outcome", "report"}. `store` must outlive the runner.
void RegisterAnalyticsJobs(JobRunner& runner, store::Store& store, const Clock& clock,
                           std::function<void()> on_model_saved = {});

}  // namespace troupe::server
