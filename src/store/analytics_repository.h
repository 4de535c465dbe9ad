// The figures behind the web studio's analytics dashboards (docs/analytics.md, "Dashboards"): per
// UTC day, the conversations started, the user and assistant messages written, their sentiment and
// the ratings given; and, for one character, how many of its conversations sit at each flow stage
// with the sentiment and thumbs ratings of each stage. Sums and counts only: means, the funnel
// (which needs the character's flow) and JSON are the caller's. Plain SQL both databases run alike.
// Thread-safe; failures are Status values as store.h says for every repository.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace troupe::store {

// One UTC day. Each figure counts what happened that day: conversations by their start, messages,
// ratings and csat by their own time.
struct AnalyticsDay {
  int64_t start_ms = 0;  // midnight UTC
  int64_t conversations = 0;
  int64_t user_messages = 0;
  int64_t assistant_messages = 0;
  int64_t sentiment_count = 0;  // user messages with a sentiment score (-1..1)
  double sentiment_sum = 0;
  int64_t thumbs_up = 0;    // feedback kind "rating", +1
  int64_t thumbs_down = 0;  // feedback kind "rating", -1
  int64_t csat_count = 0;   // feedback kind "csat", 1..5
  double csat_sum = 0;
};

// One stage name of a character, as stored (conversations.stage for the current stage,
// messages.stage for the stage a message was written in).
struct AnalyticsStage {
  std::string name;            // "" for conversations the flow has not run on yet
  int64_t conversations = 0;   // started in the period and now at this stage
  int64_t sentiment_count = 0; // user messages of the period written at this stage, with a score
  double sentiment_sum = 0;
  int64_t rating_count = 0;    // "rating" feedback of the period on messages written at this stage
  double rating_sum = 0;
};

struct AnalyticsOverview {
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  std::vector<AnalyticsDay> days;      // every day of [from_ms, to_ms) in order, empty days included
  std::vector<AnalyticsStage> stages;  // by name; only when a character was asked for
};

class AnalyticsRepository {
 public:
  virtual ~AnalyticsRepository() = default;
  // The figures of [from_ms, to_ms), both on UTC midnights, read in one snapshot; of one character's
  // conversations when character_id is given (then with its stages), else of all.
  // kInvalidArgument naming "to" when to_ms is not after from_ms or either is not a midnight.
  virtual Result<AnalyticsOverview> Overview(int64_t from_ms, int64_t to_ms, std::optional<int64_t> character_id) = 0;
};

}  // namespace troupe::store
