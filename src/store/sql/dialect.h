// The few places where SQLite and PostgreSQL SQL differ. Everything else is written once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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
  // The value at `path` (object keys, outermost first; letters, digits and '_' only) inside JSON
  // `column`, as text: a string's text, a number's digits; NULL when the path is missing or null.
  virtual std::string JsonFieldText(std::string_view column, const std::vector<std::string_view>& path) const = 0;
  // Appended to the job-claim subquery: row locking on PostgreSQL; nothing on SQLite, where the
  // claim runs in a BEGIN IMMEDIATE transaction that already excludes other writers.
  virtual std::string_view ClaimLockClause() const = 0;
  // A query returning one row when table `$1` exists in the current schema.
  virtual std::string_view TableExistsQuery() const = 0;
  // Serialises schema changes across processes for the current transaction ("" = the write
  // transaction already does).
  virtual std::string_view MigrationLockStatement() const = 0;
  // Run first in a read transaction whose statements must all see one snapshot ("" = every read
  // transaction already does: SQLite in WAL mode reads one snapshot from its first read on).
  virtual std::string_view SnapshotReadStatement() const = 0;

  // Full-text search over a table migration 0002 indexes (messages, memories: their `content`).
  // The SQL pieces of "rows of `table` matching the query bound at `query_param`": a FROM source
  // (the table under its own name, so its columns stay unqualified), the condition keeping only
  // matches, and a score, higher for a better match.
  struct FullTextSql {
    std::string from;
    std::string condition;
    std::string score;
  };
  virtual FullTextSql FullTextSearch(std::string_view table, std::string_view query_param) const = 0;
  // The text to bind as that query: rows of conversation `conversation_id` holding any of `terms`
  // (words from SearchTerms, which contain no character of either query syntax). The statement
  // must still filter on conversation_id: only SQLite's index holds it.
  virtual std::string FullTextQuery(int64_t conversation_id, const std::vector<std::string>& terms) const = 0;
  // The statements that index the messages written since the full-text index of messages last
  // caught up, run in order in one write transaction; the last returns the id the index now holds
  // every message through. Empty where messages are indexed in their own transaction (PostgreSQL).
  virtual std::vector<std::string_view> MessageIndexCatchUp() const = 0;
};

const Dialect& SqliteDialect();
const Dialect& PostgresDialect();

}  // namespace troupe::store::sql
