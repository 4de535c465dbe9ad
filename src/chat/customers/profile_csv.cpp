// The profile CSV reader: records first (quotes and line breaks), then the header, the column
// types, and each row's typed cells.
#include "chat/customers/profile_csv.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

namespace troupe::chat::customers {
namespace {

struct ProfileCsvRecord {
  int line = 0;
  std::vector<std::string> cells;
};

// Splits the text into records. kInvalidArgument for an unterminated quote or too many records.
Result<std::vector<ProfileCsvRecord>> SplitCsvRecords(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<ProfileCsvRecord> records;
  ProfileCsvRecord record{1, {}};
  std::string cell;
  int line = 1;
  bool quoted = false;
  bool cell_started = false;
  const auto end_record = [&]() -> Status {
    record.cells.push_back(std::move(cell));
    cell.clear();
    const bool blank = record.cells.size() == 1 && record.cells[0].empty() && !cell_started;
    if (!blank) records.push_back(std::move(record));
    if (records.size() > static_cast<size_t>(kMaxProfileCsvRows) + 1) {
      return InvalidArgument("more than " + std::to_string(kMaxProfileCsvRows) + " rows", "csv");
    }
    record = ProfileCsvRecord{line + 1, {}};
    cell_started = false;
    return Status::Ok();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        cell += c;
      }
    } else if (c == '"') {
      quoted = true;
      cell_started = true;
    } else if (c == ',') {
      record.cells.push_back(std::move(cell));
      cell.clear();
      cell_started = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      TROUPE_RETURN_IF_ERROR(end_record());
      ++line;
    } else {
      cell += c;
      cell_started = true;
    }
  }
  if (quoted) return InvalidArgument("line " + std::to_string(record.line) + ": a quote is never closed", "csv");
  if (cell_started || !record.cells.empty() || !cell.empty()) TROUPE_RETURN_IF_ERROR(end_record());
  return records;
}

std::string LoweredCsvText(std::string_view text) {
  std::string lowered(text);
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lowered;
}

std::optional<double> ParseCsvNumber(std::string_view text) {
  if (text.empty() || text.front() == '+') return std::nullopt;
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<bool> ParseCsvBoolean(std::string_view text) {
  const std::string lowered = LoweredCsvText(text);
  if (lowered == "true") return true;
  if (lowered == "false") return false;
  return std::nullopt;
}

bool DigitsAt(std::string_view text, size_t from, size_t count) {
  if (text.size() < from + count) return false;
  return std::all_of(text.begin() + static_cast<std::ptrdiff_t>(from),
                     text.begin() + static_cast<std::ptrdiff_t>(from + count),
                     [](char c) { return c >= '0' && c <= '9'; });
}

int TwoDigits(std::string_view text, size_t from) { return (text[from] - '0') * 10 + (text[from + 1] - '0'); }

bool IsCsvDate(std::string_view text) {
  if (!DigitsAt(text, 0, 4) || text.size() < 10 || text[4] != '-' || !DigitsAt(text, 5, 2) || text[7] != '-' ||
      !DigitsAt(text, 8, 2)) {
    return false;
  }
  const int month = TwoDigits(text, 5);
  const int day = TwoDigits(text, 8);
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  std::string_view time = text.substr(10);
  if (time.empty()) return true;
  if (time.back() == 'Z') time.remove_suffix(1);
  const bool hours_minutes = time.size() >= 6 && time[0] == 'T' && DigitsAt(time, 1, 2) && time[3] == ':' &&
                             DigitsAt(time, 4, 2) && TwoDigits(time, 1) < 24 && TwoDigits(time, 4) < 60;
  if (!hours_minutes) return false;
  if (time.size() == 6) return true;
  return time.size() == 9 && time[6] == ':' && DigitsAt(time, 7, 2) && TwoDigits(time, 7) < 60;
}

bool FitsType(std::string_view cell, ProfileFieldType type) {
  switch (type) {
    case ProfileFieldType::kString: return true;
    case ProfileFieldType::kNumber: return ParseCsvNumber(cell).has_value();
    case ProfileFieldType::kBoolean: return ParseCsvBoolean(cell).has_value();
    case ProfileFieldType::kDate: return IsCsvDate(cell);
  }
  return false;
}

nlohmann::json TypedCell(const std::string& cell, ProfileFieldType type) {
  switch (type) {
    case ProfileFieldType::kNumber: {
      const double value = *ParseCsvNumber(cell);
      if (std::trunc(value) == value && std::fabs(value) < 9.0e15) return static_cast<int64_t>(value);
      return value;
    }
    case ProfileFieldType::kBoolean: return *ParseCsvBoolean(cell);
    default: return cell;
  }
}

std::string_view TypeNoun(ProfileFieldType type) {
  switch (type) {
    case ProfileFieldType::kNumber: return "a number";
    case ProfileFieldType::kBoolean: return "a boolean (true or false)";
    case ProfileFieldType::kDate: return "a date (YYYY-MM-DD)";
    default: return "a string";
  }
}

// The type most of the column's non-empty cells have, when more than half have it.
ProfileFieldType DetectType(const std::vector<ProfileCsvRecord>& records, size_t column) {
  constexpr std::array<ProfileFieldType, 3> kCandidates = {ProfileFieldType::kNumber, ProfileFieldType::kBoolean,
                                                           ProfileFieldType::kDate};
  std::array<size_t, 3> fits{};
  size_t filled = 0;
  for (size_t r = 1; r < records.size(); ++r) {
    if (column >= records[r].cells.size() || records[r].cells[column].empty()) continue;
    ++filled;
    for (size_t t = 0; t < kCandidates.size(); ++t) fits[t] += FitsType(records[r].cells[column], kCandidates[t]);
  }
  for (size_t t = 0; t < kCandidates.size(); ++t) {
    if (filled > 0 && fits[t] * 2 > filled) return kCandidates[t];
  }
  return ProfileFieldType::kString;
}

// Reads "name" or "name:type" from the header, into `column`. Returns false if `:type` was given.
Result<bool> ReadHeaderCell(const std::string& cell, ProfileCsvColumn& column) {
  const size_t colon = cell.rfind(':');
  column.name = cell;
  if (colon == std::string::npos) return false;
  const std::string type = LoweredCsvText(cell.substr(colon + 1));
  column.name = cell.substr(0, colon);
  for (ProfileFieldType known : {ProfileFieldType::kString, ProfileFieldType::kNumber, ProfileFieldType::kBoolean,
                                 ProfileFieldType::kDate}) {
    if (type == ToString(known)) {
      column.type = known;
      return true;
    }
  }
  return InvalidArgument("column '" + cell + "': unknown type '" + type + "' (string, number, boolean, date)", "csv");
}

}  // namespace

