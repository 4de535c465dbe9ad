// The store suite runs every TEST_P against both backends: a fresh SQLite file and a fresh
// database on the binary's PostgreSQL test server.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "store/store.h"
#include "support/temp_dir.h"

#define ASSERT_OK(expr)                                             \
  do {                                                              \
    const ::troupe::Status assert_ok_status_ = (expr);              \
    ASSERT_TRUE(assert_ok_status_.ok()) << assert_ok_status_.ToString(); \
  } while (false)

#define EXPECT_OK(expr)                                             \
  do {                                                              \
    const ::troupe::Status expect_ok_status_ = (expr);              \
    EXPECT_TRUE(expect_ok_status_.ok()) << expect_ok_status_.ToString(); \
  } while (false)

#define ASSERT_OK_AND_ASSIGN(decl, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL(TROUPE_CONCAT(assign_result_, __LINE__), decl, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL(tmp, decl, expr)          \
  auto tmp = (expr);                                        \
  ASSERT_TRUE(tmp.ok()) << tmp.status().ToString();         \
  decl = std::move(tmp).value()

namespace troupe::store::testing {

enum class Backend { kSqlite, kPostgres };
std::string BackendName(Backend backend);

// A URL for a new, empty database of `backend`; SQLite files go under `dir`, named `name`.
std::string NewDatabaseUrl(Backend backend, const troupe::testing::TempDir& dir,
                           const std::string& name = "troupe.db");

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;

  // Another store on the database at `url` (default: the test's), e.g. with other migrations.
  Result<std::unique_ptr<Store>> OpenAgain(std::optional<std::vector<Migration>> migrations = std::nullopt,
                                           std::string url = "");

  // Records every test needs, created through the public API.
  User MakeUser(const std::string& external_id = "user-1");
  Character MakeCharacter(const std::string& name = "Seraphina");
  Conversation MakeConversation(int64_t user_id, int64_t character_id);

  ManualClock clock_;
  troupe::testing::TempDir dir_;
  std::string url_;
  std::unique_ptr<Store> store_;  // migrated
};

}  // namespace troupe::store::testing
