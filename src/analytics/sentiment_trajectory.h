// A conversation's sentiment as a path, not only its mean: where the user started (the first third
// of the scored messages), where they ended (the last third), the least-squares slope per message,
// the extremes, and a word for the direction. Pure and thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace troupe::analytics {

enum class SentimentTrend { kNone, kImproving, kDeclining, kSteady };
std::string_view TrendName(SentimentTrend trend);  // "none", "improving", "declining", "steady"

struct SentimentTrajectory {
  size_t count = 0;
  // Absent when there are no scores.
  std::optional<double> mean;
  std::optional<double> start_mean;  // of the first third (at least one score)
  std::optional<double> end_mean;    // of the last third (at least one score)
  std::optional<double> slope;       // per message, least squares over the order; absent below two
  std::optional<double> min;
  std::optional<double> max;
  // improving / declining when end_mean − start_mean passes ±steady_band; steady within it; none
  // below two scores.
  SentimentTrend trend = SentimentTrend::kNone;
};

// `scores` in the order the messages were written, each in [-1, 1].
SentimentTrajectory SummarizeSentiment(const std::vector<double>& scores, double steady_band = 0.1);

}  // namespace troupe::analytics
