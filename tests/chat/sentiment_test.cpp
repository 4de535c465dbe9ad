#include "chat/sentiment.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "support/temp_dir.h"

namespace troupe::chat {
namespace {

TEST(SentimentTest, TonesPointTheRightWayAndStayInRange) {
  EXPECT_GT(EstimateSentiment("I love this, it is wonderful!"), 0.5);
  EXPECT_LT(EstimateSentiment("This is terrible and I hate it."), -0.5);
  EXPECT_EQ(EstimateSentiment("The train leaves at nine."), 0.0);
  EXPECT_LT(EstimateSentiment("I am not happy"), 0.0);  // negation flips
  EXPECT_GT(EstimateSentiment("very good"), EstimateSentiment("good"));  // intensifier
  EXPECT_GT(EstimateSentiment("good!!!"), EstimateSentiment("good"));
  const double strongest = EstimateSentiment("love love love love amazing amazing perfect best best!!!!");
  EXPECT_LE(strongest, 1.0);
  EXPECT_GE(EstimateSentiment("hate hate awful worst worst terrible"), -1.0);
}

// The labelled review sentences (Kotzias et al. 2015): where the lexicon has an opinion it is
// right most of the time, and it has one for most sentences.
TEST(SentimentTest, AgreesWithTheLabelledSentences) {
  int decided = 0, right = 0, total = 0;
  for (const char* name : {"amazon_cells_labelled.txt", "imdb_labelled.txt", "yelp_labelled.txt"}) {
    std::ifstream in(::troupe::testing::SharedDir() / "testdata/datasets/sentiment/sentiment_labelled_sentences" / name);
    ASSERT_TRUE(in) << name;
    std::string line;
    while (std::getline(in, line)) {
      const size_t tab = line.rfind('\t');
      if (tab == std::string::npos) continue;
      const bool positive = line[tab + 1] == '1';
      const double score = EstimateSentiment(line.substr(0, tab));
      ++total;
      if (score == 0) continue;
      ++decided;
      right += (score > 0) == positive;
    }
  }
  ASSERT_EQ(total, 3000);
  EXPECT_GE(static_cast<double>(right) / decided, 0.85) << right << "/" << decided;
  EXPECT_GE(static_cast<double>(decided) / total, 0.65) << decided << "/" << total;
}

}  // namespace
}  // namespace troupe::chat
