#include "analytics/rouge.h"

#include <gtest/gtest.h>

#include "analytics/rouge_tokens.h"

namespace troupe::analytics {
namespace {

std::vector<std::string> RougeTestTokens(std::initializer_list<int> numbers) {
  std::vector<std::string> tokens;
  for (int number : numbers) tokens.push_back(std::to_string(number));
  return tokens;
}

TEST(RougeTest, TokensAreLowercaseAlphanumericRuns) {
  EXPECT_EQ(RougeTokens("Hello, WORLD! it's 3.14 café", false),
            (std::vector<std::string>{"hello", "world", "it", "s", "3", "14", "caf"}));
  // Python lowercases U+212A KELVIN SIGN to an ASCII k, which then counts.
  EXPECT_EQ(RougeTokens("\u212Aelvin", false), (std::vector<std::string>{"kelvin"}));
  EXPECT_EQ(RougeTokens("running runs ran", true), (std::vector<std::string>{"run", "run", "ran"}));
  // Tokens of 3 characters or fewer are not stemmed.
  EXPECT_EQ(RougeTokens("was", true), (std::vector<std::string>{"was"}));
}

// Where Snowball's original Porter and NLTK's extended one (rouge-score's) part: pinned so a
// change of stemmer shows here and in docs/analytics.md.
TEST(RougeTest, PorterStemsAsTheOriginalAlgorithm) {
  EXPECT_EQ(PorterStem("connections"), "connect");
  EXPECT_EQ(PorterStem("generalization"), "gener");
  EXPECT_EQ(PorterStem("enjoy"), "enjoi");        // NLTK: enjoy
  EXPECT_EQ(PorterStem("skies"), "ski");          // NLTK: sky
  EXPECT_EQ(PorterStem("dies"), "di");            // NLTK: die
  EXPECT_EQ(PorterStem("news"), "new");           // NLTK: news
  EXPECT_EQ(PorterStem("possibly"), "possibli");  // NLTK: possibl
  EXPECT_EQ(PorterStem("Caps"), "Caps");          // not a lowercase ASCII word: as it is
}

TEST(RougeTest, LcsFactsFromTheRougePaper) {
  const auto reference = RougeTestTokens({1, 2, 3, 4, 5});
  EXPECT_EQ(LcsLength(reference, RougeTestTokens({2, 5, 3, 4})), 3u);
  EXPECT_EQ(LcsReferencePositions(reference, RougeTestTokens({2, 5, 3, 4})), (std::vector<size_t>{1, 2, 3}));
  EXPECT_EQ(LcsLength(reference, RougeTestTokens({8, 9})), 0u);
  // Lin 2004, section 3.2: union LCS [1 2 3 5] over two candidate sentences.
  const RougeScore summary =
      RougeLsum({reference}, {RougeTestTokens({1, 2, 6, 7, 8}), RougeTestTokens({1, 3, 8, 9, 5})});
  EXPECT_DOUBLE_EQ(summary.recall, 0.8);
  EXPECT_DOUBLE_EQ(summary.precision, 0.4);
}

TEST(RougeTest, MultipleTargetsKeepTheBestFPerType) {
  const RougeScores scores = ScoreRougeMulti({"a completely different text", "the cat sat"}, "the cat sat", false);
  EXPECT_DOUBLE_EQ(scores.rouge1.fmeasure, 1.0);
  EXPECT_DOUBLE_EQ(scores.rougeL.fmeasure, 1.0);
  const RougeScores none = ScoreRougeMulti({}, "the cat", false);
  EXPECT_EQ(none.rouge1.fmeasure, 0.0);
}

TEST(RougeTest, EmptyOrWordlessTextScoresZero) {
  const RougeScores scores = ScoreRouge("!!!", "", true);
  EXPECT_EQ(scores.rouge1.fmeasure, 0.0);
  EXPECT_EQ(scores.rougeL.fmeasure, 0.0);
  EXPECT_EQ(scores.rougeLsum.fmeasure, 0.0);
}

}  // namespace
}  // namespace troupe::analytics
