// The migrator, on both backends: reports, idempotence, rollback of a failing migration, the
// refusals that protect a database from an older or tampered build, and concurrent starts.
#include <thread>

#include "store_test_fixture.h"

namespace troupe::store::testing {
namespace {

const Migration kFirst{1, "first", "CREATE TABLE first_table (id INTEGER PRIMARY KEY)"};
const Migration kSecond{2, "second", "CREATE TABLE second_table (id INTEGER)"};

TEST_P(StoreTest, ReportShowsEveryBuiltInMigrationApplied) {
  ASSERT_OK_AND_ASSIGN(MigrationReport report, store_->Migrations());
  EXPECT_EQ(report.backend, BackendName(GetParam()));
  EXPECT_GE(report.latest_version, 1);
  EXPECT_EQ(report.current_version, report.latest_version);
  ASSERT_FALSE(report.migrations.empty());
  EXPECT_EQ(report.migrations[0].version, 1);
  EXPECT_EQ(report.migrations[0].name, "initial");
  EXPECT_TRUE(report.migrations[0].applied);
  EXPECT_EQ(report.migrations[0].applied_at, clock_.NowMillis());
  EXPECT_OK(store_->CheckSchema());
  EXPECT_OK(store_->Ping());

  ASSERT_OK_AND_ASSIGN(std::vector<int> again, store_->Migrate());
  EXPECT_TRUE(again.empty());  // idempotent
}

TEST_P(StoreTest, FreshDatabaseReportsPendingAndFailsSchemaCheck) {
  const std::string url = NewDatabaseUrl(GetParam(), dir_, "fresh.db");
  ASSERT_OK_AND_ASSIGN(auto fresh, OpenAgain(std::vector<Migration>{kFirst, kSecond}, url));
  ASSERT_OK_AND_ASSIGN(MigrationReport report, fresh->Migrations());
  EXPECT_EQ(report.current_version, 0);
  EXPECT_EQ(report.latest_version, 2);
  ASSERT_EQ(report.migrations.size(), 2u);
  EXPECT_FALSE(report.migrations[1].applied);
  EXPECT_EQ(fresh->CheckSchema().code(), StatusCode::kFailedPrecondition);
  // Repository calls on an unmigrated database say so rather than failing obscurely.
  EXPECT_EQ(fresh->users().Get(1).status().code(), StatusCode::kFailedPrecondition);

  ASSERT_OK_AND_ASSIGN(std::vector<int> applied, fresh->Migrate());
  EXPECT_EQ(applied, (std::vector<int>{1, 2}));
  EXPECT_OK(fresh->CheckSchema());
}

TEST_P(StoreTest, FailingMigrationLeavesSchemaUnchanged) {
  const std::string url = NewDatabaseUrl(GetParam(), dir_, "failing.db");
  ASSERT_OK_AND_ASSIGN(auto v1, OpenAgain(std::vector<Migration>{kFirst}, url));
  ASSERT_OK(v1->Migrate().status());

  // Migration 2 creates a table, then hits a syntax error.
  const Migration broken{2, "second", "CREATE TABLE second_table (id INTEGER); CREATE TABLE oops (;"};
  ASSERT_OK_AND_ASSIGN(auto v2, OpenAgain(std::vector<Migration>{kFirst, broken}, url));
  Result<std::vector<int>> failed = v2->Migrate();
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("0002_second"), std::string::npos) << failed.status().ToString();
  EXPECT_NE(failed.status().message().find("syntax error"), std::string::npos) << failed.status().ToString();
  ASSERT_OK_AND_ASSIGN(MigrationReport report, v2->Migrations());
  EXPECT_EQ(report.current_version, 1);

  // second_table does not exist: a correct migration 2 creating it now succeeds.
  ASSERT_OK_AND_ASSIGN(auto fixed, OpenAgain(std::vector<Migration>{kFirst, kSecond}, url));
  ASSERT_OK_AND_ASSIGN(std::vector<int> applied, fixed->Migrate());
  EXPECT_EQ(applied, std::vector<int>{2});
}

TEST_P(StoreTest, NewerDatabaseIsRefused) {
  const std::string url = NewDatabaseUrl(GetParam(), dir_, "newer.db");
  // A newer Troupe wrote version 999 into schema_migrations.
  ASSERT_OK_AND_ASSIGN(auto newer, OpenAgain(std::vector<Migration>{kFirst, {999, "future", "SELECT 1"}}, url));
  ASSERT_OK(newer->Migrate().status());

  ASSERT_OK_AND_ASSIGN(auto older, OpenAgain(std::vector<Migration>{kFirst}, url));
  Status refused = older->Migrate().status();
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.message(),
            "database schema version 999 is newer than this Troupe (knows up to 1); upgrade Troupe");
  EXPECT_EQ(older->CheckSchema().code(), StatusCode::kFailedPrecondition);
  ASSERT_OK_AND_ASSIGN(MigrationReport report, older->Migrations());
  EXPECT_EQ(report.current_version, 999);
  EXPECT_EQ(report.latest_version, 1);
  EXPECT_EQ(report.migrations.back().name, "future");
}

TEST_P(StoreTest, ChangedMigrationIsRefused) {
  const std::string url = NewDatabaseUrl(GetParam(), dir_, "changed.db");
  ASSERT_OK_AND_ASSIGN(auto original, OpenAgain(std::vector<Migration>{kFirst}, url));
  ASSERT_OK(original->Migrate().status());
  Migration edited = kFirst;
  edited.sql += " -- edited";
  ASSERT_OK_AND_ASSIGN(auto tampered, OpenAgain(std::vector<Migration>{edited, kSecond}, url));
  Status refused = tampered->Migrate().status();
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("0001_first"), std::string::npos) << refused.message();
  EXPECT_EQ(tampered->CheckSchema().code(), StatusCode::kFailedPrecondition);
}

// Several nodes starting at once each call Migrate: every migration is applied exactly once.
TEST_P(StoreTest, ConcurrentMigrateAppliesEachMigrationOnce) {
  const std::string url = NewDatabaseUrl(GetParam(), dir_, "race.db");
  std::vector<std::unique_ptr<Store>> nodes;
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(auto node, OpenAgain(std::nullopt, url));
    nodes.push_back(std::move(node));
  }
  std::vector<Result<std::vector<int>>> results(3, Result<std::vector<int>>(std::vector<int>{}));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < nodes.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = nodes[i]->Migrate(); });
  }
  for (std::thread& thread : threads) thread.join();
  size_t applied = 0;
  for (const auto& result : results) {
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    applied += result->size();
  }
  ASSERT_OK_AND_ASSIGN(MigrationReport report, nodes[0]->Migrations());
  // Versions may have gaps (numbers are given out per feature), so count the migrations.
  EXPECT_EQ(applied, report.migrations.size());
  EXPECT_OK(nodes[0]->CheckSchema());
}

}  // namespace
}  // namespace troupe::store::testing
