#include "server/services/outcome_predictions.h"

#include <algorithm>
#include <string>
#include <utility>

#include "server/http/json_body.h"

namespace troupe::server {

StoredOutcomePredictor::StoredOutcomePredictor(store::Store& store, const Clock& clock, int64_t refresh_ms)
    : store_(store), clock_(clock), refresh_ms_(refresh_ms) {}

// One turn looks for a newer model; the others meanwhile keep predicting with the current one, and
// no store read or model load happens under the lock.
Result<std::shared_ptr<const analytics::OutcomeScorer>> StoredOutcomePredictor::Current() {
  std::shared_ptr<const analytics::OutcomeScorer> current;
  {
    std::lock_guard lock(mutex_);
    const int64_t now = clock_.NowMillis();
    if (looked_ && now - looked_at_ < refresh_ms_) return scorer_;
    looked_ = true;
    looked_at_ = now;
    current = scorer_;
  }
  TROUPE_ASSIGN_OR_RETURN(store::Page<store::OutcomeModelRecord> newest, store_.predictions().ListModels("handoff", {"", 1}));
  std::shared_ptr<const analytics::OutcomeScorer> next;
  if (!newest.items.empty()) {
    if (current != nullptr && current->record().id == newest.items.front().id) return current;
    TROUPE_ASSIGN_OR_RETURN(store::OutcomeModelRecord record, store_.predictions().GetModel(newest.items.front().id));
    TROUPE_ASSIGN_OR_RETURN(analytics::OutcomeScorer scorer, analytics::OutcomeScorer::FromRecord(record));
    next = std::make_shared<const analytics::OutcomeScorer>(std::move(scorer));
  }
  std::lock_guard lock(mutex_);
  scorer_ = next;
  return scorer_;
}

void StoredOutcomePredictor::Refresh() {
  std::lock_guard lock(mutex_);
  looked_ = false;
}

Result<std::optional<double>> StoredOutcomePredictor::PredictHandoff(const store::Conversation& conversation,
                                                                     const std::vector<store::Message>& messages) {
  TROUPE_ASSIGN_OR_RETURN(std::shared_ptr<const analytics::OutcomeScorer> scorer, Current());
  if (scorer == nullptr) return std::optional<double>();
  TROUPE_ASSIGN_OR_RETURN(double probability, scorer->Score(conversation, messages));
  const int64_t first = scorer->record().first_messages;
  // Past the first messages the model reads, the prediction no longer changes: it is stored.
  if (static_cast<int64_t>(messages.size()) <= first + 1) {
    store::OutcomePrediction prediction;
    prediction.conversation_id = conversation.id;
    prediction.outcome = "handoff";
    prediction.model_id = scorer->record().id;
    prediction.probability = probability;
    prediction.messages_seen = std::min<int64_t>(static_cast<int64_t>(messages.size()), first);
    TROUPE_RETURN_IF_ERROR(store_.predictions().Put(prediction));
  }
  return std::optional<double>(probability);
}

Result<nlohmann::json> CheckTrainOutcomesPayload(const nlohmann::json& request) {
  JsonObjectReader reader(request);
  const std::string outcome = reader.OptionalString("outcome").value_or("handoff");
  const int64_t first_messages = reader.OptionalInt("first_messages", 1, 1000).value_or(6);
  const int64_t return_days = reader.OptionalInt("return_days", 1, 3650).value_or(7);
  const double test_share = reader.OptionalNumber("test_share").value_or(0.25);
  const int64_t seed = reader.OptionalInt("seed", 0).value_or(1);
  TROUPE_RETURN_IF_ERROR(reader.Finish());
  if (!analytics::ParseOutcome(outcome)) {
    return InvalidArgument("outcome is handoff, return or good_end; got '" + outcome + "'", "outcome");
  }
  if (!(test_share > 0 && test_share < 1)) return InvalidArgument("test_share is between 0 and 1", "test_share");
  return nlohmann::json{{"outcome", outcome},       {"first_messages", first_messages}, {"return_days", return_days},
                        {"test_share", test_share}, {"seed", seed}};
}

void RegisterAnalyticsJobs(JobRunner& runner, store::Store& store, const Clock& clock,
                           std::function<void()> on_model_saved) {
  runner.Register(std::string(kTrainOutcomesJob),
                  [&store, &clock, on_model_saved](const store::Job& job, JobContext& context) -> Result<nlohmann::json> {
                    TROUPE_ASSIGN_OR_RETURN(nlohmann::json payload,
                                            CheckTrainOutcomesPayload(nlohmann::json::parse(job.payload_json, nullptr, false)));
                    analytics::OutcomeTraining training;
                    training.data.outcome = *analytics::ParseOutcome(payload["outcome"].get<std::string>());
                    training.data.first_messages = payload["first_messages"].get<int>();
                    training.data.return_days = payload["return_days"].get<int>();
                    training.data.now_ms = clock.NowMillis();
                    training.test_share = payload["test_share"].get<double>();
                    training.seed = payload["seed"].get<uint64_t>();
                    TROUPE_ASSIGN_OR_RETURN(analytics::TrainedOutcome trained,
                                            analytics::TrainOutcome(store, training, [&context](size_t done, size_t total) {
                                              return total == 0 || done % 200 != 0 ||
                                                     context.ReportProgress(0.9 * static_cast<double>(done) /
                                                                            static_cast<double>(total));
                                            }));
                    TROUPE_ASSIGN_OR_RETURN(store::OutcomeModelRecord record,
                                            analytics::OutcomeModelRecordOf(trained, training));
                    TROUPE_ASSIGN_OR_RETURN(store::OutcomeModelRecord saved, store.predictions().SaveModel(std::move(record)));
                    if (on_model_saved) on_model_saved();
                    return nlohmann::json{{"model_id", saved.id},
                                          {"outcome", saved.outcome},
                                          {"report", nlohmann::json::parse(trained.report.dump())}};
                  });
}

}  // namespace troupe::server
