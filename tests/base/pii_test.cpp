// Personal data found and redacted in free text, with the checksums that keep numbers that are not
// cards or accounts (order numbers, dates, amounts) untouched.
#include "base/pii.h"

#include <gtest/gtest.h>

namespace troupe {
namespace {

TEST(PiiTest, ChecksumsOfCardsAndIbans) {
  EXPECT_TRUE(LuhnValid("4111111111111111"));
  EXPECT_TRUE(LuhnValid("79927398713"));
  EXPECT_FALSE(LuhnValid("4111111111111112"));
  EXPECT_FALSE(LuhnValid("41111x1111111111"));
  EXPECT_TRUE(IbanValid("GB82WEST12345698765432"));
  EXPECT_TRUE(IbanValid("de89370400440532013000"));
  EXPECT_FALSE(IbanValid("GB82WEST12345698765433"));
  EXPECT_FALSE(IbanValid("GB82"));
}

TEST(PiiTest, RedactsEachKind) {
  EXPECT_EQ(RedactPii("write to jane.doe+bills@example.co.uk, thanks"), "write to [email], thanks");
  EXPECT_EQ(RedactPii("my card is 4111 1111 1111 1111."), "my card is [card].");
  EXPECT_EQ(RedactPii("card 4111-1111-1111-1111 expires"), "card [card] expires");
  EXPECT_EQ(RedactPii("IBAN GB82 WEST 1234 5698 7654 32 please"), "IBAN [iban] please");
  EXPECT_EQ(RedactPii("DE89370400440532013000"), "[iban]");
  EXPECT_EQ(RedactPii("call +49 30 1234567 or (555) 123-4567"), "call [phone] or [phone]");
  EXPECT_EQ(RedactPii("my number is 030 1234567."), "my number is [phone].");
  EXPECT_EQ(RedactPii("ring 555-123-4567 today"), "ring [phone] today");
}

TEST(PiiTest, LeavesNumbersThatAreNotPersonalData) {
  for (const char* text : {"order 4111111111111112 shipped", "on 2024-01-05 at 10.30", "it costs 1 000 000 EUR",
                           "ticket 123456789", "version 1.2.3", "pay 12.50", "the year 1999", "user@localhost",
                           "GB82WEST12345698765433", "an @ sign", "room 101"}) {
    EXPECT_EQ(RedactPii(text), text) << text;
  }
}

TEST(PiiTest, FindsSpansInOrderWithoutOverlap) {
  const std::string text = "a@b.io 4111111111111111 +44 20 7946 0958 GB82WEST12345698765432";
  const std::vector<PiiSpan> spans = FindPii(text);
  ASSERT_EQ(spans.size(), 4u);
  EXPECT_EQ(spans[0].kind, PiiKind::kEmail);
  EXPECT_EQ(spans[1].kind, PiiKind::kCard);
  EXPECT_EQ(spans[2].kind, PiiKind::kPhone);
  EXPECT_EQ(spans[3].kind, PiiKind::kIban);
  for (size_t i = 1; i < spans.size(); ++i) EXPECT_LE(spans[i - 1].end, spans[i].begin);
  EXPECT_EQ(text.substr(spans[2].begin, spans[2].end - spans[2].begin), "+44 20 7946 0958");
  // Redacting twice changes nothing more.
  EXPECT_EQ(RedactPii(RedactPii(text)), RedactPii(text));
}

}  // namespace
}  // namespace troupe
