#include "analytics/sentiment_trajectory.h"

#include <algorithm>
#include <numeric>

namespace troupe::analytics {
namespace {

double MeanOf(std::vector<double>::const_iterator begin, std::vector<double>::const_iterator end) {
  return std::accumulate(begin, end, 0.0) / static_cast<double>(end - begin);
}

}  // namespace

std::string_view TrendName(SentimentTrend trend) {
  switch (trend) {
    case SentimentTrend::kImproving: return "improving";
    case SentimentTrend::kDeclining: return "declining";
    case SentimentTrend::kSteady: return "steady";
    case SentimentTrend::kNone: break;
  }
  return "none";
}

SentimentTrajectory SummarizeSentiment(const std::vector<double>& scores, double steady_band) {
  SentimentTrajectory trajectory;
  trajectory.count = scores.size();
  if (scores.empty()) return trajectory;
  const size_t third = std::max<size_t>(1, scores.size() / 3);
  trajectory.mean = MeanOf(scores.begin(), scores.end());
  trajectory.start_mean = MeanOf(scores.begin(), scores.begin() + static_cast<std::ptrdiff_t>(third));
  trajectory.end_mean = MeanOf(scores.end() - static_cast<std::ptrdiff_t>(third), scores.end());
  const auto [low, high] = std::minmax_element(scores.begin(), scores.end());
  trajectory.min = *low;
  trajectory.max = *high;
  if (scores.size() < 2) return trajectory;
  // Least squares of score on position 0..n-1.
  const double n = static_cast<double>(scores.size());
  const double mean_x = (n - 1) / 2;
  double covariance = 0;
  double variance = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    const double dx = static_cast<double>(i) - mean_x;
    covariance += dx * (scores[i] - *trajectory.mean);
    variance += dx * dx;
  }
  trajectory.slope = covariance / variance;
  const double change = *trajectory.end_mean - *trajectory.start_mean;
  trajectory.trend = change > steady_band    ? SentimentTrend::kImproving
                     : change < -steady_band ? SentimentTrend::kDeclining
                                             : SentimentTrend::kSteady;
  return trajectory;
}

}  // namespace troupe::analytics
