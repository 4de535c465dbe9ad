// The SQLite writer (sql/sqlite_writer.h): the connections of one process to one file write in
// turn on one connection, and writers that queue behind each other share one commit. The test
// holds a turn itself and waits until the writer counts the threads queued behind it, so every
// check is an ordering or a count, not a duration.
#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "store/sql/sqlite_connection.h"
#include "store/sql/sqlite_writer.h"
#include "store_test_fixture.h"
#include "support/temp_dir.h"

namespace troupe::store::testing {
namespace {

using sql::Connection;
using sql::TransactionMode;

class SqliteWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::unique_ptr<Connection> setup = Open(nullptr);
    ASSERT_OK(setup->ExecScript(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
        "CREATE TABLE child (id INTEGER PRIMARY KEY, value INTEGER,"
        "  parent_id INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);"));
  }

  std::string Path() const { return (dir_ / "writer.db").string(); }

  std::shared_ptr<sql::SqliteWriter> NewWriter(int busy_timeout_ms = 5000) {
    return std::make_shared<sql::SqliteWriter>(sql::SqliteOpenOptions{Path(), busy_timeout_ms, "normal"});
  }

  std::unique_ptr<Connection> Open(std::shared_ptr<sql::SqliteWriter> writer) {
    Result<std::unique_ptr<Connection>> opened = sql::OpenSqlite(
        {.path = Path(), .busy_timeout_ms = 5000, .synchronous = "normal", .writer = std::move(writer)});
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return opened.ok() ? std::move(*opened) : nullptr;
  }

  // Until `count` threads wait for a turn (they block in the writer, so this ends).
  static void AwaitWaiting(const sql::SqliteWriter& writer, int count) {
    while (writer.writers_waiting() < count) std::this_thread::yield();
  }

  std::vector<int64_t> Values() {
    std::unique_ptr<Connection> reader = Open(nullptr);
    std::vector<int64_t> values;
    Result<sql::Rows> rows = reader->Query("SELECT value FROM child ORDER BY id", {});
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (rows.ok()) {
      for (const sql::Row& row : *rows) values.push_back(row.Int(0));
    }
    return values;
  }

  ::troupe::testing::TempDir dir_;
  std::shared_ptr<sql::SqliteWriter> writer_ = NewWriter();
};

TEST_F(SqliteWriterTest, AWriteWaitsForTheTurnOfTheTransactionBeforeIt) {
  std::unique_ptr<Connection> first = Open(writer_);
  std::unique_ptr<Connection> second = Open(writer_);
  ASSERT_OK(first->Begin(TransactionMode::kWrite));
  ASSERT_OK(first->Exec("INSERT INTO child (value) VALUES (1)", {}).status());
  Result<int64_t> changed = 0;
  std::thread later([&] { changed = second->Exec("INSERT INTO child (value) VALUES (2)", {}); });
  AwaitWaiting(*writer_, 1);
  EXPECT_TRUE(Values().empty());  // nothing committed while the first transaction runs
  ASSERT_OK(first->Commit());
  later.join();
  ASSERT_OK(changed.status());
  EXPECT_EQ(*changed, 1);
  EXPECT_EQ(Values(), (std::vector<int64_t>{1, 2}));
}

TEST_F(SqliteWriterTest, ReadsTakeNoTurn) {
  std::unique_ptr<Connection> holder = Open(writer_);
  std::unique_ptr<Connection> reader = Open(writer_);
  ASSERT_OK(holder->Begin(TransactionMode::kWrite));
  ASSERT_OK(reader->Begin(TransactionMode::kRead));
  ASSERT_OK(reader->Query("SELECT value FROM child", {}).status());
  ASSERT_OK(reader->Commit());
  EXPECT_OK(reader->Query("SELECT count(*) FROM child", {}).status());
  EXPECT_EQ(writer_->writers_waiting(), 0);
  ASSERT_OK(holder->Commit());
}

