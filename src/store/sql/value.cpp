#include "store/sql/value.h"

#include <charconv>
#include <cstdlib>

namespace troupe::store::sql {

Value Nullable(const std::optional<int64_t>& value) {
  return value ? Value(*value) : Value(nullptr);
}
Value Nullable(const std::optional<double>& value) {
  return value ? Value(*value) : Value(nullptr);
}
Value Nullable(const std::optional<int>& value) {
  return value ? Value(static_cast<int64_t>(*value)) : Value(nullptr);
}
Value NullIfEmpty(const std::string& value) { return value.empty() ? Value(nullptr) : Value(value); }

bool Row::IsNull(size_t index) const {
  return index >= cells_.size() || std::holds_alternative<std::nullptr_t>(cells_[index]);
}

int64_t Row::Int(size_t index) const {
  if (IsNull(index)) return 0;
  const Value& cell = cells_[index];
  if (const auto* integer = std::get_if<int64_t>(&cell)) return *integer;
  if (const auto* real = std::get_if<double>(&cell)) return static_cast<int64_t>(*real);
  if (const auto* flag = std::get_if<bool>(&cell)) return *flag ? 1 : 0;
  const std::string& text = std::get<std::string>(cell);
  int64_t parsed = 0;
  std::from_chars(text.data(), text.data() + text.size(), parsed);
  return parsed;
}

double Row::Double(size_t index) const {
  if (IsNull(index)) return 0.0;
  const Value& cell = cells_[index];
  if (const auto* real = std::get_if<double>(&cell)) return *real;
  if (const auto* integer = std::get_if<int64_t>(&cell)) return static_cast<double>(*integer);
  if (const auto* flag = std::get_if<bool>(&cell)) return *flag ? 1.0 : 0.0;
  // strtod rather than from_chars<double>: PostgreSQL prints "Infinity"/"NaN" spellings too.
  return std::strtod(std::get<std::string>(cell).c_str(), nullptr);
}

bool Row::Bool(size_t index) const {
  if (IsNull(index)) return false;
  const Value& cell = cells_[index];
  if (const auto* flag = std::get_if<bool>(&cell)) return *flag;
  if (const auto* text = std::get_if<std::string>(&cell)) {
    return *text == "t" || *text == "true" || *text == "1";
  }
  return Int(index) != 0;
}

std::string Row::Text(size_t index) const {
  if (IsNull(index)) return {};
  const Value& cell = cells_[index];
  if (const auto* text = std::get_if<std::string>(&cell)) return *text;
  if (const auto* integer = std::get_if<int64_t>(&cell)) return std::to_string(*integer);
  if (const auto* real = std::get_if<double>(&cell)) return std::to_string(*real);
  return std::get<bool>(cell) ? "true" : "false";
}

std::optional<int64_t> Row::OptionalInt(size_t index) const {
  if (IsNull(index)) return std::nullopt;
  return Int(index);
}

std::optional<double> Row::OptionalDouble(size_t index) const {
  if (IsNull(index)) return std::nullopt;
  return Double(index);
}

}  // namespace troupe::store::sql
