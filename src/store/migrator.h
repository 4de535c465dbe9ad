// Applies and reports the numbered schema migrations of one backend.
#pragma once

#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "store/sql/dialect.h"
#include "store/sql/pool.h"
#include "store/store.h"

namespace troupe::store {

class Migrator {
 public:
  // `known` need not be sorted; the migrator orders it by version.
  Migrator(sql::ConnectionPool& pool, const sql::Dialect& dialect, const Clock& clock,
           std::vector<Migration> known);

  // See Store::Migrate.
  Result<std::vector<int>> Migrate();
  Result<MigrationReport> Report();
  // kFailedPrecondition unless every known migration is applied, unchanged, and none is unknown.
  Status Check();

 private:
  struct Applied {
    int version = 0;
    std::string name;
    std::string checksum;
    int64_t applied_at = 0;
  };

  Result<std::vector<Applied>> ReadApplied(sql::Connection& connection, bool table_may_be_missing);
  // The refusals shared by Migrate and Check: a newer database, or a changed migration.
  Status Verify(const std::vector<Applied>& applied) const;
  int LatestVersion() const;

  sql::ConnectionPool& pool_;
  const sql::Dialect& dialect_;
  const Clock& clock_;
  std::vector<Migration> known_;
  std::vector<std::string> checksums_;  // of known_, same order
};

// The backend's built-in migrations, compiled in from src/store/migrations.
std::vector<Migration> BuiltInMigrations(std::string_view backend);

}  // namespace troupe::store