// Writers queued behind a transaction join its batch: one commit for all of them, and a rollback
// among them undoes its own writes only.
TEST_F(SqliteWriterTest, QueuedWritersShareOneCommitAndARollbackUndoesOnlyItsOwn) {
  std::unique_ptr<Connection> holder = Open(writer_);
  ASSERT_OK(holder->Begin(TransactionMode::kWrite));
  ASSERT_OK(holder->Exec("INSERT INTO child (value) VALUES (0)", {}).status());
  const int64_t batches_before = writer_->batches_committed();
  constexpr int kWriters = 6;
  std::vector<std::unique_ptr<Connection>> connections;
  for (int i = 0; i < kWriters + 1; ++i) connections.push_back(Open(writer_));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      if (!connections[static_cast<size_t>(i)]->Exec("INSERT INTO child (value) VALUES ($1)", {int64_t{10 + i}}).ok()) {
        ++failures;
      }
    });
  }
  threads.emplace_back([&] {
    Connection& undone = *connections.back();
    if (!undone.Begin(TransactionMode::kWrite).ok()) ++failures;
    if (!undone.Exec("INSERT INTO child (value) VALUES (99)", {}).ok()) ++failures;
    if (!undone.Rollback().ok()) ++failures;
  });
  AwaitWaiting(*writer_, kWriters + 1);
  ASSERT_OK(holder->Commit());
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(writer_->batches_committed(), batches_before + 1);
  std::vector<int64_t> values = Values();
  std::sort(values.begin(), values.end());
  EXPECT_EQ(values, (std::vector<int64_t>{0, 10, 11, 12, 13, 14, 15}));
}

// A deferred foreign key fails the batch's COMMIT: every writer in it hears so, and none of their
// rows is stored.
TEST_F(SqliteWriterTest, ABatchThatFailsToCommitFailsEveryWriterInIt) {
  std::unique_ptr<Connection> holder = Open(writer_);
  std::unique_ptr<Connection> other = Open(writer_);
  ASSERT_OK(holder->Begin(TransactionMode::kWrite));
  ASSERT_OK(holder->Exec("INSERT INTO child (value, parent_id) VALUES (1, 42)", {}).status());
  Status others;
  std::thread queued([&] { others = other->Exec("INSERT INTO child (value) VALUES (2)", {}).status(); });
  AwaitWaiting(*writer_, 1);
  EXPECT_FALSE(holder->Commit().ok());
  queued.join();
  EXPECT_FALSE(others.ok());
  EXPECT_TRUE(Values().empty());
  // The writer goes on: the next write commits on its own.
  ASSERT_OK(other->Exec("INSERT INTO child (value) VALUES (3)", {}).status());
  EXPECT_EQ(Values(), std::vector<int64_t>{3});
}

TEST_F(SqliteWriterTest, AWriterKeptWaitingPastTheBusyTimeoutIsRefusedAndWritesNothing) {
  std::shared_ptr<sql::SqliteWriter> impatient_writer = NewWriter(/*busy_timeout_ms=*/20);
  std::unique_ptr<Connection> holder = Open(impatient_writer);
  std::unique_ptr<Connection> impatient = Open(impatient_writer);
  ASSERT_OK(holder->Begin(TransactionMode::kWrite));
  Status refused = impatient->Begin(TransactionMode::kWrite);
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable) << refused.ToString();
  EXPECT_EQ(impatient->Exec("INSERT INTO child (value) VALUES (2)", {}).status().code(), StatusCode::kUnavailable);
  ASSERT_OK(holder->Exec("INSERT INTO child (value) VALUES (1)", {}).status());
  ASSERT_OK(holder->Commit());
  EXPECT_EQ(Values(), std::vector<int64_t>{1});
}

// A connection dropped mid-transaction gives its turn back with its writes undone.
TEST_F(SqliteWriterTest, AConnectionClosedMidTransactionUndoesItsWritesAndFreesTheTurn) {
  std::unique_ptr<Connection> dropped = Open(writer_);
  ASSERT_OK(dropped->Begin(TransactionMode::kWrite));
  ASSERT_OK(dropped->Exec("INSERT INTO child (value) VALUES (1)", {}).status());
  dropped.reset();
  std::unique_ptr<Connection> next = Open(writer_);
  ASSERT_OK(next->Exec("INSERT INTO child (value) VALUES (2)", {}).status());
  EXPECT_EQ(Values(), std::vector<int64_t>{2});
}

}  // namespace
}  // namespace troupe::store::testing
