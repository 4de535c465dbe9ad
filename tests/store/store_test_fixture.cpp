#include "store_test_fixture.h"

#include "support/postgres_server.h"

namespace troupe::store::testing {

std::string BackendName(Backend backend) { return backend == Backend::kSqlite ? "sqlite" : "postgres"; }

std::string NewDatabaseUrl(Backend backend, const troupe::testing::TempDir& dir, const std::string& name) {
  if (backend == Backend::kSqlite) return "sqlite://" + (dir / name).string();
  return troupe::testing::PostgresServer::Shared().CreateDatabase();
}

void StoreTest::SetUp() {
  url_ = NewDatabaseUrl(GetParam(), dir_);
  ASSERT_FALSE(url_.empty());
  ASSERT_OK_AND_ASSIGN(store_, OpenAgain());
  ASSERT_EQ(store_->backend(), BackendName(GetParam()));
  ASSERT_OK(store_->Migrate().status());
}

Result<std::unique_ptr<Store>> StoreTest::OpenAgain(std::optional<std::vector<Migration>> migrations,
                                                    std::string url) {
  StoreOptions options;
  options.url = url.empty() ? url_ : url;
  options.clock = &clock_;
  options.migrations = std::move(migrations);
  return Store::Open(options);
}

User StoreTest::MakeUser(const std::string& external_id) {
  User user;
  user.external_id = external_id;
  user.display_name = "Ada";
  Result<User> created = store_->users().Create(user);
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  return created.ok() ? *created : User{};
}

Character StoreTest::MakeCharacter(const std::string& name) {
  Character character;
  character.name = name;
  Result<Character> created = store_->characters().Create(character);
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  return created.ok() ? *created : Character{};
}

Conversation StoreTest::MakeConversation(int64_t user_id, int64_t character_id) {
  Conversation conversation;
  conversation.user_id = user_id;
  conversation.character_id = character_id;
  Result<Conversation> created = store_->conversations().Create(conversation);
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  return created.ok() ? *created : Conversation{};
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) { return BackendName(info.param); });

}  // namespace troupe::store::testing
