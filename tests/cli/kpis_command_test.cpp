// `troupe kpis` through the real binary on SQLite: the API's JSON with --json, a table otherwise,
// and errors that name the flag. The figures themselves are tested in tests/store/kpis_test.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "store/kpi_report.h"
#include "store/store.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace troupe {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;
using testing::ProcessResult;
using testing::RunProcess;
using testing::TroupeBinary;

class KpisCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = "sqlite://" + (dir_ / "troupe.db").string();
    store::StoreOptions options;
    options.url = url_;
    Result<std::unique_ptr<store::Store>> opened = store::Store::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    ASSERT_TRUE(store_->Migrate().ok());
    store::User user;
    user.external_id = "mia";
    Result<store::User> mia = store_->users().Create(user);
    ASSERT_TRUE(mia.ok());
    store::Character character;
    character.name = "Juno";
    Result<store::Character> juno = store_->characters().Create(character);
    ASSERT_TRUE(juno.ok());
    slug_ = juno->slug;
    for (int i = 0; i < 2; ++i) {
      store::Conversation conversation;
      conversation.user_id = mia->id;
      conversation.character_id = juno->id;
      Result<store::Conversation> opened_conversation = store_->conversations().Create(conversation);
      ASSERT_TRUE(opened_conversation.ok());
      if (i == 0) {
        ASSERT_TRUE(store_->conversations().SetStatus(opened_conversation->id, store::ConversationStatus::kClosed).ok());
      }
    }
    today_ = store::KpiDay(SystemClock::Instance().NowMillis());
  }

  ProcessResult Troupe(std::vector<std::string> args) {
    args.insert(args.begin(), TroupeBinary());
    args.push_back("--database");
    args.push_back(url_);
    return RunProcess(args, {{"TROUPE_DATA", dir_.path().string()}, {"TROUPE_LOG_LEVEL", "warn"}});
  }

  testing::TempDir dir_;
  std::string url_;
  std::unique_ptr<store::Store> store_;
  std::string slug_;
  std::string today_;
};

TEST_F(KpisCommandTest, JsonIsTheApisReport) {
  ProcessResult shown = Troupe({"kpis", "--from", today_, "--to", today_, "--group-by", "character", "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  const json report = json::parse(shown.out);
  EXPECT_EQ(report["group_by"], "character");
  EXPECT_EQ(report["totals"]["conversations"], 2);
  EXPECT_EQ(report["totals"]["resolved"], 1);
  EXPECT_DOUBLE_EQ(report["totals"]["resolution_rate"].get<double>(), 0.5);
  ASSERT_EQ(report["groups"].size(), 1u);
  EXPECT_EQ(report["groups"][0]["character_slug"], slug_);
}

TEST_F(KpisCommandTest, ATableByDefault) {
  ProcessResult shown = Troupe({"kpis", "--from", today_, "--to", today_});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr(today_));
  EXPECT_THAT(shown.out, HasSubstr("50%"));
  EXPECT_THAT(shown.out, HasSubstr("total " + today_ + ".." + today_));
}

TEST_F(KpisCommandTest, BadFlagsAreNamed) {
  ProcessResult bad_day = Troupe({"kpis", "--from", "2026-02-30"});
  EXPECT_EQ(bad_day.exit_code, 1);
  EXPECT_THAT(bad_day.err, HasSubstr("--from"));
  ProcessResult bad_group = Troupe({"kpis", "--group-by", "week"});
  EXPECT_EQ(bad_group.exit_code, 1);
  EXPECT_THAT(bad_group.err, HasSubstr("--group-by"));
}

}  // namespace
}  // namespace troupe
