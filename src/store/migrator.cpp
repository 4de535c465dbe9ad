#include "store/migrator.h"

#include <algorithm>
#include <cstdio>

#include "store/api_keys.h"
#include "store/embedded_migrations.h"

namespace troupe::store {
namespace {

constexpr std::string_view kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
    "checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)";

std::string Label(int version, std::string_view name) {
  char number[16];
  std::snprintf(number, sizeof number, "%04d", version);
  return std::string(number) + "_" + std::string(name);
}

// SHA-256 of the migration text: the same digest API keys use, for a different purpose.
std::string Checksum(std::string_view sql) { return HashApiKey(sql); }

}  // namespace

std::vector<Migration> BuiltInMigrations(std::string_view backend) {
  std::vector<Migration> migrations;
  for (const internal::EmbeddedMigration& embedded : internal::EmbeddedMigrations()) {
    if (embedded.backend != backend) continue;
    migrations.push_back({embedded.version, std::string(embedded.name), std::string(embedded.sql)});
  }
  return migrations;
}

Migrator::Migrator(sql::ConnectionPool& pool, const sql::Dialect& dialect, const Clock& clock,
                   std::vector<Migration> known)
    : pool_(pool), dialect_(dialect), clock_(clock), known_(std::move(known)) {
  std::sort(known_.begin(), known_.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  for (const Migration& migration : known_) checksums_.push_back(Checksum(migration.sql));
}

int Migrator::LatestVersion() const { return known_.empty() ? 0 : known_.back().version; }

Result<std::vector<Migrator::Applied>> Migrator::ReadApplied(sql::Connection& connection,
                                                              bool table_may_be_missing) {
  if (table_may_be_missing) {
    TROUPE_ASSIGN_OR_RETURN(sql::Rows exists,
                            connection.Query(dialect_.TableExistsQuery(), {std::string("schema_migrations")}));
    if (exists.empty()) return std::vector<Applied>{};
  }
  TROUPE_ASSIGN_OR_RETURN(
      sql::Rows rows,
      connection.Query("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version", {}));
  std::vector<Applied> applied;
  for (const sql::Row& row : rows) {
    sql::RowReader read(row);
    Applied entry;
    entry.version = static_cast<int>(read.Int());
    entry.name = read.Text();
    entry.checksum = read.Text();
    entry.applied_at = read.Int();
    applied.push_back(std::move(entry));
  }
  return applied;
}

Status Migrator::Verify(const std::vector<Applied>& applied) const {
  const int latest = LatestVersion();
  if (!applied.empty() && applied.back().version > latest) {
    return FailedPrecondition("database schema version " + std::to_string(applied.back().version) +
                              " is newer than this Troupe (knows up to " + std::to_string(latest) +
                              "); upgrade Troupe");
  }
  for (const Applied& entry : applied) {
    for (size_t i = 0; i < known_.size(); ++i) {
      if (known_[i].version == entry.version && checksums_[i] != entry.checksum) {
        return FailedPrecondition("migration " + Label(entry.version, entry.name) +
                                  " was changed after it was applied to this database (checksum " +
                                  entry.checksum.substr(0, 12) + " in the database, " +
                                  checksums_[i].substr(0, 12) + " in this build)");
      }
    }
  }
  return Status::Ok();
}

Result<std::vector<int>> Migrator::Migrate() {
  std::vector<int> applied_now;
  for (;;) {
    TROUPE_ASSIGN_OR_RETURN(auto connection, pool_.Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
    // Serialise with other nodes before reading the state; the lock ends with the transaction.
    if (!dialect_.MigrationLockStatement().empty()) {
      TROUPE_RETURN_IF_ERROR(connection->Query(dialect_.MigrationLockStatement(), {}).status());
    }
    TROUPE_RETURN_IF_ERROR(connection->ExecScript(kCreateTable));
    TROUPE_ASSIGN_OR_RETURN(std::vector<Applied> applied, ReadApplied(*connection, false));
    TROUPE_RETURN_IF_ERROR(Verify(applied));
    const auto pending = std::find_if(known_.begin(), known_.end(), [&](const Migration& migration) {
      return std::none_of(applied.begin(), applied.end(),
                          [&](const Applied& entry) { return entry.version == migration.version; });
    });
    if (pending == known_.end()) {
      TROUPE_RETURN_IF_ERROR(transaction.Commit());
      return applied_now;
    }
    const std::string label = Label(pending->version, pending->name);
    Status status = connection->ExecScript(pending->sql);
    if (status.ok()) {
      status = connection
                   ->Exec("INSERT INTO schema_migrations (version, name, checksum, applied_at) "
                          "VALUES ($1, $2, $3, $4)",
                          {int64_t{pending->version}, pending->name,
                           checksums_[static_cast<size_t>(pending - known_.begin())], clock_.NowMillis()})
                   .status();
    }
    if (status.ok()) status = transaction.Commit();
    // The transaction guard has rolled the migration back by the time the caller sees this.
    if (!status.ok()) return status.WithContext("migration " + label + " failed, nothing of it was applied");
    applied_now.push_back(pending->version);
  }
}

Result<MigrationReport> Migrator::Report() {
  TROUPE_ASSIGN_OR_RETURN(auto connection, pool_.Acquire());
  TROUPE_ASSIGN_OR_RETURN(std::vector<Applied> applied, ReadApplied(*connection, true));
  MigrationReport report;
  report.backend = std::string(dialect_.name());
  report.latest_version = LatestVersion();
  report.current_version = applied.empty() ? 0 : applied.back().version;
  for (const Migration& migration : known_) {
    MigrationState state{migration.version, migration.name, false, std::nullopt};
    for (const Applied& entry : applied) {
      if (entry.version == migration.version) {
        state.applied = true;
        state.applied_at = entry.applied_at;
      }
    }
    report.migrations.push_back(std::move(state));
  }
  // Versions only a newer Troupe knows still show up, so `db status` can name them.
  for (const Applied& entry : applied) {
    if (entry.version > report.latest_version) {
      report.migrations.push_back({entry.version, entry.name, true, entry.applied_at});
    }
  }
  return report;
}

Status Migrator::Check() {
  TROUPE_ASSIGN_OR_RETURN(auto connection, pool_.Acquire());
  TROUPE_ASSIGN_OR_RETURN(std::vector<Applied> applied, ReadApplied(*connection, true));
  TROUPE_RETURN_IF_ERROR(Verify(applied));
  for (const Migration& migration : known_) {
    const bool done = std::any_of(applied.begin(), applied.end(),
                                  [&](const Applied& entry) { return entry.version == migration.version; });
    if (!done) {
      return FailedPrecondition("database schema is at version " +
                                std::to_string(applied.empty() ? 0 : applied.back().version) +
                                ", this Troupe needs " + std::to_string(LatestVersion()) + " (migration " +
                                Label(migration.version, migration.name) + " is pending)");
    }
  }
  return Status::Ok();
}

}  // namespace troupe::store
