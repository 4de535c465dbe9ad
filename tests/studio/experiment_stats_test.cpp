#include "studio/experiment_stats.h"

#include <gtest/gtest.h>

#include <vector>

namespace troupe::studio {
namespace {

TEST(ExperimentStatsTest, NormalQuantileMatchesTheTables) {
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963985, 1e-9);
  EXPECT_NEAR(NormalQuantile(0.5), 0.0, 1e-12);
  EXPECT_NEAR(NormalQuantile(0.05), -1.644853627, 1e-9);
  EXPECT_NEAR(TwoSidedNormalP(1.959963985), 0.05, 1e-9);
}

TEST(ExperimentStatsTest, WilsonIntervalOfEightInTen) {
  Result<ProportionEstimate> estimate = EstimateProportion(8, 10);
  ASSERT_TRUE(estimate.ok()) << estimate.status().message();
  EXPECT_DOUBLE_EQ(estimate->rate, 0.8);
  EXPECT_NEAR(estimate->interval.low, 0.4902, 1e-4);
  EXPECT_NEAR(estimate->interval.high, 0.9433, 1e-4);
}

TEST(ExperimentStatsTest, WilsonIntervalStaysInsideZeroAndOne) {
  Result<ProportionEstimate> none = EstimateProportion(0, 20);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->interval.low, 0.0);
  EXPECT_GT(none->interval.high, 0.0);
  Result<ProportionEstimate> all = EstimateProportion(20, 20);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->interval.high, 1.0);
}

TEST(ExperimentStatsTest, TwoProportionZTest) {
  // 120 of 1,000 against 150 of 1,000: the pooled z-test's z = 1.96305, p = 0.049640.
  Result<Comparison> comparison = CompareProportions(120, 1000, 150, 1000);
  ASSERT_TRUE(comparison.ok()) << comparison.status().message();
  EXPECT_NEAR(comparison->difference, 0.03, 1e-12);
  EXPECT_NEAR(comparison->statistic, 1.963050, 1e-6);
  EXPECT_NEAR(comparison->p_value, 0.049640, 1e-6);
  EXPECT_LT(comparison->difference_interval.low, 0.03);
  EXPECT_GT(comparison->difference_interval.high, 0.03);
}

TEST(ExperimentStatsTest, IdenticalRatesGiveNoEvidence) {
  Result<Comparison> same = CompareProportions(0, 50, 0, 70);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->statistic, 0.0);
  EXPECT_DOUBLE_EQ(same->p_value, 1.0);
}

TEST(ExperimentStatsTest, MannWhitneyWithTies) {
  // Average ranks for the tied 3, 4 and 5, the tie-corrected variance and a continuity correction:
  // U(treatment) = 25.5, z = 1.838319, p = 0.066015 (SciPy's mannwhitneyu, asymptotic, agrees).
  const std::vector<double> control{1, 2, 3, 4, 5};
  const std::vector<double> treatment{3, 4, 5, 6, 7, 8};
  Result<Comparison> comparison = CompareRanks(control, treatment);
  ASSERT_TRUE(comparison.ok()) << comparison.status().message();
  EXPECT_DOUBLE_EQ(comparison->u, 25.5);
  EXPECT_NEAR(comparison->statistic, 1.838319, 1e-6);
  EXPECT_NEAR(comparison->p_value, 0.066015, 1e-6);
  EXPECT_NEAR(comparison->probability_of_superiority, 25.5 / 30, 1e-12);
  EXPECT_NEAR(comparison->difference, 5.5 - 3, 1e-12);
}

TEST(ExperimentStatsTest, MannWhitneyIsAntisymmetric) {
  const std::vector<double> a{2, 9, 4, 4, 7, 1};
  const std::vector<double> b{5, 8, 8, 3, 10};
  Result<Comparison> forward = CompareRanks(a, b);
  Result<Comparison> backward = CompareRanks(b, a);
  ASSERT_TRUE(forward.ok() && backward.ok());
  EXPECT_NEAR(forward->statistic, -backward->statistic, 1e-12);
  EXPECT_NEAR(forward->p_value, backward->p_value, 1e-12);
  EXPECT_NEAR(forward->u + backward->u, 30.0, 1e-12);
}

TEST(ExperimentStatsTest, RequiredTrialsForTwoPointsOverTenPercent) {
  // The textbook sample size (and Evan Miller's calculator): 3,841 per variant.
  Result<int64_t> trials = RequiredTrialsPerVariant(0.10, 0.02);
  ASSERT_TRUE(trials.ok()) << trials.status().message();
  EXPECT_EQ(*trials, 3841);
}

TEST(ExperimentStatsTest, StopRuleWaitsForThePlannedTrialsAndCorrectsForComparisons) {
  EXPECT_EQ(DecideStop(900, 1000, 1000, 0.001), StopDecision::kContinue);
  EXPECT_EQ(DecideStop(1000, 1000, 1000, 0.03), StopDecision::kSignificant);
  EXPECT_EQ(DecideStop(1000, 1000, 1000, 0.03, 3), StopDecision::kInconclusive);  // 0.03 > 0.05 / 3
  EXPECT_EQ(ToString(StopDecision::kInconclusive), "inconclusive");
}

TEST(ExperimentStatsTest, BadArgumentsNameTheField) {
  Result<ProportionEstimate> more = EstimateProportion(11, 10);
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.status().field(), "successes");
  Result<Comparison> short_sample = CompareRanks(std::vector<double>{1}, std::vector<double>{1, 2});
  ASSERT_FALSE(short_sample.ok());
  EXPECT_EQ(short_sample.status().field(), "control");
  EXPECT_FALSE(RequiredTrialsPerVariant(0.95, 0.1).ok());
  EXPECT_FALSE(EstimateProportion(1, 2, 1.5).ok());
}

}  // namespace
}  // namespace troupe::studio
