#include "analytics/sentiment_eval.h"

#include <gtest/gtest.h>

#include "base/sentiment_lexicon.h"
#include "support/temp_dir.h"

namespace troupe::analytics {
namespace {

std::filesystem::path LabelledSentencesDir() {
  return ::troupe::testing::SharedDir() / "testdata/datasets/sentiment/sentiment_labelled_sentences";
}

TEST(SentimentEvalTest, SplitsAtTheLastTabAndKeepsTheTextByteForByte) {
  Result<std::vector<LabelledText>> examples =
      ParseLabelledSentiment("a \"quoted\ttab\"  \t1\nplain\tNEG\r\n\nwith \xC2\x85 nel\tneutral\n", "mem.txt");
  ASSERT_TRUE(examples.ok()) << examples.status().ToString();
  ASSERT_EQ(examples->size(), 3u);
  EXPECT_EQ((*examples)[0].text, "a \"quoted\ttab\"  ");
  EXPECT_EQ((*examples)[0].label, SentimentClass::kPositive);
  EXPECT_EQ((*examples)[1].label, SentimentClass::kNegative);  // case and a stray \r are forgiven
  EXPECT_EQ((*examples)[2].text, "with \xC2\x85 nel");            // NEL does not end a line
  EXPECT_EQ((*examples)[2].label, SentimentClass::kNeutral);
}

TEST(SentimentEvalTest, MapsEveryDocumentedLabel) {
  for (const char* positive : {"1", "positive", "pos", " Positive "}) {
    EXPECT_EQ(ParseSentimentLabel(positive), SentimentClass::kPositive) << positive;
  }
  for (const char* negative : {"0", "negative", "neg"}) EXPECT_EQ(ParseSentimentLabel(negative), SentimentClass::kNegative);
  for (const char* neutral : {"neutral", "neu"}) EXPECT_EQ(ParseSentimentLabel(neutral), SentimentClass::kNeutral);
  for (const char* unknown : {"", "2", "-1", "good", "1.0"}) EXPECT_FALSE(ParseSentimentLabel(unknown)) << unknown;
}

TEST(SentimentEvalTest, BadLinesNameTheFileAndLine) {
  Result<std::vector<LabelledText>> no_tab = ParseLabelledSentiment("fine\t1\nno tab here\n", "reviews.txt");
  ASSERT_FALSE(no_tab.ok());
  EXPECT_EQ(no_tab.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_tab.status().message().find("reviews.txt:2: no tab"), std::string::npos) << no_tab.status().message();
  Result<std::vector<LabelledText>> unknown = ParseLabelledSentiment("fine\t1\n\nmeh\tmaybe\n", "reviews.txt");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("reviews.txt:3: unknown label 'maybe'"), std::string::npos)
      << unknown.status().message();
  Result<std::vector<LabelledText>> missing = ReadLabelledSentiment("/nonexistent/sentiment.txt");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST(SentimentEvalTest, ThresholdsGiveTwoClassesWithoutNeutralLabelsAndThreeWithThem) {
  EXPECT_EQ(ClassifySentiment(0.01, false), SentimentClass::kPositive);
  EXPECT_EQ(ClassifySentiment(0.0, false), SentimentClass::kNegative);  // no opinion is not praise
  EXPECT_EQ(ClassifySentiment(-0.3, false), SentimentClass::kNegative);
  EXPECT_EQ(ClassifySentiment(0.05, true), SentimentClass::kPositive);
  EXPECT_EQ(ClassifySentiment(0.04, true), SentimentClass::kNeutral);
  EXPECT_EQ(ClassifySentiment(-0.04, true), SentimentClass::kNeutral);
  EXPECT_EQ(ClassifySentiment(-0.05, true), SentimentClass::kNegative);
}

TEST(SentimentEvalTest, FiguresMatchAHandCountedConfusion) {
  using C = SentimentClass;
  // labelled:  P P P N N
  // predicted: P P N N P
  const SentimentReport report = SentimentFigures({C::kPositive, C::kPositive, C::kPositive, C::kNegative, C::kNegative},
                                                  {C::kPositive, C::kPositive, C::kNegative, C::kNegative, C::kPositive},
                                                  false);
  EXPECT_EQ(report.examples, 5u);
  EXPECT_DOUBLE_EQ(report.accuracy, 0.6);
  ASSERT_EQ(report.classes.size(), 2u);
  const SentimentClassFigures& negative = report.classes[0];
  const SentimentClassFigures& positive = report.classes[1];
  EXPECT_EQ(negative.label, C::kNegative);
  EXPECT_DOUBLE_EQ(negative.precision, 0.5);   // 1 of 2 predicted
  EXPECT_DOUBLE_EQ(negative.recall, 0.5);      // 1 of 2 labelled
  EXPECT_DOUBLE_EQ(positive.precision, 2.0 / 3);
  EXPECT_DOUBLE_EQ(positive.recall, 2.0 / 3);
  EXPECT_DOUBLE_EQ(report.macro_f1, (0.5 + 2.0 / 3) / 2);
  EXPECT_EQ(report.confusion[2][0], 1u);
}

TEST(SentimentEvalTest, ANeverPredictedClassHasZeroPrecisionNotADivisionByZero) {
  using C = SentimentClass;
  const SentimentReport report = SentimentFigures({C::kPositive, C::kNeutral}, {C::kPositive, C::kPositive}, true);
  ASSERT_EQ(report.classes.size(), 3u);
  EXPECT_EQ(report.classes[0].precision, 0.0);
  EXPECT_EQ(report.classes[1].recall, 0.0);
  EXPECT_DOUBLE_EQ(report.macro_f1, (0 + 0 + 2.0 / 3) / 3);
  EXPECT_EQ(SentimentFigures({}, {}, false).accuracy, 0.0);
}

// The three shared files: 1,000 rows each, half positive, and the lexicon well above chance
// (measured 0.77-0.82 per file; see docs/benchmarks.md).
TEST(SentimentEvalTest, TheLexiconOnTheSharedLabelledSentences) {
  for (const char* name : {"amazon_cells_labelled.txt", "imdb_labelled.txt", "yelp_labelled.txt"}) {
    Result<std::vector<LabelledText>> examples = ReadLabelledSentiment(LabelledSentencesDir() / name);
    ASSERT_TRUE(examples.ok()) << examples.status().ToString();
    ASSERT_EQ(examples->size(), 1000u) << name;
    const SentimentReport report = EvaluateSentiment(*examples, LexiconSentiment);
    EXPECT_FALSE(report.with_neutral);
    EXPECT_EQ(report.classes[0].support, 500u) << name;
    EXPECT_GT(report.accuracy, 0.70) << name;
    EXPECT_GT(report.macro_f1, 0.70) << name;
  }
}

}  // namespace
}  // namespace troupe::analytics
