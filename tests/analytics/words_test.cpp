#include "analytics/words.h"

#include <gtest/gtest.h>

namespace troupe::analytics {
namespace {

TEST(WordsTest, LowercasesAndSplitsKeepingApostrophesInsideWords) {
  EXPECT_EQ(LowercaseWords("Don't GO there!  'quoted' 42x"),
            (std::vector<std::string>{"don't", "go", "there", "quoted", "42x"}));
  EXPECT_EQ(LowercaseWords("café—naïve “quoted” can’t"),
            (std::vector<std::string>{"café", "naïve", "quoted", "can't"}));
  EXPECT_TRUE(LowercaseWords(" ,.;! ").empty());
}

TEST(WordsTest, StemsEnglishWordsAndLeavesOthers) {
  EXPECT_EQ(EnglishStem("running"), "run");
  EXPECT_EQ(EnglishStem("connections"), "connect");
  EXPECT_EQ(EnglishStem("go"), "go");
  EXPECT_EQ(EnglishStem("cafés"), "cafés");
}

}  // namespace
}  // namespace troupe::analytics
