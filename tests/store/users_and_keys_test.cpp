// Users, API keys and the audit log, on both backends.
#include "store/api_keys.h"
#include "store_test_fixture.h"

namespace troupe::store::testing {
namespace {

TEST_P(StoreTest, UserCreateGetUpdate) {
  User user;
  user.external_id = "ext-1";
  user.display_name = "Ada";
  user.segment = "vip";
  user.metadata_json = R"({"plan":"gold"})";
  ASSERT_OK_AND_ASSIGN(User created, store_->users().Create(user));
  EXPECT_GT(created.id, 0);
  EXPECT_EQ(created.created_at, clock_.NowMillis());

  ASSERT_OK_AND_ASSIGN(User fetched, store_->users().Get(created.id));
  EXPECT_EQ(fetched.external_id, "ext-1");
  EXPECT_EQ(fetched.segment, "vip");
  ASSERT_OK_AND_ASSIGN(User by_external, store_->users().GetByExternalId("ext-1"));
  EXPECT_EQ(by_external.id, created.id);

  clock_.Advance(1000);
  fetched.display_name = "Ada L.";
  ASSERT_OK_AND_ASSIGN(User updated, store_->users().Update(fetched));
  EXPECT_EQ(updated.display_name, "Ada L.");
  EXPECT_EQ(updated.updated_at, created.created_at + 1000);
  EXPECT_EQ(updated.created_at, created.created_at);

  EXPECT_EQ(store_->users().Get(9999).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->users().GetByExternalId("nobody").status().code(), StatusCode::kNotFound);
  User ghost = fetched;
  ghost.id = 9999;
  EXPECT_EQ(store_->users().Update(ghost).status().code(), StatusCode::kNotFound);
}

TEST_P(StoreTest, UserRulesAndConflicts) {
  MakeUser("taken");
  User duplicate;
  duplicate.external_id = "taken";
  Status conflict = store_->users().Create(duplicate).status();
  EXPECT_EQ(conflict.code(), StatusCode::kConflict);
  EXPECT_EQ(conflict.field(), "external_id");

  User bad_json;
  bad_json.external_id = "other";
  bad_json.metadata_json = "{not json";
  Status invalid = store_->users().Create(bad_json).status();
  EXPECT_EQ(invalid.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(invalid.field(), "metadata_json");

  EXPECT_EQ(store_->users().Create(User{}).status().field(), "external_id");
}

TEST_P(StoreTest, UserListPagesWithOpaqueCursor) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 7; ++i) ids.push_back(MakeUser("u" + std::to_string(i)).id);
  std::vector<int64_t> seen;
  PageRequest request{.cursor = "", .limit = 3};
  int pages = 0;
  do {
    ASSERT_OK_AND_ASSIGN(Page<User> page, store_->users().List(request));
    EXPECT_LE(page.items.size(), 3u);
    for (const User& user : page.items) seen.push_back(user.id);
    request.cursor = page.next_cursor;
    ++pages;
  } while (!request.cursor.empty());
  EXPECT_EQ(seen, ids);
  EXPECT_EQ(pages, 3);

