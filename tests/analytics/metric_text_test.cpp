#include "analytics/metric_text.h"

#include <gtest/gtest.h>

namespace troupe::analytics {
namespace {

TEST(MetricTextTest, SplitsOnPythonsWhitespaceIncludingUnicodeSpaces) {
  EXPECT_EQ(SplitPythonWhitespace("  a\tb\u00a0c\u3000d\x1f"
                                  "e\u2009f  "),
            (std::vector<std::string_view>{"a", "b", "c", "d", "e", "f"}));
  // U+200B (zero-width space) is not whitespace to Python.
  EXPECT_EQ(SplitPythonWhitespace("a\u200bb").size(), 1u);
  EXPECT_TRUE(SplitPythonWhitespace(" \n ").empty());
}

TEST(MetricTextTest, RstripKeepsLeadingWhitespace) {
  EXPECT_EQ(RstripPythonWhitespace("  x y \u00a0\n"), "  x y");
  EXPECT_EQ(RstripPythonWhitespace("\n"), "");
}

TEST(MetricTextTest, LowercasesLikePython) {
  EXPECT_EQ(UnicodeLowercase("Producția ÎN ZAHĂR"), "producția în zahăr");
  EXPECT_EQ(UnicodeLowercase("İ"), "i\u0307");  // full mapping: one character becomes two
  EXPECT_EQ(UnicodeLowercase("ΟΔΟΣ"), "οδος");  // the final sigma
  EXPECT_EQ(UnicodeLowercase("\xff"
                             "A"),
            "\ufffd"
            "a");
}

TEST(MetricTextTest, CodePointsKeepMultibyteCharactersWholeAndBadBytesApart) {
  EXPECT_EQ(CodePoints("aé€😀"), (std::vector<std::string_view>{"a", "é", "€", "😀"}));
  EXPECT_EQ(CodePoints("\xe2\x82"
                       "x"),
            (std::vector<std::string_view>{"\xe2", "\x82", "x"}));
  size_t offset = 0;
  EXPECT_TRUE(IsValidUtf8("héllo"));
  EXPECT_FALSE(IsValidUtf8("ab\xc3(", &offset));
  EXPECT_EQ(offset, 2u);
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // a UTF-16 surrogate
}

}  // namespace
}  // namespace troupe::analytics
