#include "analytics/bleu_tokenizer.h"

#include <gtest/gtest.h>

namespace troupe::analytics {
namespace {

std::string Tokenized13a(std::string_view line) { return TokenizeForBleu(line, BleuTokenizer::k13a); }

TEST(BleuTokenizerTest, ThirteenASeparatesPunctuationButNotInsideNumbers) {
  EXPECT_EQ(Tokenized13a("Hello, world! It's 3.14 or 1,000."), "Hello , world ! It's 3.14 or 1,000 .");
  EXPECT_EQ(Tokenized13a("(a) [b] {c} \"d\" x/y a;b a:b"), "( a ) [ b ] { c } \" d \" x / y a ; b a : b");
  // A dash splits off a digit before it only; a word's hyphen stays.
  EXPECT_EQ(Tokenized13a("well-known 1990-2000"), "well-known 1990 - 2000");
  EXPECT_EQ(Tokenized13a("end.\u00e9"), "end . \u00e9");
}

TEST(BleuTokenizerTest, ThirteenAUnescapesEntitiesAndDropsSkipped) {
  EXPECT_EQ(Tokenized13a("a &amp; b &lt;c&gt; &quot;q&quot;"), "a & b < c > \" q \"");
  EXPECT_EQ(Tokenized13a("&amp;lt;"), "<");  // mteval's order: &amp; first, then &lt;
  EXPECT_EQ(Tokenized13a("x <skipped> y"), "x y");
  EXPECT_EQ(Tokenized13a("hyphen-\nated line\nbreak"), "hyphenated line break");
}

TEST(BleuTokenizerTest, IntlSplitsUnicodePunctuationAndSymbols) {
  EXPECT_EQ(TokenizeForBleu("«Bonjour», dit-il… 3,5 € 1.000", BleuTokenizer::kIntl),
            "« Bonjour » , dit - il … 3,5 € 1.000");
  // mteval-v14's quirk: a number's final period stays on it.
  EXPECT_EQ(TokenizeForBleu("in 1990.", BleuTokenizer::kIntl), "in 1990.");
}

TEST(BleuTokenizerTest, CharAndNoneTokenizers) {
  EXPECT_EQ(TokenizeForBleu("ab c€", BleuTokenizer::kChar), "a b c €");
  EXPECT_EQ(TokenizeForBleu("  as is.  ", BleuTokenizer::kNone), "  as is.  ");
}

TEST(BleuTokenizerTest, NamesRoundTrip) {
  for (BleuTokenizer tokenizer :
       {BleuTokenizer::k13a, BleuTokenizer::kIntl, BleuTokenizer::kChar, BleuTokenizer::kNone}) {
    EXPECT_EQ(ParseBleuTokenizer(BleuTokenizerName(tokenizer)), tokenizer);
  }
  EXPECT_FALSE(ParseBleuTokenizer("moses").has_value());
}

}  // namespace
}  // namespace troupe::analytics
