// The SQLite adapter of the SQL seam: pooled connections that read on their own sqlite3 handle
// (sqlite_handle.h, the one wrapper of sqlite3* and sqlite3_stmt*) and write through the
// process's writer for the file (sqlite_writer.h).
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "store/sql/connection.h"

namespace troupe::store::sql {

class SqliteWriter;

struct SqliteSettings {
  std::string path;
  int busy_timeout_ms = 5000;
  std::string synchronous = "full";  // full | normal
  // Shared by the connections one process opens to one file (null: each writes on its own
  // connection, SQLite's locking alone ordering them). Their write transactions, and their writes
  // outside a transaction, then run on its connection in turn, committed in groups
  // (sqlite_writer.h).
  std::shared_ptr<SqliteWriter> writer;
};

// Opens (creating the file and its directory if needed) with WAL journaling, foreign keys on and
// the busy timeout. kUnavailable naming the path when the file cannot be opened or created.
Result<std::unique_ptr<Connection>> OpenSqlite(const SqliteSettings& settings);

// "$1" -> "?1" outside string literals and quoted identifiers.
std::string TranslatePlaceholders(std::string_view sql);

}  // namespace troupe::store::sql
