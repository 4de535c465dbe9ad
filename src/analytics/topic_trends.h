// Topics over time: each message's topic mixture (LdaModel::InferMixture over its words) averaged
// per UTC week, so operators see which topics grow and which fade, and each topic's trend as the
// least-squares slope of its weekly share.
#pragma once

#include <cstdint>
#include <vector>

#include "analytics/lda_model.h"

namespace troupe::analytics {

// Monday 00:00 UTC of the week holding `ms` (Unix milliseconds).
int64_t WeekStartMs(int64_t ms);

struct TopicWeek {
  int64_t week_start_ms = 0;
  size_t messages = 0;
  std::vector<double> shares;  // per topic, summing to 1 (a week without messages is not listed)
};

// Weeks in order. `documents[i]` was written at `created_at_ms[i]`; the two must be as long.
// Deterministic (InferMixture's seed is the document's index).
std::vector<TopicWeek> WeeklyTopicShares(const LdaModel& model, const std::vector<std::vector<int32_t>>& documents,
                                         const std::vector<int64_t>& created_at_ms);

// Per topic, the slope of its weekly share by week (share points per week); 0 with fewer than two
// weeks.
std::vector<double> TopicShareSlopes(const std::vector<TopicWeek>& weeks, size_t topic_count);

}  // namespace troupe::analytics
