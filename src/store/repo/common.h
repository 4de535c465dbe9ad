// What every repository shares: the pool, the dialect and the clock, plus the small helpers for
// JSON fields, keyset cursors and error messages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "store/sql/dialect.h"
#include "store/sql/pool.h"
#include "store/store.h"

namespace troupe::store::repo {

struct Context {
  sql::ConnectionPool* pool = nullptr;
  const sql::Dialect* dialect = nullptr;
  const Clock* clock = nullptr;
  int64_t Now() const { return clock->NowMillis(); }
};

enum class JsonShape { kAny, kObject, kArray };

// kInvalidArgument naming `field` unless `text` is a JSON document of `shape` ("" passes when
// `allow_empty`).
Status ValidateJson(std::string_view text, std::string_view field, bool allow_empty = false,
                    JsonShape shape = JsonShape::kAny);

// Arrays of strings travel as JSON text in both backends.
std::string EncodeStringArray(const std::vector<std::string>& values);
std::vector<std::string> DecodeStringArray(const std::string& json);

// A Status with a field, for the codes whose helpers in base/status.h take none.
Status FieldError(StatusCode code, std::string message, std::string field);

// PageRequest.limit clamped to 1..500.
int PageLimit(const PageRequest& page);

// Cursors encode the sort key of the last item returned ("" = none). kInvalidArgument (field
// "cursor") when a cursor does not decode to `key_count` integers.
std::string EncodeCursor(const std::vector<int64_t>& keys);
Result<std::vector<int64_t>> DecodeCursor(const std::string& cursor, size_t key_count);

// Turns `limit + 1` fetched items into a page: the extra item only signals that more exist.
template <typename T, typename KeyOf>
Page<T> MakePage(std::vector<T> items, int limit, KeyOf key_of) {
  Page<T> page;
  if (static_cast<int>(items.size()) > limit) {
    items.resize(static_cast<size_t>(limit));
    page.next_cursor = EncodeCursor(key_of(items.back()));
  }
  page.items = std::move(items);
  return page;
}

// "$N" for the next parameter of `params`, after appending `value` to it.
std::string Bind(std::vector<sql::Value>& params, sql::Value value);

// One page of a table in ascending id order, the cursor being the last id returned. `select` is
// "SELECT <columns> FROM <table>"; `filter` an extra condition over `params` ("" for none); each
// row becomes a record through `read`.
template <typename Record, typename Read>
Result<Page<Record>> PageByAscendingId(const Context& context, std::string_view select, std::string_view filter,
                                       std::vector<sql::Value> params, const PageRequest& page, Read read) {
  const int limit = PageLimit(page);
  int64_t after = 0;
  if (!page.cursor.empty()) {
    TROUPE_ASSIGN_OR_RETURN(std::vector<int64_t> keys, DecodeCursor(page.cursor, 1));
    after = keys[0];
  }
  std::string statement(select);
  statement += " WHERE ";
  if (!filter.empty()) statement += std::string(filter) + " AND ";
  statement += "id > " + Bind(params, after) + " ORDER BY id LIMIT " + Bind(params, int64_t{limit + 1});
  TROUPE_ASSIGN_OR_RETURN(auto connection, context.pool->Acquire());
  TROUPE_ASSIGN_OR_RETURN(sql::Rows rows, connection->Query(statement, params));
  std::vector<Record> items;
  items.reserve(rows.size());
  for (const sql::Row& row : rows) items.push_back(read(row));
  return MakePage(std::move(items), limit, [](const Record& record) { return std::vector<int64_t>{record.id}; });
}

// Full-text search of one conversation's rows of `table` (messages or memories): `columns` of
// the rows matching any word of `free_text` (see SearchTerms), with id below `before_id` when
// given, best match first, newest first among equals, at most `limit` (clamped to 500). No
// words or limit <= 0: no rows, without a query.
Result<sql::Rows> SearchConversationText(const Context& context, std::string_view table, std::string_view columns,
                                         int64_t conversation_id, std::string_view free_text, int limit,
                                         std::optional<int64_t> before_id);

// A LIKE pattern matching `text` anywhere, with %, _ and \ escaped (use with ESCAPE '\').
std::string ContainsPattern(std::string_view text);

}  // namespace troupe::store::repo