std::string_view ToString(ProfileFieldType type) {
  switch (type) {
    case ProfileFieldType::kNumber: return "number";
    case ProfileFieldType::kBoolean: return "boolean";
    case ProfileFieldType::kDate: return "date";
    default: return "string";
  }
}

Result<ProfileCsv> ParseProfileCsv(std::string_view text) {
  TROUPE_ASSIGN_OR_RETURN(std::vector<ProfileCsvRecord> records, SplitCsvRecords(text));
  if (records.empty()) return InvalidArgument("the CSV is empty: it needs a header row with external_id", "csv");
  const std::vector<std::string>& header = records.front().cells;
  if (header.size() > static_cast<size_t>(kMaxProfileCsvColumns)) {
    return InvalidArgument("more than " + std::to_string(kMaxProfileCsvColumns) + " columns", "csv");
  }
  std::vector<ProfileCsvColumn> columns(header.size());
  std::set<std::string> seen;
  for (size_t c = 0; c < header.size(); ++c) {
    TROUPE_ASSIGN_OR_RETURN(bool typed, ReadHeaderCell(header[c], columns[c]));
    if (columns[c].name.empty()) return InvalidArgument("column " + std::to_string(c + 1) + " has no name", "csv");
    if (!seen.insert(columns[c].name).second) {
      return InvalidArgument("column '" + columns[c].name + "' appears twice", "csv");
    }
    if (!typed) columns[c].type = DetectType(records, c);
  }
  const auto position = [&](std::string_view name) {
    auto found = std::find_if(columns.begin(), columns.end(), [&](const auto& column) { return column.name == name; });
    return found == columns.end() ? std::string::npos : static_cast<size_t>(found - columns.begin());
  };
  const size_t id_column = position("external_id");
  const size_t name_column = position("display_name");
  if (id_column == std::string::npos) return InvalidArgument("the header row has no external_id column", "csv");

  ProfileCsv csv;
  for (size_t c = 0; c < columns.size(); ++c) {
    if (c != id_column && c != name_column) csv.columns.push_back(columns[c]);
  }
  for (size_t r = 1; r < records.size(); ++r) {
    const ProfileCsvRecord& record = records[r];
    ++csv.lines_read;
    const std::string where = "line " + std::to_string(record.line) + ": ";
    if (record.cells.size() != columns.size()) {
      csv.errors.push_back(where + std::to_string(record.cells.size()) + " cells, the header has " +
                           std::to_string(columns.size()));
      continue;
    }
    ProfileCsvRow row;
    row.line = record.line;
    row.external_id = record.cells[id_column];
    if (row.external_id.empty()) {
      csv.errors.push_back(where + "external_id is empty");
      continue;
    }
    std::string error;
    for (size_t c = 0; c < columns.size() && error.empty(); ++c) {
      const std::string& cell = record.cells[c];
      if (c == id_column || cell.empty()) continue;
      if (c == name_column) {
        row.display_name = cell;
      } else if (!FitsType(cell, columns[c].type)) {
        error = where + "column " + columns[c].name + ": '" + cell + "' is not " + std::string(TypeNoun(columns[c].type));
      } else {
        row.fields[columns[c].name] = TypedCell(cell, columns[c].type);
      }
    }
    if (!error.empty()) {
      csv.errors.push_back(std::move(error));
      continue;
    }
    csv.rows.push_back(std::move(row));
  }
  return csv;
}

}  // namespace troupe::chat::customers
