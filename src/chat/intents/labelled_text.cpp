#include "chat/intents/labelled_text.h"

#include <algorithm>

#include "base/text.h"

namespace troupe::chat::intents {

namespace {

std::string Where(std::string_view name, size_t line) { return std::string(name) + ":" + std::to_string(line); }

std::string Lowered(std::string_view text) {
  std::string lowered(TrimSpace(text));
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lowered;
}

// One CSV record (RFC 4180: quoted fields, "" inside quotes, newlines inside quotes) from `at`;
// advances `at` and `line` past it.
Result<std::vector<std::string>> CsvRecord(std::string_view text, size_t& at, size_t& line, std::string_view name) {
  std::vector<std::string> fields(1);
  const size_t first_line = line;
  bool quoted = false;
  bool was_quoted = false;
  while (at < text.size()) {
    const char c = text[at++];
    if (quoted) {
      if (c == '"' && at < text.size() && text[at] == '"') {
        fields.back().push_back('"');
        ++at;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        fields.back().push_back(c);
      }
    } else if (c == '"' && fields.back().empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
      was_quoted = false;
    } else if (c == '\n') {
      ++line;
      break;
    } else if (c != '\r') {
      fields.back().push_back(c);
    }
  }
  if (quoted) return InvalidArgument(Where(name, first_line) + ": a quoted field is never closed");
  return fields;
}

}  // namespace

Status CheckIntentName(std::string_view name, const std::string& source) {
  if (name.empty()) return InvalidArgument(source + ": the intent name is empty");
  if (name.size() > 100) return InvalidArgument(source + ": the intent name is longer than 100 bytes");
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= ' ' || byte == 0x7f) {
      return InvalidArgument(source + ": the intent name '" + std::string(name) +
                             "' has a space or control character");
    }
  }
  return Status::Ok();
}

Status AddExample(ParsedIntents& parsed, std::string text, std::string_view intent, std::string source) {
  TROUPE_RETURN_IF_ERROR(CheckIntentName(intent, source));
  const std::string_view trimmed = TrimSpace(text);
  if (trimmed.empty()) return Status::Ok();
  if (trimmed.size() > kMaxExampleBytes) {
    return InvalidArgument(source + ": the example is longer than " + std::to_string(kMaxExampleBytes) + " bytes");
  }
  Intent* found = nullptr;
  for (Intent& existing : parsed.catalog.intents) {
    if (existing.name == intent) found = &existing;
  }
  if (found == nullptr) {
    found = &parsed.catalog.intents.emplace_back();
    found->name = std::string(intent);
  }
  found->examples.emplace_back(trimmed);
  parsed.examples.push_back({std::string(trimmed), std::string(intent), std::move(source)});
  return Status::Ok();
}

Result<ParsedIntents> ParseIntentTsv(std::string_view text, std::string_view name) {
  ParsedIntents parsed;
  size_t line = 0;
  while (!text.empty()) {
    ++line;
    const size_t end = text.find('\n');
    std::string_view row = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!row.empty() && row.back() == '\r') row.remove_suffix(1);
    if (TrimSpace(row).empty() || row.front() == '#') continue;
    const size_t tab = row.rfind('\t');
    if (tab == std::string_view::npos) {
      return InvalidArgument(Where(name, line) + ": expected 'text<TAB>intent', found no tab");
    }
    TROUPE_RETURN_IF_ERROR(
        AddExample(parsed, std::string(row.substr(0, tab)), TrimSpace(row.substr(tab + 1)), Where(name, line)));
  }
  return parsed;
}

Result<ParsedIntents> ParseIntentCsv(std::string_view text, std::string_view name) {
  ParsedIntents parsed;
  size_t at = 0;
  size_t line = 1;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") at = 3;  // a byte-order mark
  TROUPE_ASSIGN_OR_RETURN(std::vector<std::string> header, CsvRecord(text, at, line, name));
  int text_column = -1;
  int intent_column = -1;
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string column = Lowered(header[i]);
    if (text_column < 0 && (column == "text" || column == "utterance" || column == "example" || column == "sentence")) {
      text_column = static_cast<int>(i);
    } else if (intent_column < 0 && (column == "intent" || column == "category" || column == "label")) {
      intent_column = static_cast<int>(i);
    }
  }
  if (text_column < 0 || intent_column < 0) {
    return InvalidArgument(Where(name, 1) +
                           ": the header must name a text column (text, utterance, example or sentence) and an "
                           "intent column (intent, category or label)");
  }
  const size_t needed = static_cast<size_t>(std::max(text_column, intent_column)) + 1;
  while (at < text.size()) {
    const size_t record_line = line;
    TROUPE_ASSIGN_OR_RETURN(std::vector<std::string> record, CsvRecord(text, at, line, name));
    if (record.size() == 1 && TrimSpace(record[0]).empty()) continue;  // a blank line
    if (record.size() < needed) {
      return InvalidArgument(Where(name, record_line) + ": " + std::to_string(record.size()) +
                             " fields, the header has " + std::to_string(header.size()));
    }
    TROUPE_RETURN_IF_ERROR(AddExample(parsed, std::move(record[static_cast<size_t>(text_column)]),
                                      TrimSpace(record[static_cast<size_t>(intent_column)]), Where(name, record_line)));
  }
  return parsed;
}

}  // namespace troupe::chat::intents
