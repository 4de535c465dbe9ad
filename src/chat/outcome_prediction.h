// What the runtime asks of an outcome predictor: the probability that a conversation will need a
// person, from its messages so far. The predictor (beside the analytics lab, wired by `troupe
// serve`) also stores it as the conversation's prediction, so dashboards and the agent console
// read it. A character whose intent catalog sets routing.handoff_predicted_above hands a
// conversation to a person early once its prediction reaches that (chat/handoff.h).
#pragma once

#include <optional>
#include <vector>

#include "base/status.h"
#include "store/records.h"

namespace troupe::chat {

class OutcomePredictor {
 public:
  virtual ~OutcomePredictor() = default;
  // `messages`: the whole conversation so far, oldest first. nullopt when no model is trained.
  virtual Result<std::optional<double>> PredictHandoff(const store::Conversation& conversation,
                                                       const std::vector<store::Message>& messages) = 0;
};

}  // namespace troupe::chat
