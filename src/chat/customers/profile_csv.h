// Customer profiles as CSV (RFC 4180: commas, double quotes around fields that hold commas,
// quotes or line breaks, "" for a quote; LF or CRLF lines; a UTF-8 byte order mark is skipped).
//
// The header row names the columns: external_id (required), display_name (optional, the user's
// name rather than a profile field), and the profile fields. A column's type is detected from its
// values: number, boolean (true/false) or date (YYYY-MM-DD, optionally with a THH:MM[:SS][Z]
// time) when more than half of its non-empty cells are one of those, otherwise string. A header
// "age:number" (or :string, :boolean, :date) fixes the type instead. A cell that does not fit its
// column's type is an error of its line ("line 7: column age: 'abc' is not a number") and the
// line is left out; an empty cell leaves the field as it is.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace troupe::chat::customers {

enum class ProfileFieldType { kString, kNumber, kBoolean, kDate };
std::string_view ToString(ProfileFieldType type);

struct ProfileCsvColumn {
  std::string name;
  ProfileFieldType type = ProfileFieldType::kString;
};

struct ProfileCsvRow {
  int line = 0;  // where the record starts in the file (the header is line 1)
  std::string external_id;
  std::optional<std::string> display_name;
  nlohmann::json fields = nlohmann::json::object();  // the row's non-empty profile cells, typed
};

struct ProfileCsv {
  std::vector<ProfileCsvColumn> columns;  // the profile columns, in header order
  std::vector<ProfileCsvRow> rows;        // the lines without errors
  std::vector<std::string> errors;        // one per line left out, in line order
  int lines_read = 0;                     // data records, blank lines not counted
};

inline constexpr int kMaxProfileCsvRows = 100000;
inline constexpr int kMaxProfileCsvColumns = 200;

// kInvalidArgument (field "csv") when the file as a whole cannot be read: no header, no
// external_id column, an empty or repeated column name, an unknown :type, an unterminated quote,
// more rows or columns than the limits above.
Result<ProfileCsv> ParseProfileCsv(std::string_view text);

}  // namespace troupe::chat::customers
