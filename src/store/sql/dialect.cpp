#include "store/sql/dialect.h"

namespace troupe::store::sql {
namespace {

class Sqlite final : public Dialect {
 public:
  std::string_view name() const override { return "sqlite"; }
  // SQLite's LIKE already ignores ASCII case.
  std::string_view CaseInsensitiveLike() const override { return "LIKE"; }
  std::string JsonArrayContains(std::string_view column, std::string_view param) const override {
    return "EXISTS (SELECT 1 FROM json_each(" + std::string(column) + ") WHERE json_each.value = " +
           std::string(param) + ")";
  }
  std::string JsonAsText(std::string_view column) const override { return std::string(column); }
  std::string_view ClaimLockClause() const override { return ""; }
  std::string_view TableExistsQuery() const override {
    return "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1";
  }
  std::string_view MigrationLockStatement() const override { return ""; }
};

class Postgres final : public Dialect {
 public:
  std::string_view name() const override { return "postgres"; }
  std::string_view CaseInsensitiveLike() const override { return "ILIKE"; }
  std::string JsonArrayContains(std::string_view column, std::string_view param) const override {
    // jsonb containment uses the GIN index on the column.
    return std::string(column) + " @> jsonb_build_array(" + std::string(param) + "::text)";
  }
  std::string JsonAsText(std::string_view column) const override {
    return std::string(column) + "::text";
  }
  std::string_view ClaimLockClause() const override { return " FOR UPDATE SKIP LOCKED"; }
  std::string_view TableExistsQuery() const override {
    return "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() "
           "AND table_name = $1";
  }
  // An arbitrary constant key ("troupe" in ASCII) shared by every Troupe node.
  std::string_view MigrationLockStatement() const override {
    return "SELECT pg_advisory_xact_lock(7652689)";
  }
};

}  // namespace

const Dialect& SqliteDialect() {
  static const Sqlite dialect;
  return dialect;
}

const Dialect& PostgresDialect() {
  static const Postgres dialect;
  return dialect;
}

}  // namespace troupe::store::sql