  EXPECT_EQ(store_->users().List({.cursor = "garbage", .limit = 3}).status().code(),
            StatusCode::kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(Page<User> clamped, store_->users().List({.cursor = "", .limit = 0}));
  EXPECT_EQ(clamped.items.size(), 1u);
}

TEST_P(StoreTest, ApiKeyLifecycle) {
  const User user = MakeUser();
  ASSERT_OK_AND_ASSIGN(MintedKey minted, MintApiKey());
  ApiKey key;
  key.name = "ci";
  key.prefix = minted.prefix;
  key.secret_hash = minted.secret_hash;
  key.scopes = {"chat", "admin"};
  key.user_id = user.id;
  ASSERT_OK_AND_ASSIGN(ApiKey created, store_->api_keys().Create(key));

  ASSERT_OK_AND_ASSIGN(ApiKey found, store_->api_keys().GetByPrefix(minted.prefix));
  EXPECT_EQ(found.id, created.id);
  EXPECT_EQ(found.scopes, (std::vector<std::string>{"chat", "admin"}));
  EXPECT_EQ(found.user_id, user.id);
  EXPECT_TRUE(ConstantTimeEquals(found.secret_hash, HashApiKey(minted.key)));
  EXPECT_FALSE(found.last_used_at.has_value());

  clock_.Advance(5);
  ASSERT_OK(store_->api_keys().TouchLastUsed(created.id));
  ASSERT_OK_AND_ASSIGN(ApiKey touched, store_->api_keys().Get(created.id));
  EXPECT_EQ(touched.last_used_at, clock_.NowMillis());

  ASSERT_OK_AND_ASSIGN(int64_t active, store_->api_keys().CountActive());
  EXPECT_EQ(active, 1);
  ASSERT_OK(store_->api_keys().Revoke(created.id));
  const int64_t revoked_at = clock_.NowMillis();
  clock_.Advance(100);
  ASSERT_OK(store_->api_keys().Revoke(created.id));  // idempotent: keeps the first time
  ASSERT_OK_AND_ASSIGN(ApiKey revoked, store_->api_keys().GetByPrefix(minted.prefix));
  EXPECT_EQ(revoked.revoked_at, revoked_at);
  ASSERT_OK_AND_ASSIGN(active, store_->api_keys().CountActive());
  EXPECT_EQ(active, 0);

  EXPECT_EQ(store_->api_keys().Revoke(9999).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->api_keys().TouchLastUsed(9999).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->api_keys().GetByPrefix("nope").status().code(), StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(Page<ApiKey> listed, store_->api_keys().List({}));
  EXPECT_EQ(listed.items.size(), 1u);
}

TEST_P(StoreTest, ApiKeyConflictsAndMissingUser) {
  ApiKey key;
  key.name = "a";
  key.prefix = "aaaaaaaaaaaa";
  key.secret_hash = HashApiKey("x");
  ASSERT_OK(store_->api_keys().Create(key).status());
  Status duplicate = store_->api_keys().Create(key).status();
  EXPECT_EQ(duplicate.code(), StatusCode::kConflict);
  EXPECT_EQ(duplicate.field(), "prefix");

  key.prefix = "bbbbbbbbbbbb";
  key.user_id = 4242;
  Status missing = store_->api_keys().Create(key).status();
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.field(), "user_id");
}

TEST_P(StoreTest, AuditLogNewestFirst) {
  for (int i = 0; i < 5; ++i) {
    AuditEntry entry;
    entry.actor = "cli";
    entry.action = "key.revoke";
    entry.target_type = "api_key";
    entry.target_id = std::to_string(i);
    entry.details_json = R"({"reason":"test"})";
    ASSERT_OK(store_->audit().Record(entry).status());
  }
  ASSERT_OK_AND_ASSIGN(Page<AuditEntry> first, store_->audit().List({.cursor = "", .limit = 3}));
  ASSERT_EQ(first.items.size(), 3u);
  EXPECT_EQ(first.items[0].target_id, "4");
  EXPECT_EQ(first.items[2].target_id, "2");
  ASSERT_OK_AND_ASSIGN(Page<AuditEntry> second, store_->audit().List({.cursor = first.next_cursor, .limit = 3}));
  ASSERT_EQ(second.items.size(), 2u);
  EXPECT_EQ(second.items[1].target_id, "0");
  EXPECT_TRUE(second.next_cursor.empty());

  AuditEntry bad;
  bad.actor = "cli";
  bad.action = "x";
  bad.details_json = "[";
  EXPECT_EQ(store_->audit().Record(bad).status().field(), "details_json");
}

// HasAction is the durable "this happened once" of the first-run install: true only for an action
// some entry has, matched exactly.
TEST_P(StoreTest, AuditLogHasActionMatchesExactly) {
  ASSERT_OK_AND_ASSIGN(bool before, store_->audit().HasAction("examples.install"));
  EXPECT_FALSE(before);
  AuditEntry entry;
  entry.actor = "system";
  entry.action = "examples.install";
  ASSERT_OK(store_->audit().Record(entry).status());
  ASSERT_OK_AND_ASSIGN(bool after, store_->audit().HasAction("examples.install"));
  EXPECT_TRUE(after);
  ASSERT_OK_AND_ASSIGN(bool prefix, store_->audit().HasAction("examples"));
  EXPECT_FALSE(prefix);
}

}  // namespace
}  // namespace troupe::store::testing
