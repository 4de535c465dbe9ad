// The one connection through which a process writes one SQLite file, with group commit.
//
// SQLite lets one writer in at a time. Every write transaction of a process's connections to a
// file (and every write outside a transaction) runs here in turn, inside a savepoint of a shared
// transaction, the batch. A writer that finishes while others wait for their turn leaves the batch
// open for them and waits for its commit; the writer that finds nobody waiting, or the batch full,
// commits it. A burst of N writes costs one commit (one fsync with synchronous=full, one WAL append
// of each page they share) instead of N, and writes run on a connection whose page cache no other
// connection's commit invalidates.
//
// The promises of a transaction hold for each writer: its Leave(keep) returns only once its writes
// are committed, a writer's rollback undoes its own writes only, and it sees the writes of those
// before it in the batch as if they had committed. A batch that fails to commit (a full disk, an
// I/O error) fails every writer in it, so no writer reports a write that was lost. Another process
// writing the same file is kept out by SQLite's locking as before: a batch's BEGIN IMMEDIATE waits
// up to the busy timeout for it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "base/status.h"
#include "store/sql/sqlite_handle.h"

namespace troupe::store::sql {

class SqliteWriter {
 public:
  // Opens its connection with `options` on the first write. `max_batch`: writers per commit.
  explicit SqliteWriter(SqliteOpenOptions options, int max_batch = 64);
  ~SqliteWriter();
  SqliteWriter(const SqliteWriter&) = delete;
  SqliteWriter& operator=(const SqliteWriter&) = delete;

  // Waits for the caller's turn (at most the busy timeout: then kUnavailable, nothing begun) and
  // opens its savepoint; the connection to run its statements on until Leave.
  Result<SqliteHandle*> Enter();
  // Ends the caller's turn, keeping its writes (keep) or undoing them. Keeping: Ok once they are
  // committed, else why not (its writes are then undone). Undoing: Ok once undone.
  Status Leave(bool keep);

  // Batches committed so far, and writers waiting for their turn now (for tests and metrics).
  int64_t batches_committed() const;
  int writers_waiting() const;

 private:
  struct Batch;
  Status Begin();
  void Release();
  Status CloseBatch(Status outcome);

  const SqliteOpenOptions options_;
  const int max_batch_;
  std::unique_ptr<SqliteHandle> handle_;  // used only by the writer whose turn it is

  // The turn: held_ and waiting_ under mutex_. The batch fields belong to whoever holds the turn.
  mutable std::mutex mutex_;
  std::condition_variable turn_free_;
  std::condition_variable batch_closed_;
  bool held_ = false;
  int waiting_ = 0;
  int64_t committed_ = 0;
  std::shared_ptr<Batch> batch_;  // open on handle_, or null
  int members_ = 0;               // writers whose writes the open batch keeps
};

}  // namespace troupe::store::sql
