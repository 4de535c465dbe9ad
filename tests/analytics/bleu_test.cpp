#include "analytics/bleu.h"

#include <gtest/gtest.h>

#include <cmath>

namespace troupe::analytics {
namespace {

TEST(BleuTest, IdenticalTextScoresOneHundred) {
  Result<BleuScore> score = SentenceBleu("The cat sat on the mat.", {"The cat sat on the mat."});
  ASSERT_TRUE(score.ok());
  EXPECT_DOUBLE_EQ(score->score, 100.0);
  EXPECT_DOUBLE_EQ(score->brevity_penalty, 1.0);
}

TEST(BleuTest, ClipsRepeatedWordsToTheBestReferencesCount) {
  // "the" six times: clipped to 2, the most any single reference holds.
  const BleuStatistics statistics = BleuSegmentStatistics(
      "the the the the the the", {"the cat is on the mat", "there is a cat on the mat"}, SentenceBleuOptions());
  EXPECT_EQ(statistics.matches[0], 2);
  EXPECT_EQ(statistics.totals[0], 6);
  EXPECT_EQ(statistics.reference_length, 6);  // 6 and 7 words: 6 is closer
}

TEST(BleuTest, TiesInReferenceLengthTakeTheShorter) {
  const BleuStatistics statistics = BleuSegmentStatistics("a b c d", {"a b c d e", "a b c"}, BleuOptions{});
  EXPECT_EQ(statistics.reference_length, 3);
}

TEST(BleuTest, BrevityPenaltyAndLowercase) {
  BleuOptions options = SentenceBleuOptions();
  Result<BleuScore> shorter = SentenceBleu("the cat", {"the cat sat down"}, options);
  ASSERT_TRUE(shorter.ok());
  EXPECT_DOUBLE_EQ(shorter->brevity_penalty, std::exp(1.0 - 4.0 / 2.0));
  Result<BleuScore> cased = SentenceBleu("THE CAT SAT DOWN", {"the cat sat down"}, options);
  options.lowercase = true;
  Result<BleuScore> lowered = SentenceBleu("THE CAT SAT DOWN", {"the cat sat down"}, options);
  EXPECT_DOUBLE_EQ(cased->score, 0.0);
  EXPECT_DOUBLE_EQ(lowered->score, 100.0);
}

TEST(BleuTest, CorpusStatisticsAreSummedBeforeTheMean) {
  Result<BleuScore> corpus = CorpusBleu({"a b c d", "e f"}, {{"a b c d", "e g"}}, BleuOptions{});
  ASSERT_TRUE(corpus.ok());
  EXPECT_EQ(corpus->statistics.matches, (std::vector<int64_t>{5, 3, 2, 1}));
  EXPECT_EQ(corpus->statistics.totals, (std::vector<int64_t>{6, 4, 2, 1}));
  EXPECT_NEAR(corpus->score, 100.0 * std::pow(5.0 / 6 * 3.0 / 4 * 1.0 * 1.0, 0.25), 1e-9);
}

TEST(BleuTest, RejectsUnusableInput) {
  EXPECT_EQ(CorpusBleu({"a"}, {}, BleuOptions{}).status().code(), StatusCode::kInvalidArgument);
  Result<BleuScore> short_stream = CorpusBleu({"a", "b"}, {{"a"}}, BleuOptions{});
  EXPECT_EQ(short_stream.status().field(), "references");
  BleuOptions options;
  options.max_order = 0;
  EXPECT_EQ(SentenceBleu("a", {"a"}, options).status().field(), "max_order");
  options.max_order = 4;
  options.smooth_value = -1;
  EXPECT_EQ(SentenceBleu("a", {"a"}, options).status().field(), "smooth_value");
}

TEST(BleuTest, NoReferencesScoreZero) {
  Result<BleuScore> score = SentenceBleu("a b", {});
  ASSERT_TRUE(score.ok());
  EXPECT_EQ(score->score, 0.0);
}

}  // namespace
}  // namespace troupe::analytics
