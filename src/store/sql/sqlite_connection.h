// The SQLite adapter of the SQL seam. Owns the one wrapper of sqlite3* and sqlite3_stmt*.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "base/status.h"
#include "store/sql/connection.h"

namespace troupe::store::sql {

struct SqliteSettings {
  std::string path;
  int busy_timeout_ms = 5000;
  std::string synchronous = "full";  // full | normal
  // Shared by the connections one process opens to one file (null: none). A writer takes it before
  // SQLite's write lock, so this process's writers queue on it and the next one starts as soon as
  // the last commits, instead of polling SQLite's busy handler, which sleeps 1 to 100 ms between
  // tries. Waiting longer than the busy timeout, a writer goes ahead ungated (SQLite's handler then
  // decides), so a thread that holds it and writes on a second connection is slow, not stuck.
  std::shared_ptr<std::timed_mutex> writer_gate;
};

// Opens (creating the file and its directory if needed) with WAL journaling, foreign keys on and
// the busy timeout. kUnavailable naming the path when the file cannot be opened or created.
Result<std::unique_ptr<Connection>> OpenSqlite(const SqliteSettings& settings);

// "$1" -> "?1" outside string literals and quoted identifiers.
std::string TranslatePlaceholders(std::string_view sql);

}  // namespace troupe::store::sql
