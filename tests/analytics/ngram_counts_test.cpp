#include "analytics/ngram_counts.h"

#include <gtest/gtest.h>

namespace troupe::analytics {
namespace {

TEST(NgramCountsTest, CountsRepeatsAndJoinsWithTheSeparator) {
  const std::vector<std::string_view> words = {"a", "b", "a", "b", "a"};
  const NgramCounts bigrams = CountNgrams(words, 2, " ");
  EXPECT_EQ(bigrams.size(), 2u);
  EXPECT_EQ(bigrams.at("a b"), 2);
  EXPECT_EQ(bigrams.at("b a"), 2);
  EXPECT_EQ(TotalNgrams(bigrams), 4);
  EXPECT_TRUE(CountNgrams(words, 0, " ").empty());
  EXPECT_TRUE(CountNgrams(words, 6, " ").empty());
  EXPECT_EQ(CountNgrams(words, 5, "").count("ababa"), 1u);
}

TEST(NgramCountsTest, OverlapIsClippedToTheSmallerCount) {
  const NgramCounts hypothesis = {{"the", 3}, {"cat", 1}};
  const NgramCounts reference = {{"the", 2}, {"dog", 1}};
  EXPECT_EQ(ClippedOverlap(hypothesis, reference), 2);
  EXPECT_EQ(ClippedOverlap(reference, hypothesis), 2);
  EXPECT_EQ(ClippedOverlap(hypothesis, {}), 0);
}

}  // namespace
}  // namespace troupe::analytics
