#include "analytics/topic_trends.h"

#include <map>

namespace troupe::analytics {

namespace {
constexpr int64_t kDayMs = 86'400'000;
}  // namespace

int64_t WeekStartMs(int64_t ms) {
  int64_t days = ms / kDayMs;
  if (ms % kDayMs < 0) --days;  // floor for times before 1970
  // 1970-01-01 was a Thursday: day 0 is weekday 3 counting from Monday.
  const int64_t weekday = ((days + 3) % 7 + 7) % 7;
  return (days - weekday) * kDayMs;
}

std::vector<TopicWeek> WeeklyTopicShares(const LdaModel& model, const std::vector<std::vector<int32_t>>& documents,
                                         const std::vector<int64_t>& created_at_ms) {
  std::map<int64_t, TopicWeek> weeks;
  const size_t count = std::min(documents.size(), created_at_ms.size());
  for (size_t i = 0; i < count; ++i) {
    const int64_t start = WeekStartMs(created_at_ms[i]);
    TopicWeek& week = weeks[start];
    if (week.shares.empty()) {
      week.week_start_ms = start;
      week.shares.assign(model.topic_count(), 0.0);
    }
    const std::vector<double> mixture = model.InferMixture(documents[i], 50, i + 1);
    for (size_t topic = 0; topic < mixture.size(); ++topic) week.shares[topic] += mixture[topic];
    ++week.messages;
  }
  std::vector<TopicWeek> ordered;
  for (auto& [start, week] : weeks) {
    for (double& share : week.shares) share /= static_cast<double>(week.messages);
    ordered.push_back(std::move(week));
  }
  return ordered;
}

std::vector<double> TopicShareSlopes(const std::vector<TopicWeek>& weeks, size_t topic_count) {
  std::vector<double> slopes(topic_count, 0.0);
  if (weeks.size() < 2) return slopes;
  // x is the week's index from the first, in weeks (gaps count).
  const auto x_of = [&](const TopicWeek& week) {
    return static_cast<double>((week.week_start_ms - weeks.front().week_start_ms) / (7 * kDayMs));
  };
  double mean_x = 0;
  for (const TopicWeek& week : weeks) mean_x += x_of(week);
  mean_x /= static_cast<double>(weeks.size());
  double spread = 0;
  for (const TopicWeek& week : weeks) spread += (x_of(week) - mean_x) * (x_of(week) - mean_x);
  for (size_t topic = 0; topic < topic_count; ++topic) {
    double mean_y = 0;
    for (const TopicWeek& week : weeks) mean_y += week.shares[topic];
    mean_y /= static_cast<double>(weeks.size());
    double covariance = 0;
    for (const TopicWeek& week : weeks) covariance += (x_of(week) - mean_x) * (week.shares[topic] - mean_y);
    slopes[topic] = covariance / spread;
  }
  return slopes;
}

}  // namespace troupe::analytics
