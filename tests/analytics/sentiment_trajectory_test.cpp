// A conversation's sentiment path: the thirds, the slope and the trend on hand-computed cases.
#include "analytics/sentiment_trajectory.h"

#include <gtest/gtest.h>

namespace troupe::analytics {
namespace {

TEST(SentimentTrajectoryTest, ARisingConversationImprovesWithItsSlopeAndThirds) {
  const SentimentTrajectory rising = SummarizeSentiment({-0.6, -0.3, 0.0, 0.3, 0.6, 0.9});
  EXPECT_EQ(rising.count, 6u);
  EXPECT_NEAR(*rising.mean, 0.15, 1e-12);
  EXPECT_NEAR(*rising.start_mean, -0.45, 1e-12);  // first two
  EXPECT_NEAR(*rising.end_mean, 0.75, 1e-12);     // last two
  EXPECT_NEAR(*rising.slope, 0.3, 1e-12);
  EXPECT_EQ(*rising.min, -0.6);
  EXPECT_EQ(*rising.max, 0.9);
  EXPECT_EQ(rising.trend, SentimentTrend::kImproving);
  EXPECT_EQ(TrendName(rising.trend), "improving");
}

TEST(SentimentTrajectoryTest, FallingAndFlatConversations) {
  EXPECT_EQ(SummarizeSentiment({0.8, 0.5, 0.1, -0.4}).trend, SentimentTrend::kDeclining);
  const SentimentTrajectory flat = SummarizeSentiment({0.2, -0.2, 0.25, 0.15});
  EXPECT_EQ(flat.trend, SentimentTrend::kSteady);  // ends 0.15 - starts 0.2: within the band
  EXPECT_EQ(SummarizeSentiment({0.2, 0.25}, 0.01).trend, SentimentTrend::kImproving);
}

TEST(SentimentTrajectoryTest, NoneOrOneScoreHasNoTrend) {
  const SentimentTrajectory empty = SummarizeSentiment({});
  EXPECT_EQ(empty.count, 0u);
  EXPECT_FALSE(empty.mean.has_value());
  EXPECT_EQ(empty.trend, SentimentTrend::kNone);
  const SentimentTrajectory one = SummarizeSentiment({0.4});
  EXPECT_EQ(*one.start_mean, 0.4);
  EXPECT_EQ(*one.end_mean, 0.4);
  EXPECT_FALSE(one.slope.has_value());
  EXPECT_EQ(TrendName(one.trend), "none");
}

}  // namespace
}  // namespace troupe::analytics
