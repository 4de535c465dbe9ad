// The PostgreSQL adapter of the SQL seam, on libpq. Owns the one wrapper of PGconn* and PGresult*.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "store/sql/connection.h"

namespace troupe::store::sql {

struct PostgresSettings {
  std::string conninfo;  // postgres:// URL or key=value connection string
  std::string redacted;  // the same without the password, for error messages
  int connect_timeout_seconds = 5;
};

// kUnavailable with libpq's reason and the redacted URL when the server cannot be reached.
Result<std::unique_ptr<Connection>> OpenPostgres(const PostgresSettings& settings);

}  // namespace troupe::store::sql
