// Filling a response template's slots (template_values.h).
#include "chat/templates/template_values.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace troupe::chat::templates {

namespace {

using nlohmann::json;

constexpr size_t kMostValueBytes = 200;
constexpr int kMostDepth = 6;

std::string TemplateScalarText(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
  if (value.is_number()) return value.dump();
  return "";
}

void CollectTemplateScalars(const json& object, const std::string& prefix, int depth, SlotValues& into) {
  if (depth > kMostDepth) return;
  // Shallow fields first, so a top-level "price" beats a nested one of the same short name.
  for (const auto& [key, value] : object.items()) {
    const std::string text = TemplateScalarText(value);
    if (text.empty() || text.size() > kMostValueBytes) continue;
    into.emplace(prefix + key, text);
    if (!prefix.empty()) into.emplace(key, text);
  }
  for (const auto& [key, value] : object.items()) {
    if (value.is_object()) CollectTemplateScalars(value, prefix + key + ".", depth + 1, into);
  }
}

}  // namespace

SlotValues ScalarFields(std::string_view result_json) {
  const json parsed = json::parse(result_json, nullptr, /*allow_exceptions=*/false);
  SlotValues fields;
  if (parsed.is_object()) CollectTemplateScalars(parsed, "", 0, fields);
  return fields;
}

void FillFromToolResults(const ResponseTemplate& response, const std::vector<std::string>& results_json,
                         SlotValues& values) {
  SlotValues found;
  for (const std::string& result : results_json) {
    for (auto& [name, value] : ScalarFields(result)) found[name] = std::move(value);
  }
  for (const std::string& slot : response.slots) {
    const auto value = found.find(slot);
    if (value != found.end() && !values.count(slot)) values[slot] = value->second;
  }
}

void FillFromProfile(const ResponseTemplate& response, const store::User& user, SlotValues& values) {
  const SlotValues metadata = ScalarFields(user.metadata_json);
  for (const std::string& slot : response.slots) {
    if (values.count(slot)) continue;
    if ((slot == "name" || slot == "customer_name" || slot == "display_name") && !user.display_name.empty()) {
      values[slot] = user.display_name;
    } else if (slot == "segment" && !user.segment.empty()) {
      values[slot] = user.segment;
    } else if (const auto field = metadata.find(slot); field != metadata.end()) {
      values[slot] = field->second;
    }
  }
}

llm::ChatRequest FillRequest(const ResponseTemplate& response, const std::vector<std::string>& unfilled,
                             std::vector<llm::ChatMessage> context) {
  json properties = json::object();
  for (const std::string& slot : unfilled) {
    properties[slot] = {{"type", "string"}, {"minLength", 1}, {"maxLength", 80}};
  }
  const json schema = {{"type", "object"},
                       {"properties", properties},
                       {"required", unfilled},
                       {"additionalProperties", false}};
  std::string instruction =
      "Fill in the blanks of this answer from the conversation and the tools' results above: \"" + response.text +
      "\". Answer with a JSON object giving a short value for each of: ";
  for (size_t i = 0; i < unfilled.size(); ++i) instruction += (i == 0 ? "" : ", ") + unfilled[i];
  instruction += ".";
  llm::ChatRequest request;
  request.messages = std::move(context);
  request.messages.push_back({"system", instruction, "", {}, ""});
  request.sampling.temperature = 0;
  request.sampling.max_tokens = static_cast<int>(32 + 40 * unfilled.size());
  request.response_format.kind = llm::ResponseFormat::Kind::kJsonSchema;
  request.response_format.name = "template_values";
  request.response_format.schema_json = schema.dump();
  request.response_format.strict = true;
  return request;
}

void AddModelValues(std::string_view answer_json, const std::vector<std::string>& unfilled, SlotValues& values) {
  const json parsed = json::parse(answer_json, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return;
  for (const std::string& slot : unfilled) {
    const auto value = parsed.find(slot);
    if (value == parsed.end()) continue;
    std::string text = TemplateScalarText(*value);
    const size_t first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) continue;
    text = text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
    if (text.size() <= kMostValueBytes) values[slot] = std::move(text);
  }
}

}  // namespace troupe::chat::templates
