// Postal addresses recognised by their shape, in the languages Troupe's operators write in, and
// the everyday phrases with numbers and street-like words that must stay as they are.
#include "base/postal_address.h"

#include <gtest/gtest.h>

#include <string>

#include "base/pii.h"

namespace troupe {
namespace {

// The one address found in `text`, as text; "" when none or several.
std::string OnlyAddress(const std::string& text) {
  const auto found = FindPostalAddresses(text);
  if (found.size() != 1) return found.empty() ? "" : "(" + std::to_string(found.size()) + " matches)";
  return text.substr(found[0].first, found[0].second - found[0].first);
}

TEST(PostalAddressTest, FindsStreetsWrittenNumberFirst) {
  EXPECT_EQ(OnlyAddress("I live at 12 Main Street now"), "12 Main Street");
  EXPECT_EQ(OnlyAddress("send it to 221B Baker St. please"), "221B Baker St.");
  EXPECT_EQ(OnlyAddress("at 1600 Pennsylvania Avenue NW today"), "1600 Pennsylvania Avenue NW");
  EXPECT_EQ(OnlyAddress("office: 350 5th Avenue"), "350 5th Avenue");
  EXPECT_EQ(OnlyAddress("my flat is at 12 main street"), "12 main street");
  EXPECT_EQ(OnlyAddress("deliver to 12 rue de la Paix"), "12 rue de la Paix");
  EXPECT_EQ(OnlyAddress("8, avenue des Champs-\xc3\x89lys\xc3\xa9" "es et voil\xc3\xa0"),
            "8, avenue des Champs-\xc3\x89lys\xc3\xa9" "es");
}

TEST(PostalAddressTest, FindsStreetsWrittenNameFirst) {
  EXPECT_EQ(OnlyAddress("Ich wohne in der Hauptstra\xc3\x9f" "e 5."), "Hauptstra\xc3\x9f" "e 5");
  EXPECT_EQ(OnlyAddress("Berliner Stra\xc3\x9f" "e 12a, bitte"), "Berliner Stra\xc3\x9f" "e 12a");
  EXPECT_EQ(OnlyAddress("Lindenstr. 7 ist richtig"), "Lindenstr. 7");
  EXPECT_EQ(OnlyAddress("het is Kalverstraat 92"), "Kalverstraat 92");
  EXPECT_EQ(OnlyAddress("vivo en Calle Mayor 5"), "Calle Mayor 5");
  EXPECT_EQ(OnlyAddress("abito in Via Roma 10"), "Via Roma 10");
}

TEST(PostalAddressTest, TakesThePostcodeAndTownThatFollow) {
  EXPECT_EQ(OnlyAddress("Hauptstra\xc3\x9f" "e 5, 10115 Berlin."), "Hauptstra\xc3\x9f" "e 5, 10115 Berlin");
  EXPECT_EQ(OnlyAddress("Kalverstraat 92, 1012 PH Amsterdam"), "Kalverstraat 92, 1012 PH Amsterdam");
  EXPECT_EQ(OnlyAddress("742 Evergreen Terrace, Springfield, IL 62704-1234 is home"),
            "742 Evergreen Terrace, Springfield, IL 62704-1234");
  EXPECT_EQ(OnlyAddress("1600 Pennsylvania Avenue NW, Washington, DC 20500"),
            "1600 Pennsylvania Avenue NW, Washington, DC 20500");
  EXPECT_EQ(OnlyAddress("10 Downing Street, London SW1A 2AA"), "10 Downing Street, London SW1A 2AA");
  // A town without a postcode is not taken: "Street Today" could be the start of a sentence.
  EXPECT_EQ(OnlyAddress("12 Main Street Springfield"), "12 Main Street");
}

TEST(PostalAddressTest, FindsBoxesAndPostcodesOnTheirOwn) {
  EXPECT_EQ(OnlyAddress("write to P.O. Box 123"), "P.O. Box 123");
  EXPECT_EQ(OnlyAddress("PO Box 77, thanks"), "PO Box 77");
  EXPECT_EQ(OnlyAddress("Postfach 1234"), "Postfach 1234");
  EXPECT_EQ(OnlyAddress("postcode EC2V 7HH ok"), "EC2V 7HH");
}

TEST(PostalAddressTest, LeavesEverydayNumbersAndWords) {
  for (const char* text :
       {"12 main points to discuss", "I ran 5 miles down the road", "a 2 lane road", "a 4 wheel drive",
        "3 long way home", "the 2 main roads", "we met on 5 Street", "Route 66", "room 101 on the 2nd floor",
        "ticket 12 at the Place", "during 5 minutes", "bring 2 friends", "COVID19 test", "version 1.2.3",
        "via email 5 times", "at 10 am in the square", "plan A 2 B", "SW1A1AA", "the 3 rue"}) {
    EXPECT_TRUE(FindPostalAddresses(text).empty()) << text << " -> " << OnlyAddress(text);
  }
}

TEST(PostalAddressTest, RedactionReplacesTheWholeAddressOnce) {
  const std::string text = "Ship to 10 Downing Street, London SW1A 2AA or mail jane@example.com";
  EXPECT_EQ(RedactPii(text), "Ship to [address] or mail [email]");
  EXPECT_EQ(RedactPii(RedactPii(text)), RedactPii(text));
  const std::vector<PiiSpan> spans = FindPii("call 030 1234567 at Hauptstra\xc3\x9f" "e 5");
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].kind, PiiKind::kPhone);
  EXPECT_EQ(spans[1].kind, PiiKind::kAddress);
}

}  // namespace
}  // namespace troupe
