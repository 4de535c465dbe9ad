// Values that cross the internal SQL seam: positional parameters going in, result cells coming
// out. SQLite hands back typed cells; PostgreSQL (text protocol) hands back strings; the Row
// accessors accept both so repositories read either backend the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace troupe::store::sql {

// A parameter or a result cell. nullptr_t is SQL NULL.
using Value = std::variant<std::nullptr_t, int64_t, double, bool, std::string>;

// Helpers for optional fields: nullopt becomes NULL.
Value Nullable(const std::optional<int64_t>& value);
Value Nullable(const std::optional<double>& value);
Value Nullable(const std::optional<int>& value);
// "" becomes NULL (for optional JSON documents).
Value NullIfEmpty(const std::string& value);

// One result row, materialised. Accessors convert leniently: a NULL reads as 0 / "" / false.
class Row {
 public:
  explicit Row(std::vector<Value> cells) : cells_(std::move(cells)) {}

  size_t size() const { return cells_.size(); }
  bool IsNull(size_t index) const;
  int64_t Int(size_t index) const;
  double Double(size_t index) const;
  bool Bool(size_t index) const;  // 0/1 from SQLite, "t"/"f" from PostgreSQL
  std::string Text(size_t index) const;
  std::optional<int64_t> OptionalInt(size_t index) const;
  std::optional<double> OptionalDouble(size_t index) const;

 private:
  std::vector<Value> cells_;
};

// Reads the cells of a row in SELECT-list order, so mapping code mirrors the column list.
class RowReader {
 public:
  explicit RowReader(const Row& row) : row_(row) {}
  int64_t Int() { return row_.Int(next_++); }
  double Double() { return row_.Double(next_++); }
  bool Bool() { return row_.Bool(next_++); }
  std::string Text() { return row_.Text(next_++); }
  std::optional<int64_t> OptionalInt() { return row_.OptionalInt(next_++); }
  std::optional<double> OptionalDouble() { return row_.OptionalDouble(next_++); }

 private:
  const Row& row_;
  size_t next_ = 0;
};

using Rows = std::vector<Row>;

}  // namespace troupe::store::sql
