// Which backend a store URL names, and where it points.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace troupe::store {

struct DatabaseTarget {
  enum class Backend { kSqlite, kPostgres } backend = Backend::kSqlite;
  std::string location;  // SQLite: the file path; PostgreSQL: the URL or conninfo as given
};

// sqlite://PATH, sqlite:PATH or a plain path -> SQLite; postgres:// or postgresql:// or a
// key=value conninfo ("host=... dbname=...") -> PostgreSQL. kInvalidArgument (field store.url)
// for an empty URL or another scheme.
Result<DatabaseTarget> ParseDatabaseUrl(std::string_view url);

}  // namespace troupe::store
