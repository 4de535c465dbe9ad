#include "analytics/eval_dataset.h"

#include <nlohmann/json.hpp>

#include "analytics/message_jsonl.h"

namespace troupe::analytics {

namespace {

bool EvalLineIsBlank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

Result<std::vector<std::string>> EvalReferencesOf(const nlohmann::json& object, const std::string& where) {
  const auto single = object.find("reference");
  const auto several = object.find("references");
  if (single != object.end()) {
    if (!single->is_string()) return InvalidArgument(where + ": \"reference\" must be a string", where);
    return std::vector<std::string>{single->get<std::string>()};
  }
  if (several == object.end()) {
    return InvalidArgument(where + ": no \"reference\" (a string) or \"references\" (an array of strings)", where);
  }
  if (!several->is_array() || several->empty()) {
    return InvalidArgument(where + ": \"references\" must be a non-empty array of strings", where);
  }
  std::vector<std::string> references;
  for (const nlohmann::json& reference : *several) {
    if (!reference.is_string()) return InvalidArgument(where + ": every item of \"references\" must be a string", where);
    references.push_back(reference.get<std::string>());
  }
  return references;
}

// nlohmann's exceptions stop here; the caller gets a Status naming the line.
Result<EvalCase> EvalCaseOfLine(std::string_view line, const std::string& where) {
  nlohmann::json object;
  try {
    object = nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& error) {
    return InvalidArgument(where + ": not valid JSON (column " + std::to_string(error.byte) + ")", where);
  } catch (const nlohmann::json::exception&) {
    return InvalidArgument(where + ": not valid JSON (a number out of range)", where);
  }
  if (!object.is_object()) return InvalidArgument(where + ": expected a JSON object with \"prompt\" and \"reference\"", where);
  const auto prompt = object.find("prompt");
  if (prompt == object.end()) return InvalidArgument(where + ": no \"prompt\" field", where);
  if (!prompt->is_string()) return InvalidArgument(where + ": \"prompt\" must be a string", where);
  if (prompt->get_ref<const std::string&>().find_first_not_of(" \t\r\n") == std::string::npos) {
    return InvalidArgument(where + ": \"prompt\" is empty", where);
  }
  TROUPE_ASSIGN_OR_RETURN(std::vector<std::string> references, EvalReferencesOf(object, where));
  return EvalCase{prompt->get<std::string>(), std::move(references)};
}

}  // namespace

Result<std::vector<EvalCase>> ParseEvalDataset(std::string_view content, std::string_view source_name) {
  std::vector<EvalCase> cases;
  size_t line_number = 0;
  for (size_t start = 0; start < content.size();) {
    size_t end = content.find('\n', start);
    if (end == std::string_view::npos) end = content.size();
    std::string_view line = content.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (EvalLineIsBlank(line)) continue;
    if (line.back() == '\r') line.remove_suffix(1);
    TROUPE_ASSIGN_OR_RETURN(EvalCase parsed,
                            EvalCaseOfLine(line, std::string(source_name) + ":" + std::to_string(line_number)));
    cases.push_back(std::move(parsed));
  }
  if (cases.empty()) {
    return InvalidArgument(std::string(source_name) + ": no case (one JSON object per line with \"prompt\" and \"reference\")",
                           std::string(source_name));
  }
  return cases;
}

Result<std::vector<EvalCase>> ReadEvalDataset(const std::string& path) {
  TROUPE_ASSIGN_OR_RETURN(const std::string content, ReadAnalyticsFile(path));
  return ParseEvalDataset(content, path);
}

}  // namespace troupe::analytics
