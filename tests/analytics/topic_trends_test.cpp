// Topics over time and their names: weeks start on Monday UTC; a planted shift (weather talk
// early, billing talk late) shows as one topic's weekly share falling and the other's rising; and
// the names the shared stories260K model writes under the schema are valid (structure only).
#include <gtest/gtest.h>

#include <cmath>

#include "analytics/lda_model.h"
#include "analytics/topic_names.h"
#include "analytics/topic_trends.h"
#include "llm/local_model.h"
#include "llm/local_provider.h"
#include "support/temp_dir.h"

namespace troupe::analytics {
namespace {

constexpr int64_t kTrendDayMs = 86'400'000;

TEST(TopicTrendsTest, WeeksStartOnMondayUtc) {
  // 1970-01-01 was a Thursday: its week began on Monday 1969-12-29.
  EXPECT_EQ(WeekStartMs(0), -3 * kTrendDayMs);
  // 2026-12-07 (a Monday) 15:30 UTC, and the Sunday after at 23:59.
  const int64_t monday = 1796601600000;
  EXPECT_EQ(WeekStartMs(monday + 15 * 3600000 + 1800000), monday);
  EXPECT_EQ(WeekStartMs(monday + 7 * kTrendDayMs - 60000), monday);
  EXPECT_EQ(WeekStartMs(monday + 7 * kTrendDayMs), monday + 7 * kTrendDayMs);
  EXPECT_EQ(WeekStartMs(-1), -3 * kTrendDayMs);
}

TEST(TopicTrendsTest, APlantedShiftShowsAsRisingAndFallingShares) {
  // Words 0-4 are one topic, 5-9 the other. Three weeks: all of the first kind, half and half, all
  // of the second kind.
  std::vector<std::vector<int32_t>> documents;
  std::vector<int64_t> created;
  const int64_t monday = 1796601600000;
  for (int week = 0; week < 3; ++week) {
    for (int i = 0; i < 40; ++i) {
      const bool second_kind = week == 2 || (week == 1 && i % 2 == 1);
      std::vector<int32_t> words;
      for (int w = 0; w < 6; ++w) words.push_back((second_kind ? 5 : 0) + (i + w) % 5);
      documents.push_back(words);
      created.push_back(monday + week * 7 * kTrendDayMs + i * 3600000);
    }
  }
  LdaOptions options;
  options.topics = 2;
  options.iterations = 200;
  Result<LdaModel> model = LdaModel::Train(documents, 10, options);
  ASSERT_TRUE(model.ok()) << model.status().message();
  const size_t early = model->TopWords(0, 1)[0] < 5 ? 0 : 1;
  const std::vector<TopicWeek> weeks = WeeklyTopicShares(*model, documents, created);
  ASSERT_EQ(weeks.size(), 3u);
  EXPECT_EQ(weeks[1].week_start_ms, monday + 7 * kTrendDayMs);
  EXPECT_EQ(weeks[1].messages, 40u);
  EXPECT_GT(weeks[0].shares[early], 0.9);
  EXPECT_NEAR(weeks[1].shares[early], 0.5, 0.1);
  EXPECT_LT(weeks[2].shares[early], 0.1);
  for (const TopicWeek& week : weeks) EXPECT_NEAR(week.shares[0] + week.shares[1], 1.0, 1e-9);
  const std::vector<double> slopes = TopicShareSlopes(weeks, 2);
  EXPECT_LT(slopes[early], -0.35);
  EXPECT_NEAR(slopes[early], -slopes[1 - early], 1e-9);
  EXPECT_EQ(TopicShareSlopes({weeks[0]}, 2), (std::vector<double>{0, 0}));
}

TEST(TopicNamesTest, TheLocalModelWritesSchemaValidNames) {
  Result<std::unique_ptr<llm::LocalModel>> loaded =
      llm::LocalModel::Load(troupe::testing::SharedDir() / "models/stories260K.gguf");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  Result<std::unique_ptr<llm::Provider>> provider =
      llm::MakeLocalProvider(std::shared_ptr<llm::LocalModel>(std::move(*loaded)));
  ASSERT_TRUE(provider.ok()) << provider.status().message();
  const std::vector<TopicName> names =
      NameTopics(**provider, {{{"bill", "charge", "refund"}, {"Why was I charged twice?", "I want a refund."}},
                              {{"weather", "rain"}, {"Will it rain tomorrow?"}}});
  ASSERT_EQ(names.size(), 2u);
  for (const TopicName& name : names) {
    EXPECT_TRUE(name.from_model) << name.problem;
    EXPECT_FALSE(name.name.empty());
    EXPECT_LE(name.name.size(), 40u * 4);  // 40 characters, up to 4 bytes each
  }
}

TEST(TopicNamesTest, AFailedCallFallsBackToTheTopWords) {
  std::atomic<bool> cancelled{true};
  Result<std::unique_ptr<llm::LocalModel>> loaded =
      llm::LocalModel::Load(troupe::testing::SharedDir() / "models/stories260K.gguf");
  ASSERT_TRUE(loaded.ok());
  Result<std::unique_ptr<llm::Provider>> provider =
      llm::MakeLocalProvider(std::shared_ptr<llm::LocalModel>(std::move(*loaded)));
  ASSERT_TRUE(provider.ok());
  const std::vector<TopicName> names =
      NameTopics(**provider, {{{"bill", "charge", "refund", "card"}, {}}}, &cancelled);
  ASSERT_EQ(names.size(), 1u);
  EXPECT_FALSE(names[0].from_model);
  EXPECT_EQ(names[0].name, "bill charge refund");
  EXPECT_EQ(names[0].problem, "cancelled");
}

}  // namespace
}  // namespace troupe::analytics
