// The SQLite writer gate (sql/sqlite_connection.h): the connections of one process to one file
// queue their writes on an in-process mutex, held from BEGIN IMMEDIATE (or an autocommit write's
// start) to the end of the transaction, and a writer that waits past the busy timeout goes ahead
// without it. The test thread holds or probes the gate itself, so every check is an ordering, not
// a duration.
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/sql/sqlite_connection.h"
#include "store_test_fixture.h"
#include "support/temp_dir.h"

namespace troupe::store::testing {
namespace {

using sql::Connection;
using sql::TransactionMode;

class WriterGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::unique_ptr<Connection> setup = Open(nullptr);
    ASSERT_OK(setup->ExecScript(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
        "CREATE TABLE child (id INTEGER PRIMARY KEY, value INTEGER,"
        "  parent_id INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);"));
  }

  std::unique_ptr<Connection> Open(std::shared_ptr<std::timed_mutex> gate, int busy_timeout_ms = 5000) {
    Result<std::unique_ptr<Connection>> opened =
        sql::OpenSqlite({.path = (dir_ / "gate.db").string(), .busy_timeout_ms = busy_timeout_ms,
                         .synchronous = "normal", .writer_gate = std::move(gate)});
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return opened.ok() ? std::move(*opened) : nullptr;
  }

  // Whether nobody holds the gate (taking it for a moment to find out).
  bool GateFree() {
    if (!gate_->try_lock()) return false;
    gate_->unlock();
    return true;
  }

  std::vector<int64_t> Values(Connection& connection) {
    std::vector<int64_t> values;
    Result<sql::Rows> rows = connection.Query("SELECT value FROM child ORDER BY id", {});
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (rows.ok()) {
      for (const sql::Row& row : *rows) values.push_back(row.Int(0));
    }
    return values;
  }

  ::troupe::testing::TempDir dir_;
  std::shared_ptr<std::timed_mutex> gate_ = std::make_shared<std::timed_mutex>();
};

TEST_F(WriterGateTest, AWriteTransactionHoldsTheGateUntilItCommits) {
  std::unique_ptr<Connection> writer = Open(gate_);
  ASSERT_OK(writer->Begin(TransactionMode::kWrite));
  EXPECT_FALSE(GateFree());
  ASSERT_OK(writer->Exec("INSERT INTO child (value) VALUES (1)", {}).status());
  EXPECT_FALSE(GateFree());
  ASSERT_OK(writer->Commit());
  EXPECT_TRUE(GateFree());
  EXPECT_EQ(Values(*writer), std::vector<int64_t>{1});
}

TEST_F(WriterGateTest, ReadTransactionsAndReadsLeaveTheGateAlone) {
  std::unique_ptr<Connection> reader = Open(gate_);
  ASSERT_OK(reader->Begin(TransactionMode::kRead));
  EXPECT_TRUE(GateFree());
  EXPECT_TRUE(Values(*reader).empty());
  ASSERT_OK(reader->Commit());
  EXPECT_TRUE(GateFree());
}

TEST_F(WriterGateTest, ARollbackReleasesTheGateAndDropsTheWrite) {
  std::unique_ptr<Connection> writer = Open(gate_);
  ASSERT_OK(writer->Begin(TransactionMode::kWrite));
  ASSERT_OK(writer->Exec("INSERT INTO child (value) VALUES (1)", {}).status());
  ASSERT_OK(writer->Rollback());
  EXPECT_TRUE(GateFree());
  EXPECT_TRUE(Values(*writer).empty());
}

// A deferred foreign key fails COMMIT and leaves the transaction open: the gate stays with it until
// the rollback that must follow, so no other writer starts inside a transaction still running.
TEST_F(WriterGateTest, AFailedCommitKeepsTheGateUntilTheRollback) {
  std::unique_ptr<Connection> writer = Open(gate_);
  ASSERT_OK(writer->Begin(TransactionMode::kWrite));
  ASSERT_OK(writer->Exec("INSERT INTO child (value, parent_id) VALUES (1, 42)", {}).status());
  EXPECT_FALSE(writer->Commit().ok());
  EXPECT_FALSE(GateFree());
  ASSERT_OK(writer->Rollback());
  EXPECT_TRUE(GateFree());
}

// While the gate is held, a gated autocommit write waits for it, and an ungated connection (another
// process, in effect) is not held back: its row lands first, the gated one after the release.
TEST_F(WriterGateTest, AnAutocommitWriteWaitsForTheGateAndReleasesIt) {
  std::unique_ptr<Connection> gated = Open(gate_);
  std::unique_ptr<Connection> ungated = Open(nullptr);
  gate_->lock();
  std::thread second([&] { EXPECT_TRUE(gated->Exec("INSERT INTO child (value) VALUES (2)", {}).ok()); });
  ASSERT_OK(ungated->Exec("INSERT INTO child (value) VALUES (1)", {}).status());
  gate_->unlock();
  second.join();
  EXPECT_TRUE(GateFree());
  EXPECT_EQ(Values(*ungated), (std::vector<int64_t>{1, 2}));
}

// The gate is a queue, not a lock the data depends on: a writer kept waiting past its busy timeout
// (here by a holder that never writes) goes ahead on SQLite's own locking, and never releases the
// gate it did not get.
TEST_F(WriterGateTest, AWriterWaitingPastItsBusyTimeoutGoesAheadWithoutTheGate) {
  std::unique_ptr<Connection> impatient = Open(gate_, /*busy_timeout_ms=*/20);
  gate_->lock();
  ASSERT_OK(impatient->Begin(TransactionMode::kWrite));
  ASSERT_OK(impatient->Exec("INSERT INTO child (value) VALUES (1)", {}).status());
  ASSERT_OK(impatient->Commit());
  EXPECT_FALSE(GateFree());  // still the test's
  gate_->unlock();
  EXPECT_EQ(Values(*impatient), std::vector<int64_t>{1});
}

}  // namespace
}  // namespace troupe::store::testing
