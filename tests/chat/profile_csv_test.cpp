// The profile CSV reader: quoting, line numbers, type detection by majority or by header, and
// the per-line errors the import reports.
#include <gtest/gtest.h>

#include "chat/customers/profile_csv.h"

namespace troupe::chat::customers {
namespace {

ProfileCsv Parse(std::string_view text) {
  Result<ProfileCsv> csv = ParseProfileCsv(text);
  EXPECT_TRUE(csv.ok()) << csv.status().ToString();
  return csv.ok() ? *csv : ProfileCsv{};
}

TEST(ProfileCsvTest, DetectsColumnTypesAndTypesTheCells) {
  const ProfileCsv csv = Parse(
      "external_id,display_name,age,vip,joined,city\n"
      "u1,Ann,34,true,2025-01-02,\"Oslo, NO\"\n"
      "u2,,41.5,FALSE,2025-02-03T10:30Z,Bergen\n");
  ASSERT_EQ(csv.columns.size(), 4u);
  EXPECT_EQ(csv.columns[0].name, "age");
  EXPECT_EQ(csv.columns[0].type, ProfileFieldType::kNumber);
  EXPECT_EQ(csv.columns[1].type, ProfileFieldType::kBoolean);
  EXPECT_EQ(csv.columns[2].type, ProfileFieldType::kDate);
  EXPECT_EQ(csv.columns[3].type, ProfileFieldType::kString);
  ASSERT_EQ(csv.rows.size(), 2u);
  EXPECT_EQ(csv.rows[0].line, 2);
  EXPECT_EQ(csv.rows[0].display_name, "Ann");
  EXPECT_EQ(csv.rows[0].fields, nlohmann::json({{"age", 34}, {"vip", true}, {"joined", "2025-01-02"}, {"city", "Oslo, NO"}}));
  EXPECT_FALSE(csv.rows[1].display_name.has_value());
  EXPECT_EQ(csv.rows[1].fields["age"], 41.5);
  EXPECT_EQ(csv.rows[1].fields["vip"], false);
  EXPECT_TRUE(csv.errors.empty());
}

TEST(ProfileCsvTest, ACellThatDoesNotFitItsColumnIsAnErrorOfItsLine) {
  const ProfileCsv csv = Parse(
      "external_id,age\r\n"
      "a,30\r\n"
      "b,31\r\n"
      "\r\n"
      "c,abc\r\n"
      "d,33,extra\r\n"
      ",34\r\n"
      "e,\r\n");
  EXPECT_EQ(csv.lines_read, 6);
  EXPECT_EQ(csv.errors, (std::vector<std::string>{"line 5: column age: 'abc' is not a number",
                                                  "line 6: 3 cells, the header has 2",
                                                  "line 7: external_id is empty"}));
  ASSERT_EQ(csv.rows.size(), 3u);
  EXPECT_EQ(csv.rows[2].external_id, "e");
  EXPECT_TRUE(csv.rows[2].fields.empty()) << "an empty cell sets nothing";
}

TEST(ProfileCsvTest, QuotedLineBreaksKeepLaterLineNumbersTrue) {
  const ProfileCsv csv = Parse(
      "\xEF\xBB\xBF" "external_id,note,score:number\n"
      "a,\"two\nlines\",1\n"
      "b,\"say \"\"hi\"\"\",x\n");
  ASSERT_EQ(csv.rows.size(), 1u);
  EXPECT_EQ(csv.rows[0].fields["note"], "two\nlines");
  EXPECT_EQ(csv.errors, (std::vector<std::string>{"line 4: column score: 'x' is not a number"}));
}

TEST(ProfileCsvTest, AHeaderTypeOverridesDetection) {
  const ProfileCsv csv = Parse("external_id,zip:string,since:date\na,0123,2024-12-31\nb,0456,2024-13-01\n");
  EXPECT_EQ(csv.columns[0].type, ProfileFieldType::kString);
  ASSERT_EQ(csv.rows.size(), 1u);
  EXPECT_EQ(csv.rows[0].fields["zip"], "0123");
  EXPECT_EQ(csv.errors, (std::vector<std::string>{"line 3: column since: '2024-13-01' is not a date (YYYY-MM-DD)"}));
}

TEST(ProfileCsvTest, FileErrorsNameTheCsv) {
  for (std::string_view text : {"", "name,age\nx,1\n", "external_id,a,a\n", "external_id,,b\n",
                                "external_id,a:money\n", "external_id\n\"open\n"}) {
    Result<ProfileCsv> csv = ParseProfileCsv(text);
    ASSERT_FALSE(csv.ok()) << text;
    EXPECT_EQ(csv.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(csv.status().field(), "csv");
  }
}

}  // namespace
}  // namespace troupe::chat::customers
