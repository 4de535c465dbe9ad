#include "store/sql/dialect.h"

namespace troupe::store::sql {
namespace {

// `term` between `quote`s, any quote inside doubled (both syntaxes escape a quote that way;
// SearchTerms never yields one, this keeps the quoting correct on its own).
std::string QuotedTerm(std::string_view term, char quote) {
  std::string quoted(1, quote);
  for (char c : term) {
    if (c == quote) quoted += quote;
    quoted += c;
  }
  quoted += quote;
  return quoted;
}

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
  // json_extract gives numbers as numbers: the cast makes every value text, as on PostgreSQL.
  std::string JsonFieldText(std::string_view column, const std::vector<std::string_view>& path) const override {
    std::string json_path = "$";
    for (std::string_view key : path) json_path += "." + std::string(key);
    return "CAST(json_extract(" + std::string(column) + ", '" + json_path + "') AS TEXT)";
  }
  std::string_view ClaimLockClause() const override { return ""; }
  std::string_view TableExistsQuery() const override {
    return "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1";
  }
  std::string_view MigrationLockStatement() const override { return ""; }
  std::string_view SnapshotReadStatement() const override { return ""; }
  // An FTS5 external-content table <table>_fts(content, conversation_id) mirrors the table
  // through triggers. Its conversation_id column turns the conversation into one more indexed
  // term, so FTS5 intersects posting lists instead of scoring every matching row of every
  // conversation; bm25 gives that column no weight.
  FullTextSql FullTextSearch(std::string_view table, std::string_view query_param) const override {
    const std::string t(table);
    return {t + " JOIN (SELECT rowid AS match_id, -bm25(" + t + "_fts, 1.0, 0.0) AS match_score FROM " + t +
                "_fts WHERE " + t + "_fts MATCH " + std::string(query_param) + ") AS matched ON " + t +
                ".id = matched.match_id",
            "1 = 1", "matched.match_score"};
  }
  // conversation_id : "7" AND ("term" OR "term"): FTS5 strings in double quotes are literal, so
  // nothing of the user's text is ever read as syntax.
  std::string FullTextQuery(int64_t conversation_id, const std::vector<std::string>& terms) const override {
    std::string query = "conversation_id : \"" + std::to_string(conversation_id) + "\" AND (";
    for (size_t i = 0; i < terms.size(); ++i) {
      if (i > 0) query += " OR ";
      query += QuotedTerm(terms[i], '"');
    }
    return query + ")";
  }
  // Migration 0003: messages above the watermark are not in messages_fts yet.
  std::vector<std::string_view> MessageIndexCatchUp() const override {
    return {"INSERT INTO messages_fts (rowid, content, conversation_id) "
            "SELECT id, content, conversation_id FROM messages WHERE id > "
            "(SELECT indexed_through FROM text_index_watermarks WHERE table_name = 'messages') ORDER BY id",
            "UPDATE text_index_watermarks SET indexed_through = "
            "MAX(indexed_through, (SELECT COALESCE(MAX(id), 0) FROM messages)) "
            "WHERE table_name = 'messages' RETURNING indexed_through"};
  }
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
  // #>> yields text, and SQL NULL for a JSON null.
  std::string JsonFieldText(std::string_view column, const std::vector<std::string_view>& path) const override {
    std::string keys;
    for (std::string_view key : path) keys += (keys.empty() ? "" : ",") + std::string(key);
    return "(" + std::string(column) + " #>> '{" + keys + "}')";
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
  // READ COMMITTED (the default) takes a snapshot per statement.
  std::string_view SnapshotReadStatement() const override {
    return "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";
  }
  // A stored tsvector column, search_vector, with a GIN index.
  FullTextSql FullTextSearch(std::string_view table, std::string_view query_param) const override {
    const std::string t(table);
    return {t + " CROSS JOIN to_tsquery('english', " + std::string(query_param) + ") AS search_query",
            t + ".search_vector @@ search_query", "ts_rank(" + t + ".search_vector, search_query)"};
  }
  // 'term' | 'term': quoted operands are words to the query parser, never operators.
  std::string FullTextQuery(int64_t, const std::vector<std::string>& terms) const override {
    std::string query;
    for (size_t i = 0; i < terms.size(); ++i) {
      if (i > 0) query += " | ";
      query += QuotedTerm(terms[i], '\'');
    }
    return query;
  }
  // The generated search_vector column is written with the row; GIN's pending list batches the rest.
  std::vector<std::string_view> MessageIndexCatchUp() const override { return {}; }
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
