// `troupe users import` and `troupe segments list|apply` through the real binary, on SQLite and on
// PostgreSQL: profiles imported with the lines left out on stderr and exit 1, a segment applied
// with its members' segment field written, and unknown segments refused with exit 1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "store/store.h"
#include "cli_store_fixture.h"

namespace troupe {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;
using testing::ProcessResult;
using testing::RunProcess;
using testing::TroupeBinary;

class CustomerCommandsTest : public testing::CliStoreTest {
 protected:
  std::string WriteCsv(const std::string& text) {
    const std::string path = (dir_ / "profiles.csv").string();
    std::ofstream(path) << text;
    return path;
  }

  std::string SegmentOf(const std::string& external_id) {
    Result<store::User> user = store_->users().GetByExternalId(external_id);
    EXPECT_TRUE(user.ok()) << external_id;
    return user.ok() ? user->segment : "?";
  }

};

TEST_P(CustomerCommandsTest, ImportsProfilesAndReportsTheLinesLeftOut) {
  ProcessResult clean = Troupe({"users", "import", WriteCsv("external_id,spend\na,900\nb,10\n"), "--json"});
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  const json report = json::parse(clean.out);
  EXPECT_EQ(report["created"], 2);
  EXPECT_EQ(report["failed"], 0);
  Result<store::User> a = store_->users().GetByExternalId("a");
  ASSERT_TRUE(a.ok());
  Result<store::UserProfile> profile = store_->customers().GetProfile(a->id);
  ASSERT_TRUE(profile.ok());
  EXPECT_EQ(json::parse(profile->profile_json), json({{"spend", 900}}));

  ProcessResult partial = Troupe({"users", "import", WriteCsv("external_id,spend\nc,700\nd,lots\ne,1\n")});
  EXPECT_EQ(partial.exit_code, 1);
  EXPECT_THAT(partial.out, HasSubstr("2 users created"));
  EXPECT_THAT(partial.err, HasSubstr("line 3: column spend: 'lots' is not a number"));

  ProcessResult missing = Troupe({"users", "import", (dir_ / "absent.csv").string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("absent.csv"));
  ProcessResult no_id = Troupe({"users", "import", WriteCsv("name\nx\n")});
  EXPECT_EQ(no_id.exit_code, 1);
  EXPECT_THAT(no_id.err, HasSubstr("external_id"));
}

TEST_P(CustomerCommandsTest, AppliesASegmentAndListsItWithItsMembers) {
  ASSERT_EQ(Troupe({"users", "import", WriteCsv("external_id,spend\na,900\nb,10\nc,700\n")}).exit_code, 0);
  store::Segment segment;
  segment.name = "big";
  segment.definition_json = R"({"rules":{"all":[{"field":"spend","op":">=","value":500}]}})";
  ASSERT_TRUE(store_->segments().Create(segment).ok());

  ProcessResult applied = Troupe({"segments", "apply", "big"});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_THAT(applied.out, HasSubstr("applied segment big: 2 members of 3 users"));
  EXPECT_EQ(SegmentOf("a"), "big");
  EXPECT_EQ(SegmentOf("b"), "");

  ProcessResult listed = Troupe({"segments", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("big\trules\t2\t"));

  ProcessResult unknown = Troupe({"segments", "apply", "nobody"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("segment 'nobody' not found"));
  EXPECT_NE(Troupe({"segments", "apply"}).exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, CustomerCommandsTest, ::testing::Values(testing::CliBackend::kSqlite, testing::CliBackend::kPostgres),
                         testing::CliBackendName);

}  // namespace
}  // namespace troupe
