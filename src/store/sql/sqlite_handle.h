// Internal to the SQLite adapter (sqlite_connection.cpp, sqlite_writer.cpp): one open sqlite3
// database with its cache of prepared statements, statements run with $N parameters, and SQLite's
// error codes turned into Status as connection.h lists. Used by one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "store/sql/value.h"

struct sqlite3;
struct sqlite3_stmt;

namespace troupe::store::sql {

struct SqliteOpenOptions {
  std::string path;
  int busy_timeout_ms = 5000;
  std::string synchronous = "full";  // full | normal
};

class SqliteHandle {
 public:
  // Opens (creating the file and its directory if needed) with WAL journaling, foreign keys on,
  // the busy timeout and the synchronous mode. kUnavailable naming the path on failure.
  static Result<std::unique_ptr<SqliteHandle>> Open(const SqliteOpenOptions& options);
  ~SqliteHandle();
  SqliteHandle(const SqliteHandle&) = delete;
  SqliteHandle& operator=(const SqliteHandle&) = delete;

  // Runs one statement; `rows` null: its rows are stepped through and dropped.
  Status Run(std::string_view sql, const std::vector<Value>& params, Rows* rows);
  // Whether `sql` (prepared and cached) is read-only.
  Result<bool> ReadOnly(std::string_view sql);
  Status ExecScript(std::string_view sql);
  // Rows changed by the last statement.
  int64_t Changes() const;
  // False between BEGIN and the transaction's end.
  bool Autocommit() const;

 private:
  struct DatabaseCloser {
    void operator()(sqlite3* db) const;
  };
  struct StatementFinalizer {
    void operator()(sqlite3_stmt* statement) const;
  };
  // A transparent hash so lookups by string_view need no temporary string.
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  using StatementHandle = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

  explicit SqliteHandle(sqlite3* db) : db_(db) {}
  Result<sqlite3_stmt*> Prepared(std::string_view sql);
  Status Bind(sqlite3_stmt* statement, const std::vector<Value>& params);

  std::unique_ptr<sqlite3, DatabaseCloser> db_;
  // Declared after db_ so the statements are finalized before the database is closed.
  std::unordered_map<std::string, StatementHandle, TextHash, std::equal_to<>> statements_;
};

}  // namespace troupe::store::sql
