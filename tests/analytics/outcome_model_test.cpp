// The yes/no outcome tools: the report's figures on cases worked by hand, and boosted trees that
// learn a planted rule, give the same model for the same seed and survive a round trip.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "analytics/binary_report.h"
#include "analytics/boosted_classifier.h"

namespace troupe::analytics {
namespace {

TEST(BinaryReportTest, FiguresOfAHandWorkedCase) {
  // Positives at 0.9, 0.4 and 0.6; negatives at 0.2, 0.6 and 0.1. Of 9 positive-negative pairs the
  // positive ranks higher in 7, ties once (0.6 and 0.6): AUC (7 + 0.5) / 9.
  const std::vector<double> predicted = {0.9, 0.4, 0.6, 0.2, 0.6, 0.1};
  const std::vector<bool> actual = {true, true, true, false, false, false};
  const BinaryReport report = EvaluateBinary(predicted, actual);
  EXPECT_EQ(report.examples, 6u);
  EXPECT_EQ(report.positives, 3u);
  EXPECT_NEAR(report.auc, 7.5 / 9, 1e-12);
  // At 0.5: yes for 0.9, 0.6 (positive) and 0.6 (negative).
  EXPECT_NEAR(report.precision, 2.0 / 3, 1e-12);
  EXPECT_NEAR(report.recall, 2.0 / 3, 1e-12);
  EXPECT_NEAR(report.f1, 2.0 / 3, 1e-12);
  EXPECT_NEAR(report.accuracy, 4.0 / 6, 1e-12);
  const double brier = (0.01 + 0.36 + 0.16 + 0.04 + 0.36 + 0.01) / 6;
  EXPECT_NEAR(report.brier, brier, 1e-12);
  // Bins of 0.1: 0.1, 0.2, 0.4, 0.6 (two), 0.9.
  ASSERT_EQ(report.calibration.size(), 5u);
  EXPECT_EQ(report.calibration[3].count, 2u);
  EXPECT_NEAR(report.calibration[3].mean_predicted, 0.6, 1e-12);
  EXPECT_NEAR(report.calibration[3].observed_rate, 0.5, 1e-12);
}

TEST(BinaryReportTest, OneClassLeavesAucUndefinedAtOneHalf) {
  const BinaryReport report = EvaluateBinary({0.2, 0.9}, {true, true});
  EXPECT_EQ(report.auc, 0.5);
  EXPECT_EQ(report.recall, 0.5);
  EXPECT_THROW(EvaluateBinary({0.2}, {true, false}), std::invalid_argument);
}

// Outcome = x0 > 0.5 and x1 < 0.3, with a noise feature; held-out examples from the same rule.
void PlantedRule(size_t count, uint32_t seed, std::vector<std::vector<float>>& rows, std::vector<bool>& labels) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<float> unit(0, 1);
  for (size_t i = 0; i < count; ++i) {
    const float a = unit(random), b = unit(random), noise = unit(random);
    rows.push_back({a, b, noise});
    labels.push_back(a > 0.5f && b < 0.3f);
  }
}

TEST(BoostedClassifierTest, LearnsAPlantedRuleAndRanksItsFeaturesFirst) {
  std::vector<std::vector<float>> train, test;
  std::vector<bool> train_labels, test_labels;
  PlantedRule(600, 1, train, train_labels);
  PlantedRule(300, 2, test, test_labels);
  Result<BoostedClassifier> model = BoostedClassifier::Train(train, train_labels, {});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  Result<std::vector<double>> predicted = model->Predict(test);
  ASSERT_TRUE(predicted.ok());
  const BinaryReport report = EvaluateBinary(*predicted, test_labels);
  EXPECT_GT(report.auc, 0.97);
  EXPECT_GT(report.f1, 0.85);
  Result<std::vector<double>> gain = model->FeatureGain();
  ASSERT_TRUE(gain.ok());
  ASSERT_EQ(gain->size(), 3u);
  EXPECT_GT((*gain)[0], 5 * (*gain)[2]);
  EXPECT_GT((*gain)[1], 5 * (*gain)[2]);
}

TEST(BoostedClassifierTest, SameSeedSameModelAndARoundTripPredictsTheSame) {
  std::vector<std::vector<float>> rows;
  std::vector<bool> labels;
  PlantedRule(200, 3, rows, labels);
  Result<BoostedClassifier> first = BoostedClassifier::Train(rows, labels, {});
  Result<BoostedClassifier> second = BoostedClassifier::Train(rows, labels, {});
  ASSERT_TRUE(first.ok() && second.ok());
  Result<std::string> bytes = first->Serialize();
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, *second->Serialize());
  Result<BoostedClassifier> loaded = BoostedClassifier::Deserialize(*bytes, 3);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(*loaded->Predict(rows), *first->Predict(rows));
}

TEST(BoostedClassifierTest, BadInputIsRefusedWithTheReason) {
  Result<BoostedClassifier> one_class = BoostedClassifier::Train({{1}, {2}}, {true, true}, {});
  ASSERT_FALSE(one_class.ok());
  EXPECT_NE(one_class.status().message().find("same outcome"), std::string::npos);
  Result<BoostedClassifier> ragged = BoostedClassifier::Train({{1, 2}, {2}}, {true, false}, {});
  ASSERT_FALSE(ragged.ok());
  EXPECT_NE(ragged.status().message().find("example 1 has 1 features"), std::string::npos);
  EXPECT_FALSE(BoostedClassifier::Deserialize("not a model", 1).ok());
}

}  // namespace
}  // namespace troupe::analytics
