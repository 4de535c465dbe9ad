#include "chat/tools/http_tool.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "chat/tools/tool_presets.h"
#include "llm/json_schema_check.h"

namespace troupe::chat::tools {

namespace {

constexpr int64_t kMaxTimeoutMs = 120'000;
constexpr int kMaxRetries = 5;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

Status Bad(const std::string& where, const std::string& message) { return InvalidArgument(where + ": " + message, where); }

// The URL's host, with every {placeholder} left as it is; "" when the template has none it can
// name (a placeholder in the host makes allowed_hosts required).
std::string TemplateHost(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(), &curl_url_cleanup);
  if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return "";
  char* host = nullptr;
  if (curl_url_get(parsed.get(), CURLUPART_HOST, &host, 0) != CURLUE_OK || host == nullptr) return "";
  std::string result = Lower(host);
  curl_free(host);
  return result.find('{') == std::string::npos ? result : "";
}

Status ReadHttp(const nlohmann::json& http, const std::string& where, HttpTool& tool) {
  if (!http.is_object()) return Bad(where, "expected an object with method and url");
  static const std::set<std::string> kKeys = {"method", "url", "headers", "timeout_ms", "retries", "allowed_hosts",
                                              "allow_private"};
  for (const auto& [key, value] : http.items()) {
    if (!kKeys.count(key)) return Bad(where + "." + key, "unknown key");
  }
  if (http.contains("method")) {
    if (!http["method"].is_string()) return Bad(where + ".method", "expected a string");
    tool.method = http["method"].get<std::string>();
    std::transform(tool.method.begin(), tool.method.end(), tool.method.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  }
  static const std::set<std::string> kMethods = {"GET", "POST", "PUT", "PATCH", "DELETE"};
  if (!kMethods.count(tool.method)) return Bad(where + ".method", "expected GET, POST, PUT, PATCH or DELETE");
  if (!http.contains("url") || !http["url"].is_string()) return Bad(where + ".url", "expected the endpoint's URL");
  tool.url = http["url"].get<std::string>();
  if (tool.url.rfind("https://", 0) != 0 && tool.url.rfind("http://", 0) != 0) {
    return Bad(where + ".url", "must begin with https:// or http://");
  }
  if (http.contains("headers")) {
    if (!http["headers"].is_object()) return Bad(where + ".headers", "expected an object of names to values");
    for (const auto& [name, value] : http["headers"].items()) {
      if (!value.is_string()) return Bad(where + ".headers." + name, "expected a string");
      if (name.empty() || name.find_first_of(":\r\n ") != std::string::npos) {
        return Bad(where + ".headers." + name, "not a header name");
      }
      tool.headers[name] = value.get<std::string>();
      if (tool.headers[name].find_first_of("\r\n") != std::string::npos) {
        return Bad(where + ".headers." + name, "a header value cannot hold a line break");
      }
    }
  }
  if (http.contains("timeout_ms")) {
    if (!http["timeout_ms"].is_number_integer() || http["timeout_ms"].get<int64_t>() < 1 ||
        http["timeout_ms"].get<int64_t>() > kMaxTimeoutMs) {
      return Bad(where + ".timeout_ms", "expected milliseconds from 1 to " + std::to_string(kMaxTimeoutMs));
    }
    tool.timeout_ms = http["timeout_ms"].get<int64_t>();
  }
  if (http.contains("retries")) {
    if (!http["retries"].is_number_integer() || http["retries"].get<int64_t>() < 0 ||
        http["retries"].get<int64_t>() > kMaxRetries) {
      return Bad(where + ".retries", "expected 0 to " + std::to_string(kMaxRetries));
    }
    tool.retries = static_cast<int>(http["retries"].get<int64_t>());
  }
  if (http.contains("allowed_hosts")) {
    if (!http["allowed_hosts"].is_array()) return Bad(where + ".allowed_hosts", "expected a list of host names");
    for (const nlohmann::json& host : http["allowed_hosts"]) {
      if (!host.is_string() || host.get<std::string>().empty()) return Bad(where + ".allowed_hosts", "expected host names");
      tool.allowed_hosts.push_back(Lower(host.get<std::string>()));
    }
  }
  if (tool.allowed_hosts.empty()) {
    const std::string host = TemplateHost(tool.url);
    if (host.empty()) return Bad(where + ".allowed_hosts", "required when the URL's host is not fixed");
    tool.allowed_hosts.push_back(host);
  }
  if (http.contains("allow_private")) {
    if (!http["allow_private"].is_boolean()) return Bad(where + ".allow_private", "expected true or false");
    tool.allow_private = http["allow_private"].get<bool>();
  }
  return Status::Ok();
}

}  // namespace

Result<HttpTool> ParseHttpTool(const nlohmann::json& given, const std::string& where) {
  if (!given.is_object()) return Bad(where, "expected an object");
  TROUPE_ASSIGN_OR_RETURN(const nlohmann::json definition, ExpandPreset(given, where));
  static const std::set<std::string> kKeys = {"name", "description", "parameters", "http", "confirm", "result"};
  for (const auto& [key, value] : definition.items()) {
    if (!kKeys.count(key)) return Bad(where + "." + key, "unknown key");
  }
  HttpTool tool;
  if (!definition.contains("name") || !definition["name"].is_string()) return Bad(where + ".name", "required");
  tool.name = definition["name"].get<std::string>();
  const bool name_ok = !tool.name.empty() && tool.name.size() <= 64 &&
                       std::all_of(tool.name.begin(), tool.name.end(), [](unsigned char c) {
                         return std::isalnum(c) || c == '_' || c == '-';
                       });
  if (!name_ok) return Bad(where + ".name", "1 to 64 letters, digits, '_' or '-' (OpenAI's rule for function names)");
  if (definition.contains("description")) {
    if (!definition["description"].is_string()) return Bad(where + ".description", "expected text");
    tool.description = definition["description"].get<std::string>();
  }
  if (definition.contains("parameters")) {
    if (!definition["parameters"].is_object()) return Bad(where + ".parameters", "expected a JSON Schema object");
    tool.parameters_json = definition["parameters"].dump();
  }
  TROUPE_RETURN_IF_ERROR(llm::CheckJsonSchema(tool.parameters_json, where + ".parameters"));
  if (!definition.contains("http")) return Bad(where + ".http", "required: the endpoint the tool calls");
  TROUPE_RETURN_IF_ERROR(ReadHttp(definition["http"], where + ".http", tool));
  if (definition.contains("result")) {
    TROUPE_ASSIGN_OR_RETURN(tool.result, ParseResultShape(definition["result"], where + ".result"));
  }
  if (definition.contains("confirm")) {
    if (!definition["confirm"].is_boolean()) return Bad(where + ".confirm", "expected true or false");
    tool.confirm = definition["confirm"].get<bool>();
  }
  return tool;
}

Result<std::vector<HttpTool>> ParseHttpTools(std::string_view json_text, const std::string& where) {
  const nlohmann::json definitions = nlohmann::json::parse(json_text, nullptr, false);
  if (definitions.is_discarded()) return Bad(where, "not valid JSON");
  if (!definitions.is_array()) return Bad(where, "expected a list of tools");
  std::vector<HttpTool> tools;
  std::set<std::string> names;
  for (size_t i = 0; i < definitions.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    TROUPE_ASSIGN_OR_RETURN(HttpTool tool, ParseHttpTool(definitions[i], at));
    if (!names.insert(tool.name).second) return Bad(at + ".name", "'" + tool.name + "' is defined twice");
    tools.push_back(std::move(tool));
  }
  return tools;
}

}  // namespace troupe::chat::tools
