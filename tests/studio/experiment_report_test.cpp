// An experiment's report from stored facts: each metric's outcome definition (settled conversations,
// closed return windows, ratings, handoffs), the estimates and tests against the known values of
// experiment_stats_test, the stop rule over several variants, and assignments per day.
#include "studio/experiment_report.h"

#include <gtest/gtest.h>

namespace troupe::studio {
namespace {

constexpr int64_t kDay = 24LL * 60 * 60 * 1000;
constexpr int64_t kStart = 1'790'000'000'000 - 1'790'000'000'000 % kDay;  // a UTC midnight

store::ExperimentRecord Experiment(std::string metric, std::string variants_json, int64_t planned = 0) {
  store::ExperimentRecord experiment;
  experiment.id = 7;
  experiment.character_id = 1;
  experiment.kind = "prompt";
  experiment.metric = std::move(metric);
  experiment.return_days = 7;
  experiment.planned_trials = planned;
  experiment.variants_json = std::move(variants_json);
  return experiment;
}

const char kTwoVariants[] = R"([{"name":"control"},{"name":"warm","system_prompt":"Be warm."}])";

store::ExperimentObservation Seen(int variant, int64_t created_at) {
  store::ExperimentObservation seen;
  static int64_t next_id = 1;
  seen.conversation_id = next_id++;
  seen.variant = variant;
  seen.user_id = seen.conversation_id;
  seen.created_at = created_at;
  seen.last_activity_at = created_at;
  seen.metadata_json = "{}";
  return seen;
}

TEST(ExperimentReportTest, ReturnIsKnownOnceItsWindowClosedAndMatchesTheZTest) {
  const int64_t now = kStart + 30 * kDay;
  std::vector<store::ExperimentObservation> observations;
  // 1,000 conversations per variant, 120 and 150 of whose users came back within the week.
  for (int variant = 0; variant < 2; ++variant) {
    const int returned = variant == 0 ? 120 : 150;
    for (int i = 0; i < 1000; ++i) {
      store::ExperimentObservation seen = Seen(variant, kStart);
      if (i < returned) seen.next_start = kStart + 3 * kDay;
      else if (i % 2 == 0) seen.next_start = kStart + 8 * kDay;  // came back, but after the window
      observations.push_back(seen);
    }
  }
  // Still inside its window: pending, not a trial.
  store::ExperimentObservation recent = Seen(1, now - kDay);
  observations.push_back(recent);

  Result<ExperimentReport> report = BuildExperimentReport(Experiment("return", kTwoVariants), observations, now);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->proportion);
  ASSERT_EQ(report->variants.size(), 2u);
  EXPECT_EQ(report->variants[0].assigned, 1000);
  EXPECT_EQ(report->variants[1].assigned, 1001);
  EXPECT_EQ(report->variants[1].measured, 1000);
  EXPECT_EQ(report->variants[1].pending, 1);
  ASSERT_TRUE(report->variants[0].rate.has_value());
  EXPECT_DOUBLE_EQ(report->variants[0].rate->rate, 0.12);
  ASSERT_TRUE(report->variants[1].against_control.has_value());
  EXPECT_NEAR(report->variants[1].against_control->statistic, 1.963050, 1e-6);
  EXPECT_NEAR(report->variants[1].against_control->p_value, 0.049640, 1e-6);
  EXPECT_FALSE(report->variants[0].against_control.has_value());
  EXPECT_FALSE(report->variants[1].decision.has_value());  // no trials planned: no stop rule
  EXPECT_NE(report->summary.find("No trials were planned"), std::string::npos);
}

TEST(ExperimentReportTest, LengthCountsSettledConversationsAndMatchesMannWhitney) {
  const int64_t now = kStart + kDay;
  std::vector<store::ExperimentObservation> observations;
  for (double length : {1, 2, 3, 4, 5}) {
    store::ExperimentObservation seen = Seen(0, kStart);
    seen.user_messages = static_cast<int64_t>(length);
    observations.push_back(seen);
  }
  for (double length : {3, 4, 5, 6, 7, 8}) {
    store::ExperimentObservation seen = Seen(1, kStart);
    seen.user_messages = static_cast<int64_t>(length);
    observations.push_back(seen);
  }
  store::ExperimentObservation talking = Seen(1, now - 60'000);  // active a minute ago: not settled
  talking.user_messages = 50;
  observations.push_back(talking);
  store::ExperimentObservation closed = Seen(0, now - 60'000);  // closed just now: settled
  closed.status = store::ConversationStatus::kClosed;
  closed.user_messages = 3;
  observations.push_back(closed);

  Result<ExperimentReport> report = BuildExperimentReport(Experiment("length", kTwoVariants), observations, now);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_FALSE(report->proportion);
  EXPECT_EQ(report->variants[0].measured, 6);
  EXPECT_EQ(report->variants[1].measured, 6);
  EXPECT_EQ(report->variants[1].pending, 1);
  ASSERT_TRUE(report->variants[1].mean.has_value());
  EXPECT_DOUBLE_EQ(report->variants[1].mean->mean, 5.5);
  ASSERT_TRUE(report->variants[0].mean.has_value());
  EXPECT_DOUBLE_EQ(report->variants[0].mean->mean, 3.0);
  // The same as CompareRanks on the measured values: the report adds nothing of its own.
  const std::vector<double> control{1, 2, 3, 4, 5, 3};
  const std::vector<double> treatment{3, 4, 5, 6, 7, 8};
  Result<Comparison> expected = CompareRanks(control, treatment);
  ASSERT_TRUE(expected.ok());
  ASSERT_TRUE(report->variants[1].against_control.has_value());
  EXPECT_DOUBLE_EQ(report->variants[1].against_control->p_value, expected->p_value);
  EXPECT_DOUBLE_EQ(report->variants[1].against_control->u, expected->u);
}

TEST(ExperimentReportTest, RatingAndResolutionReadTheirOwnFacts) {
  const int64_t now = kStart + 2 * kDay;
  std::vector<store::ExperimentObservation> observations;
  store::ExperimentObservation rated = Seen(0, kStart);
  rated.csat = 4;
  observations.push_back(rated);
  store::ExperimentObservation also_rated = Seen(0, kStart);
  also_rated.csat = 5;
  observations.push_back(also_rated);
  store::ExperimentObservation unrated = Seen(0, kStart);
  observations.push_back(unrated);
  store::ExperimentObservation handed = Seen(1, kStart);
  handed.metadata_json = R"({"handoff":{"reason":"asked for a person"}})";
  handed.csat = 2;
  observations.push_back(handed);
  store::ExperimentObservation agent = Seen(1, kStart);
  agent.agent_messages = 1;
  observations.push_back(agent);
  store::ExperimentObservation solved = Seen(1, kStart);
  observations.push_back(solved);

  Result<ExperimentReport> rating = BuildExperimentReport(Experiment("rating", kTwoVariants), observations, now);
  ASSERT_TRUE(rating.ok());
  EXPECT_EQ(rating->variants[0].measured, 2);
  EXPECT_EQ(rating->variants[0].pending, 1);
  ASSERT_TRUE(rating->variants[0].mean.has_value());
  EXPECT_DOUBLE_EQ(rating->variants[0].mean->mean, 4.5);
  EXPECT_EQ(rating->variants[1].measured, 1);
  EXPECT_FALSE(rating->variants[1].mean.has_value());  // one value has no interval

  Result<ExperimentReport> resolution = BuildExperimentReport(Experiment("resolution", kTwoVariants), observations, now);
  ASSERT_TRUE(resolution.ok());
  EXPECT_EQ(resolution->variants[1].measured, 3);
  ASSERT_TRUE(resolution->variants[1].rate.has_value());
  EXPECT_EQ(resolution->variants[1].rate->successes, 1);  // only the conversation no person joined
  EXPECT_EQ(resolution->variants[0].rate->successes, 3);
}

TEST(ExperimentReportTest, TheStopRuleWaitsForThePlannedTrialsOfEveryVariant) {
  const char three[] = R"([{"name":"control"},{"name":"b","system_prompt":"B."},{"name":"c","system_prompt":"C."}])";
  const int64_t now = kStart + 2 * kDay;
  std::vector<store::ExperimentObservation> observations;
  auto add = [&](int variant, int count, int resolved, int64_t day) {
    for (int i = 0; i < count; ++i) {
      store::ExperimentObservation seen = Seen(variant, kStart + day * kDay);
      if (i >= resolved) seen.agent_messages = 1;
      observations.push_back(seen);
    }
  };
  add(0, 100, 50, 0);
  add(1, 100, 80, 0);
  add(2, 40, 20, 1);  // short of the 100 planned

  Result<ExperimentReport> report = BuildExperimentReport(Experiment("resolution", three, 100), observations, now);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->variants[1].decision, StopDecision::kSignificant);
  EXPECT_EQ(report->variants[2].decision, StopDecision::kContinue);
  EXPECT_NE(report->summary.find("Keep running"), std::string::npos);
  ASSERT_EQ(report->days.size(), 2u);
  EXPECT_EQ(report->days[0].day_start_ms, kStart);
  EXPECT_EQ(report->days[0].counts, (std::vector<int64_t>{100, 100, 0}));
  EXPECT_EQ(report->days[1].counts, (std::vector<int64_t>{0, 0, 40}));

  add(2, 60, 30, 1);
  report = BuildExperimentReport(Experiment("resolution", three, 100), observations, now);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->variants[2].decision, StopDecision::kInconclusive);
  EXPECT_NE(report->summary.find("differs from the control: b (higher)"), std::string::npos) << report->summary;

  const nlohmann::ordered_json json = ExperimentReportJson(*report);
  EXPECT_EQ(json["variants"][1]["decision"], "significant");
  EXPECT_EQ(json["variants"][1]["against_control"]["test"], "two-proportion z");
  EXPECT_TRUE(json["variants"][0]["against_control"].is_null());
  EXPECT_EQ(json["days"].size(), 2u);
}

TEST(ExperimentReportTest, AnUnknownMetricIsRefused) {
  Result<ExperimentReport> report = BuildExperimentReport(Experiment("joy", kTwoVariants), {}, kStart);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().field(), "metric");
}

}  // namespace
}  // namespace troupe::studio
