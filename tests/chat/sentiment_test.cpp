#include "chat/sentiment.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "support/temp_dir.h"

namespace troupe::chat {
namespace {

TEST(SentimentTest, TonesPointTheRightWayAndStayInRange) {
  EXPECT_GT(EstimateSentiment("I love this, it is wonderful!"), 0.5);
  EXPECT_LT(EstimateSentiment("This is terrible and I hate it."), -0.5);
  EXPECT_EQ(EstimateSentiment("The train leaves at nine."), 0.0);
  EXPECT_EQ(EstimateSentiment(""), 0.0);
  const double strongest = EstimateSentiment("love love love love amazing amazing perfect best best!!!!");
  EXPECT_LE(strongest, 1.0);
  EXPECT_GT(strongest, 0.9);
  EXPECT_GE(EstimateSentiment("hate hate awful worst worst terrible"), -1.0);
}

TEST(SentimentTest, NegationBoostersEmphasisAndContrast) {
  EXPECT_LT(EstimateSentiment("I am not happy"), 0.0);
  EXPECT_LT(EstimateSentiment("I don\u2019t like it"), 0.0);      // a typographic apostrophe
  EXPECT_GT(EstimateSentiment("not bad at all"), 0.0);
  EXPECT_GT(EstimateSentiment("No, I love it"), 0.0);            // a comma ends the negation's reach
  EXPECT_GT(EstimateSentiment("I couldn't be happier"), 0.5);
  EXPECT_LT(EstimateSentiment("Don't waste your money"), 0.0);
  EXPECT_LT(EstimateSentiment("It stopped working"), 0.0);
  EXPECT_GT(EstimateSentiment("very good"), EstimateSentiment("good"));
  EXPECT_LT(EstimateSentiment("kind of good"), EstimateSentiment("good"));
  EXPECT_GT(EstimateSentiment("kind words"), 0.0);
  EXPECT_GT(EstimateSentiment("this is GOOD"), EstimateSentiment("this is good"));
  EXPECT_GT(EstimateSentiment("good!!!"), EstimateSentiment("good"));
  // What follows "but" weighs more.
  EXPECT_LT(EstimateSentiment("The screen is nice but the battery is awful"), 0.0);
  EXPECT_GT(EstimateSentiment("The start was slow but the ending is wonderful"), 0.0);
}

TEST(SentimentTest, EmoticonsAndEmojiCount) {
  EXPECT_GT(EstimateSentiment("see you tomorrow :)"), 0.3);
  EXPECT_LT(EstimateSentiment("see you tomorrow :("), -0.3);
  EXPECT_GT(EstimateSentiment("see you tomorrow \xF0\x9F\x98\x8A"), 0.3);
  EXPECT_LT(EstimateSentiment("I miss you \xF0\x9F\x98\xA2"), -0.3);
  EXPECT_LT(EstimateSentiment("</3"), 0.0);  // a broken heart is not a heart
  EXPECT_EQ(EstimateSentiment("the XDR format, a:b and f(x)"), 0.0);
}

double Mean(double sum, int count) { return count == 0 ? 0 : sum / count; }

// The labelled review sentences (Kotzias et al. 2015, 3000 sentences, half positive). Measured:
// an opinion on 2248 (75%), right on 90.4% of those; counting the rest as wrong, 67.8% of all;
// counting them as coin flips, 80.3%.
TEST(SentimentTest, AgreesWithTheLabelledReviewSentences) {
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
  EXPECT_GE(static_cast<double>(right) / decided, 0.88) << right << "/" << decided;
  EXPECT_GE(static_cast<double>(decided) / total, 0.72) << decided << "/" << total;
  EXPECT_GE(static_cast<double>(right) / total, 0.65) << right << "/" << total;
}

// Chat turns labelled by their own authors (Topical-Chat), a set no word of the lexicon was chosen
// from: turns marked Happy read clearly warmer than those marked Sad, Angry, Disgusted or Fearful.
// The labels are noisy (a "Sad" turn often states a sad fact calmly), so the check is on means and
// on the turns the estimate has an opinion on. Measured: mean 0.31 against -0.03; Happy turns read
// positive 90% of the time, the others 46%.
TEST(SentimentTest, SeparatesHappyFromUnhappyChatTurns) {
  std::ifstream in(::troupe::testing::SharedDir() / "testdata/datasets/dialogue/topical_chat/test_freq.json");
  ASSERT_TRUE(in);
  const nlohmann::json conversations = nlohmann::json::parse(in);
  double happy_sum = 0, unhappy_sum = 0;
  int happy = 0, unhappy = 0, happy_positive = 0, happy_decided = 0, unhappy_positive = 0, unhappy_decided = 0;
  for (const auto& [id, conversation] : conversations.items()) {
    for (const auto& turn : conversation.at("content")) {
      const std::string label = turn.at("sentiment");
      const double score = EstimateSentiment(turn.at("message").get<std::string>());
      if (label == "Happy") {
        happy_sum += score;
        ++happy;
        happy_decided += score != 0;
        happy_positive += score > 0;
      } else if (label == "Sad" || label == "Angry" || label == "Disgusted" || label == "Fearful") {
        unhappy_sum += score;
        ++unhappy;
        unhappy_decided += score != 0;
        unhappy_positive += score > 0;
      }
    }
  }
  ASSERT_EQ(happy, 1585);
  ASSERT_EQ(unhappy, 356);
  EXPECT_GE(Mean(happy_sum, happy) - Mean(unhappy_sum, unhappy), 0.25);
  EXPECT_GE(static_cast<double>(happy_positive) / happy_decided, 0.85);
  EXPECT_LE(static_cast<double>(unhappy_positive) / unhappy_decided, 0.55);
}

}  // namespace
}  // namespace troupe::chat
