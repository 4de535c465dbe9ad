#include "analytics/message_jsonl.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace troupe::analytics {

namespace {

bool MessageLineIsBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// nlohmann's exceptions stop here; the caller gets a Status naming the line.
Result<std::string> MessageTextOfLine(std::string_view line, const std::string& where) {
  nlohmann::json object;
  try {
    object = nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& error) {
    return InvalidArgument(where + ": not valid JSON (column " + std::to_string(error.byte) + ")", where);
  } catch (const nlohmann::json::exception&) {  // out_of_range: a number too large for a double
    return InvalidArgument(where + ": not valid JSON (a number out of range)", where);
  }
  if (!object.is_object()) return InvalidArgument(where + ": expected a JSON object with a \"text\" field", where);
  const auto text = object.find("text");
  if (text == object.end()) return InvalidArgument(where + ": no \"text\" field", where);
  if (!text->is_string()) return InvalidArgument(where + ": \"text\" must be a string", where);
  return text->get<std::string>();
}

}  // namespace

Result<std::vector<std::string>> ParseMessageJsonl(std::string_view content, std::string_view source_name) {
  std::vector<std::string> messages;
  size_t line_number = 0;
  for (size_t start = 0; start < content.size();) {
    size_t end = content.find('\n', start);
    if (end == std::string_view::npos) end = content.size();
    std::string_view line = content.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (MessageLineIsBlank(line)) continue;
    if (line.back() == '\r') line.remove_suffix(1);
    const std::string where = std::string(source_name) + ":" + std::to_string(line_number);
    TROUPE_ASSIGN_OR_RETURN(std::string text, MessageTextOfLine(line, where));
    messages.push_back(std::move(text));
  }
  return messages;
}

Result<std::string> ReadAnalyticsFile(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return NotFound(path + ": no such file");
  if (std::filesystem::is_directory(path, error)) return InvalidArgument(path + ": is a directory, not a file", path);
  std::ifstream file(path, std::ios::binary);
  if (!file) return Unavailable(path + ": cannot open for reading");
  std::ostringstream content;
  content << file.rdbuf();
  if (file.bad()) return Unavailable(path + ": read failed");
  return content.str();
}

Result<std::vector<std::string>> ReadMessageJsonl(const std::string& path) {
  TROUPE_ASSIGN_OR_RETURN(const std::string content, ReadAnalyticsFile(path));
  return ParseMessageJsonl(content, path);
}

}  // namespace troupe::analytics
