// The SQLite adapter of the SQL seam. Owns the one wrapper of sqlite3* and sqlite3_stmt*.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "store/sql/connection.h"

namespace troupe::store::sql {

struct SqliteSettings {
  std::string path;
  int busy_timeout_ms = 5000;
  std::string synchronous = "full";  // full | normal
};

// Opens (creating the file and its directory if needed) with WAL journaling, foreign keys on and
// the busy timeout. kUnavailable naming the path when the file cannot be opened or created.
Result<std::unique_ptr<Connection>> OpenSqlite(const SqliteSettings& settings);

// "$1" -> "?1" outside string literals and quoted identifiers.
std::string TranslatePlaceholders(std::string_view sql);

}  // namespace troupe::store::sql
