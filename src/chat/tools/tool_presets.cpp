#include "chat/tools/tool_presets.h"

#include <set>

namespace troupe::chat::tools {
namespace {

using nlohmann::json;

Status PresetError(const std::string& where, const std::string& message) { return InvalidArgument(where + ": " + message, where); }

Status OnlyKeys(const json& definition, const std::set<std::string>& keys, const std::string& where) {
  for (const auto& [key, value] : definition.items()) {
    if (!keys.count(key)) return PresetError(where + "." + key, "unknown key for preset '" + definition["preset"].get<std::string>() + "'");
  }
  return Status::Ok();
}

Result<std::string> Text(const json& definition, const std::string& key, const std::string& where,
                         const std::string& fallback, bool required = false) {
  const auto found = definition.find(key);
  if (found == definition.end()) {
    if (required) return PresetError(where + "." + key, "required");
    return fallback;
  }
  if (!found->is_string() || found->get<std::string>().empty()) return PresetError(where + "." + key, "expected text");
  return found->get<std::string>();
}

// The endpoint's settings every tool has, copied as they are (http_tool.cpp checks them).
json HttpPart(const json& definition, const std::string& method, const std::string& url) {
  json http = {{"method", method}, {"url", url}};
  for (const char* key : {"headers", "timeout_ms", "retries", "allowed_hosts", "allow_private"}) {
    if (definition.contains(key)) http[key] = definition[key];
  }
  return http;
}

Result<json> WebSearch(const json& definition, const std::string& where) {
  TROUPE_RETURN_IF_ERROR(OnlyKeys(definition,
                                  {"preset", "name", "description", "url", "language", "max_results", "headers",
                                   "timeout_ms", "allowed_hosts", "allow_private"},
                                  where));
  TROUPE_ASSIGN_OR_RETURN(std::string url, Text(definition, "url", where, "", true));
  TROUPE_ASSIGN_OR_RETURN(std::string name, Text(definition, "name", where, "web_search"));
  TROUPE_ASSIGN_OR_RETURN(std::string description,
                          Text(definition, "description", where,
                               "Search the web. Use it for facts you do not know or that may have changed (news, "
                               "prices, opening hours); it returns the top results' titles, links and snippets."));
  TROUPE_ASSIGN_OR_RETURN(std::string language, Text(definition, "language", where, ""));
  int max_results = 5;
  if (definition.contains("max_results")) {
    const json& value = definition["max_results"];
    if (!value.is_number_integer() || value.get<int64_t>() < 1 || value.get<int64_t>() > 20) {
      return PresetError(where + ".max_results", "expected 1 to 20");
    }
    max_results = static_cast<int>(value.get<int64_t>());
  }
  if (url.find('{') != std::string::npos) return PresetError(where + ".url", "the search endpoint's URL takes no {placeholders}");
  url += (url.find('?') == std::string::npos ? "?" : "&") + std::string("format=json&q={query}");
  if (!language.empty()) {
    const bool plain = language.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-") ==
                       std::string::npos;
    if (!plain) return PresetError(where + ".language", "expected a language code such as en or pt-BR");
    url += "&language=" + language;
  }
  json timeout_default = definition;
  if (!timeout_default.contains("timeout_ms")) timeout_default["timeout_ms"] = 8000;
  return json{{"name", name},
              {"description", description},
              {"parameters",
               {{"type", "object"},
                {"properties", {{"query", {{"type", "string"}, {"minLength", 1}, {"maxLength", 200},
                                           {"description", "what to search for, as you would type it"}}}}},
                {"required", {"query"}},
                {"additionalProperties", false}}},
              {"http", HttpPart(timeout_default, "GET", url)},
              {"result", {{"pointer", "/results"}, {"fields", {"title", "url", "content"}}, {"max_items", max_results}}}};
}

Result<json> RestLookup(const json& definition, const std::string& where) {
  TROUPE_RETURN_IF_ERROR(OnlyKeys(definition,
                                  {"preset", "name", "description", "url", "parameter", "parameter_description",
                                   "fields", "pointer", "headers", "timeout_ms", "retries", "allowed_hosts",
                                   "allow_private"},
                                  where));
  TROUPE_ASSIGN_OR_RETURN(std::string name, Text(definition, "name", where, "", true));
  TROUPE_ASSIGN_OR_RETURN(std::string description, Text(definition, "description", where, "", true));
  TROUPE_ASSIGN_OR_RETURN(std::string url, Text(definition, "url", where, "", true));
  TROUPE_ASSIGN_OR_RETURN(std::string parameter, Text(definition, "parameter", where, "id"));
  TROUPE_ASSIGN_OR_RETURN(std::string parameter_description,
                          Text(definition, "parameter_description", where, "the key of the record to look up"));
  if (url.find("{" + parameter + "}") == std::string::npos) {
    return PresetError(where + ".url", "must hold {" + parameter + "}, where the key goes");
  }
  json tool = {{"name", name},
               {"description", description},
               {"parameters",
                {{"type", "object"},
                 {"properties", {{parameter, {{"type", "string"}, {"minLength", 1}, {"maxLength", 200},
                                              {"description", parameter_description}}}}},
                 {"required", {parameter}},
                 {"additionalProperties", false}}},
               {"http", HttpPart(definition, "GET", url)}};
  json result = json::object();
  if (definition.contains("fields")) result["fields"] = definition["fields"];
  if (definition.contains("pointer")) result["pointer"] = definition["pointer"];
  if (!result.empty()) tool["result"] = std::move(result);
  return tool;
}

}  // namespace

Result<json> ExpandPreset(const json& definition, const std::string& where) {
  if (!definition.is_object() || !definition.contains("preset")) return definition;
  const json& preset = definition["preset"];
  if (preset == "web_search") return WebSearch(definition, where);
  if (preset == "rest_lookup") return RestLookup(definition, where);
  return PresetError(where + ".preset", "unknown preset " + preset.dump() + "; expected web_search or rest_lookup");
}

}  // namespace troupe::chat::tools
