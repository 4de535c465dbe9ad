// The few places where SQLite and PostgreSQL SQL differ. Everything else is written once.
#pragma once

#include <string>
#include <string_view>

namespace troupe::store::sql {

class Dialect {
 public:
  virtual ~Dialect() = default;
  virtual std::string_view name() const = 0;  // "sqlite" or "postgres"
  // Case-insensitive LIKE.
  virtual std::string_view CaseInsensitiveLike() const = 0;
  // `column` (a JSON array of strings) contains the text parameter `param` ("$3").
  virtual std::string JsonArrayContains(std::string_view column, std::string_view param) const = 0;
  // `column` (JSON) as text, for substring search.
  virtual std::string JsonAsText(std::string_view column) const = 0;
  // Appended to the job-claim subquery: row locking on PostgreSQL; nothing on SQLite, where the
  // claim runs in a BEGIN IMMEDIATE transaction that already excludes other writers.
  virtual std::string_view ClaimLockClause() const = 0;
  // A query returning one row when table `$1` exists in the current schema.
  virtual std::string_view TableExistsQuery() const = 0;
  // Serialises schema changes across processes for the current transaction ("" = the write
  // transaction already does).
  virtual std::string_view MigrationLockStatement() const = 0;
};

const Dialect& SqliteDialect();
const Dialect& PostgresDialect();

}  // namespace troupe::store::sql
