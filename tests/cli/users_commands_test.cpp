// `troupe users export|delete` through the real binary, on SQLite and on PostgreSQL: the archive on
// stdout or in a file only its owner can read, the refusal without --yes, the report, and errors
// that say what is wrong with the exit codes cli.h promises.
#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

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

class UsersCommandsTest : public testing::CliStoreTest {
 protected:
  void SetUp() override {
    CliStoreTest::SetUp();
    if (HasFatalFailure()) return;
    mia_ = MakeUserWithConversation("mia", "lighthouse");
    noah_ = MakeUserWithConversation("noah", "volcano");
  }

  // A user with one conversation of two messages holding `word`.
  int64_t MakeUserWithConversation(const std::string& external_id, const std::string& word) {
    store::User user;
    user.external_id = external_id;
    Result<store::User> created = store_->users().Create(user);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    store::Character character;
    character.name = "Juno for " + external_id;
    Result<store::Character> juno = store_->characters().Create(character);
    EXPECT_TRUE(juno.ok()) << juno.status().ToString();
    store::Conversation conversation;
    conversation.user_id = created.ok() ? created->id : 0;
    conversation.character_id = juno.ok() ? juno->id : 0;
    Result<store::Conversation> opened = store_->conversations().Create(conversation);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    for (const std::string& text : {"a " + word + " at dusk", "the " + word + " again"}) {
      store::Message message;
      message.conversation_id = opened.ok() ? opened->id : 0;
      message.content = text;
      EXPECT_TRUE(store_->messages().Append(message).ok());
    }
    return created.ok() ? created->id : 0;
  }

  int64_t mia_ = 0;
  int64_t noah_ = 0;
};

TEST_P(UsersCommandsTest, ExportWritesTheArchiveToStdoutOrToAPrivateFile) {
  ProcessResult exported = Troupe({"users", "export", std::to_string(mia_)});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const json archive = json::parse(exported.out);
  EXPECT_EQ(archive["format"], "troupe-user-export");
  EXPECT_EQ(archive["user"]["external_id"], "mia");
  ASSERT_EQ(archive["conversations"].size(), 1u);
  EXPECT_EQ(archive["conversations"][0]["character_name"], "Juno for mia");
  ASSERT_EQ(archive["conversations"][0]["messages"].size(), 2u);
  EXPECT_EQ(archive["conversations"][0]["messages"][1]["content"], "the lighthouse again");
  EXPECT_EQ(exported.out.find("volcano"), std::string::npos);

  const std::string file = (dir_ / "mia.json").string();
  ProcessResult to_file = Troupe({"users", "export", "--external-id", "mia", "-o", file});
  ASSERT_EQ(to_file.exit_code, 0) << to_file.err;
  EXPECT_TRUE(to_file.out.empty());
  EXPECT_THAT(to_file.err, HasSubstr("wrote user " + std::to_string(mia_) + "'s data to " + file));
  struct stat info {};
  ASSERT_EQ(stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  json saved = json::parse(text.str());
  EXPECT_EQ(saved["conversations"], archive["conversations"]);

  ProcessResult unknown = Troupe({"users", "export", "999999"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("troupe: error: ID: user 999999 not found"));
  ProcessResult nobody = Troupe({"users", "export"});
  EXPECT_EQ(nobody.exit_code, 1);
  EXPECT_THAT(nobody.err, HasSubstr("name the user: ID or --external-id"));
  ProcessResult both = Troupe({"users", "export", "1", "--external-id", "mia"});
  EXPECT_EQ(both.exit_code, 1);
  EXPECT_THAT(both.err, HasSubstr("excludes"));
}

TEST_P(UsersCommandsTest, DeleteNeedsYesThenRemovesEverythingAndReports) {
  ProcessResult refused = Troupe({"users", "delete", std::to_string(mia_)});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_TRUE(refused.out.empty());
  EXPECT_THAT(refused.err, HasSubstr("not deleting user " + std::to_string(mia_)));
  EXPECT_THAT(refused.err, HasSubstr("--yes"));
  ASSERT_TRUE(store_->users().Get(mia_).ok());

  ProcessResult deleted = Troupe({"users", "delete", "--external-id", "mia", "--yes", "--json"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  const json report = json::parse(deleted.out);
  EXPECT_EQ(report["user_id"], mia_);
  EXPECT_EQ(report["deleted"]["conversations"], 1);
  EXPECT_EQ(report["deleted"]["messages"], 2);
  EXPECT_EQ(store_->users().Get(mia_).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->users().Get(noah_).ok());
  Result<store::Page<store::AuditEntry>> audit = store_->audit().List({});
  ASSERT_TRUE(audit.ok());
  ASSERT_FALSE(audit->items.empty());
  EXPECT_EQ(audit->items[0].actor, "cli");
  EXPECT_EQ(audit->items[0].action, "user.delete");
  EXPECT_EQ(audit->items[0].target_id, std::to_string(mia_));

  ProcessResult readable = Troupe({"users", "delete", std::to_string(noah_), "--yes"});
  ASSERT_EQ(readable.exit_code, 0) << readable.err;
  EXPECT_THAT(readable.out, HasSubstr("deleted user " + std::to_string(noah_)));
  EXPECT_THAT(readable.out, HasSubstr("  messages 2\n"));

  ProcessResult again = Troupe({"users", "delete", std::to_string(mia_), "--yes"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("not found"));
}

INSTANTIATE_TEST_SUITE_P(Backends, UsersCommandsTest, ::testing::Values(testing::CliBackend::kSqlite, testing::CliBackend::kPostgres),
                         testing::CliBackendName);

}  // namespace
}  // namespace troupe
