// Outcome predictors and their predictions: each trained model with its held-out report (the
// latest per outcome is the one in use), and per conversation the latest probability of each
// outcome with the model that gave it. What the features are and how models are trained belongs to
// analytics/outcome_training.h; the runtime reads predictions through chat/outcome_prediction.h.
// Thread-safe; failures are Status values as store.h says for every repository.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/page.h"

namespace troupe::store {

struct OutcomeModelRecord {
  int64_t id = 0;
  std::string outcome;  // "handoff", "return" or "good_end"
  int64_t first_messages = 6;
  int64_t return_days = 7;
  int64_t features = 0;
  int64_t examples = 0;
  std::string model_json;   // XGBoost's JSON model; summaries (ListModels) leave it empty
  std::string report_json;  // the held-out report
  int64_t created_at = 0;
};

struct OutcomePrediction {
  int64_t conversation_id = 0;
  std::string outcome;
  int64_t model_id = 0;
  double probability = 0;
  int64_t messages_seen = 0;  // how many of the conversation's first messages the model read
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

class PredictionRepository {
 public:
  virtual ~PredictionRepository() = default;
  // Stores a trained model (id and created_at set here). kInvalidArgument naming the field for an
  // empty outcome or model, or a report that is not a JSON object.
  virtual Result<OutcomeModelRecord> SaveModel(OutcomeModelRecord model) = 0;
  virtual Result<OutcomeModelRecord> GetModel(int64_t id) = 0;  // kNotFound naming id
  // The newest model of an outcome, with its model JSON.
  virtual Result<std::optional<OutcomeModelRecord>> LatestModel(const std::string& outcome) = 0;
  // Newest first, without model JSON; of one outcome when given.
  virtual Result<Page<OutcomeModelRecord>> ListModels(std::optional<std::string> outcome, const PageRequest& page) = 0;

  // Writes the conversation's prediction of its outcome, replacing an earlier one (created_at
  // kept). kNotFound naming conversation_id or model_id; kInvalidArgument for a probability
  // outside 0..1.
  virtual Status Put(const OutcomePrediction& prediction) = 0;
  // The conversation's predictions, by outcome name.
  virtual Result<std::vector<OutcomePrediction>> ForConversation(int64_t conversation_id) = 0;
};

}  // namespace troupe::store
