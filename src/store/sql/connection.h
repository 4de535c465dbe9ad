// The internal SQL seam: one open database connection, used by one thread at a time (the pool
// hands it out). Repositories write SQL once, with $1..$N placeholders, against this interface;
// the backend adapters translate placeholders, bind values and turn driver errors into Status:
// uniqueness -> kConflict, foreign key -> kConflict, lock timeout / lost connection ->
// kUnavailable, missing table -> kFailedPrecondition, anything else -> kInternal.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/sql/value.h"

namespace troupe::store::sql {

enum class TransactionMode {
  kRead,   // SQLite BEGIN (deferred); PostgreSQL BEGIN
  kWrite,  // SQLite BEGIN IMMEDIATE, so a writer never has to upgrade a read lock and deadlock
};

class Connection {
 public:
  virtual ~Connection() = default;

  // Runs one statement and returns its rows (RETURNING rows for writes).
  virtual Result<Rows> Query(std::string_view sql, const std::vector<Value>& params) = 0;
  // Runs one statement and returns how many rows it changed.
  virtual Result<int64_t> Exec(std::string_view sql, const std::vector<Value>& params) = 0;
  // Runs a script of several statements without parameters (migrations).
  virtual Status ExecScript(std::string_view sql) = 0;

  virtual Status Begin(TransactionMode mode) = 0;
  virtual Status Commit() = 0;
  virtual Status Rollback() = 0;

  // False once the connection is lost; the pool then drops it instead of reusing it.
  virtual bool Healthy() const = 0;
};

// Scope guard for a transaction: rolls back on destruction unless Commit() succeeded.
class Transaction {
 public:
  static Result<Transaction> Begin(Connection& connection, TransactionMode mode);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();

  Status Commit();

 private:
  explicit Transaction(Connection* connection) : connection_(connection) {}
  Connection* connection_;  // null once committed, rolled back or moved from
};

}  // namespace troupe::store::sql
