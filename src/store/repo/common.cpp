#include "store/repo/common.h"

#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

#include "store/search_terms.h"

namespace troupe::store::repo {

Status ValidateJson(std::string_view text, std::string_view field, bool allow_empty, JsonShape shape) {
  if (text.empty() && allow_empty) return Status::Ok();
  const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return InvalidArgument(std::string(field) + " is not valid JSON", std::string(field));
  }
  if (shape == JsonShape::kObject && !parsed.is_object()) {
    return InvalidArgument(std::string(field) + " must be a JSON object", std::string(field));
  }
  if (shape == JsonShape::kArray && !parsed.is_array()) {
    return InvalidArgument(std::string(field) + " must be a JSON array", std::string(field));
  }
  return Status::Ok();
}

std::string EncodeStringArray(const std::vector<std::string>& values) {
  // Invalid UTF-8 is replaced rather than thrown on: the array is data, not a parse target.
  return nlohmann::json(values).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<std::string> DecodeStringArray(const std::string& json) {
  std::vector<std::string> values;
  const nlohmann::json parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array()) return values;
  for (const nlohmann::json& item : parsed) {
    if (item.is_string()) values.push_back(item.get<std::string>());
  }
  return values;
}

Status FieldError(StatusCode code, std::string message, std::string field) {
  return Status(code, std::move(message), std::move(field));
}

int PageLimit(const PageRequest& page) { return std::clamp(page.limit, 1, 500); }

// Cursor text: "k" followed by the keys in hex separated by '.', e.g. "k1a.ff". Opaque to
// callers; the version letter leaves room for other encodings.
std::string EncodeCursor(const std::vector<int64_t>& keys) {
  std::string cursor = "k";
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) cursor += '.';
    char buffer[24];
    const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, keys[i], 16);
    cursor.append(buffer, end);
  }
  return cursor;
}

Result<std::vector<int64_t>> DecodeCursor(const std::string& cursor, size_t key_count) {
  const Status malformed = InvalidArgument("malformed page cursor", "cursor");
  if (cursor.empty() || cursor[0] != 'k') return malformed;
  std::vector<int64_t> keys;
  const char* position = cursor.data() + 1;
  const char* end = cursor.data() + cursor.size();
  while (position < end) {
    int64_t key = 0;
    const auto [next, error] = std::from_chars(position, end, key, 16);
    if (error != std::errc() || next == position) return malformed;
    keys.push_back(key);
    position = next;
    if (position < end) {
      if (*position != '.') return malformed;
      ++position;
      if (position == end) return malformed;
    }
  }
  if (keys.size() != key_count) return malformed;
  return keys;
}

std::string Bind(std::vector<sql::Value>& params, sql::Value value) {
  params.push_back(std::move(value));
  return "$" + std::to_string(params.size());
}

Result<sql::Rows> SearchConversationText(const Context& context, std::string_view table, std::string_view columns,
                                         int64_t conversation_id, std::string_view free_text, int limit,
                                         std::optional<int64_t> before_id) {
  const std::vector<std::string> terms = SearchTerms(free_text);
  if (terms.empty() || limit <= 0) return sql::Rows{};
  std::vector<sql::Value> params{conversation_id};
  const std::string query = Bind(params, context.dialect->FullTextQuery(conversation_id, terms));
  const sql::Dialect::FullTextSql search = context.dialect->FullTextSearch(table, query);
  std::string statement = "SELECT " + std::string(columns) + " FROM " + search.from + " WHERE " + search.condition +
                          " AND " + std::string(table) + ".conversation_id = $1";
  if (before_id) statement += " AND " + std::string(table) + ".id < " + Bind(params, *before_id);
  statement += " ORDER BY " + search.score + " DESC, " + std::string(table) + ".id DESC LIMIT " +
               Bind(params, int64_t{std::min(limit, 500)});
  TROUPE_ASSIGN_OR_RETURN(auto connection, context.pool->Acquire());
  return connection->Query(statement, params);
}

std::string ContainsPattern(std::string_view text) {
  std::string pattern = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  pattern += '%';
  return pattern;
}

}  // namespace troupe::store::repo
