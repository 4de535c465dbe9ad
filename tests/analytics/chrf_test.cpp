#include "analytics/chrf.h"

#include <gtest/gtest.h>

namespace troupe::analytics {
namespace {

TEST(ChrfTest, IdenticalTextScoresOneHundredAndWhitespaceIsIgnored) {
  EXPECT_DOUBLE_EQ(SentenceChrf("a cat sat", {"a cat sat"})->score, 100.0);
  EXPECT_DOUBLE_EQ(SentenceChrf("a  cat\tsat", {"acatsat"})->score, 100.0);
  ChrfOptions keep;
  keep.keep_whitespace = true;
  EXPECT_LT(SentenceChrf("a  cat sat", {"acatsat"}, keep)->score, 100.0);
}

TEST(ChrfTest, CountsCharactersNotBytes) {
  // "é" is one character: the unigram, bigram and trigram orders all match.
  const ChrfStatistics statistics = ChrfSegmentStatistics("aéb", {"aéb"}, ChrfOptions{});
  EXPECT_EQ(statistics.hypothesis[0], 3);
  EXPECT_EQ(statistics.matches[2], 1);
  EXPECT_EQ(statistics.hypothesis[3], 0);
}

TEST(ChrfTest, ChrfPlusPlusAddsWordNgramsWithPunctuationSplitOff) {
  ChrfOptions options;
  options.word_order = 2;
  const ChrfStatistics statistics = ChrfSegmentStatistics("Hello, (world)", {"Hello , (world )"}, options);
  ASSERT_EQ(statistics.hypothesis.size(), 8u);
  // One punctuation character comes off a word's end, or else off its start: the hypothesis has
  // "Hello" "," "(world" ")", the reference "Hello" "," "(" "world" ")" (sacreBLEU's rule).
  EXPECT_EQ(statistics.hypothesis[6], 4);
  EXPECT_EQ(statistics.reference[6], 5);
  EXPECT_EQ(statistics.matches[6], 3);
  EXPECT_EQ(statistics.matches[7], 1);  // only "Hello ,"
}

TEST(ChrfTest, TheBestReferenceIsUsed) {
  const double alone = SentenceChrf("the cat", {"a dog"})->score;
  const double with_better = SentenceChrf("the cat", {"a dog", "the cat"})->score;
  EXPECT_LT(alone, 100.0);
  EXPECT_DOUBLE_EQ(with_better, 100.0);
}

TEST(ChrfTest, RejectsUnusableOptionsAndStreams) {
  ChrfOptions options;
  options.beta = 0;
  EXPECT_EQ(SentenceChrf("a", {"a"}, options).status().field(), "beta");
  options = {};
  options.char_order = 0;
  EXPECT_EQ(SentenceChrf("a", {"a"}, options).status().field(), "char_order");
  EXPECT_EQ(CorpusChrf({"a", "b"}, {{"a"}}).status().field(), "references");
}

}  // namespace
}  // namespace troupe::analytics
