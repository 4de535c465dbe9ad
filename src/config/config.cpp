#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "base/redact.h"

extern char** environ;

namespace troupe::config {
namespace {

// Where a value being applied came from, so its error can point there.
struct Origin {
  ValueSource source;
  std::string location;  // "troupe.yaml:3:9", "TROUPE_STORE_URL", "--listen"
};

// One setting: how to read it from text, check it, and print it back.
struct SettingSpec {
  SettingInfo info;
  // Sets the value from text; returns "" or what is wrong with the text.
  std::function<std::string(Config&, const std::string&)> apply;
  std::function<std::string(const Config&)> format;
  // How `config show` prints a secret value; empty for settings that are not secret.
  std::function<std::string(const std::string&)> redact;
};

std::string HideWhole(const std::string& value) { return value.empty() ? value : "***"; }

// Every URL-valued setting prints this way: the address stays readable, its credentials do not
// (a userinfo password, query or fragment values named like token, key, secret, password, sig).
std::string ShowUrlWithoutCredentials(const std::string& url) { return RedactUrlCredentials(url); }

using Check = std::function<std::string(const std::string&)>;

std::string ParseInt64(const std::string& text, int64_t& out) {
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, error] = std::from_chars(begin, end, out);
  if (text.empty() || error != std::errc() || ptr != end) return "expected an integer, got '" + text + "'";
  return "";
}

std::string ParseDouble(const std::string& text, double& out) {
  // from_chars for double is in libstdc++ 11+, and unlike strtod it ignores the locale.
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, error] = std::from_chars(begin, end, out);
  if (text.empty() || error != std::errc() || ptr != end || !std::isfinite(out)) {
    return "expected a number, got '" + text + "'";
  }
  return "";
}

Check OneOf(std::vector<std::string> allowed) {
  return [allowed = std::move(allowed)](const std::string& value) -> std::string {
    if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return "";
    std::string list;
    for (const auto& option : allowed) list += (list.empty() ? "" : ", ") + option;
    return "must be one of " + list + ", got '" + value + "'";
  };
}

std::string CheckRange(int64_t value, int64_t low, int64_t high) {
  if (value < low || value > high) {
    return "must be between " + std::to_string(low) + " and " + std::to_string(high) + ", got " +
           std::to_string(value);
  }
  return "";
}

std::string CheckListen(const std::string& value) {
  const size_t colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0) return "expected HOST:PORT, got '" + value + "'";
  int64_t port = 0;
  if (!ParseInt64(value.substr(colon + 1), port).empty() || port < 0 || port > 65535) {
    return "port must be a number from 0 to 65535 in '" + value + "'";
  }
  return "";
}

std::string EnvNameFor(const std::string& key) {
  std::string name = "TROUPE_";
  for (char c : key) name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

// Accessors are generic lambdas so one of them reads a const Config and writes a mutable one.
template <typename Field>
auto Top(Field Config::*field) {
  return [field](auto& config) -> auto& { return config.*field; };
}

template <typename Section, typename Field>
auto In(Section Config::*section, Field Section::*field) {
  return [section, field](auto& config) -> auto& { return (config.*section).*field; };
}

template <typename Access>
SettingSpec StringSetting(std::string key, std::string description, Access access, Check check = {},
                          bool secret = false) {
  SettingSpec spec;
  spec.info = {key, EnvNameFor(key), std::move(description), secret};
  spec.apply = [access, check](Config& config, const std::string& text) -> std::string {
    if (check) {
      std::string problem = check(text);
      if (!problem.empty()) return problem;
    }
    access(config) = text;
    return "";
  };
  spec.format = [access](const Config& config) -> std::string { return access(config); };
  if (secret) spec.redact = HideWhole;
  return spec;
}

template <typename Int, typename Access>
SettingSpec IntSetting(std::string key, std::string description, Access access, int64_t low,
                       int64_t high) {
  SettingSpec spec;
  spec.info = {key, EnvNameFor(key), std::move(description), false};
  spec.apply = [access, low, high](Config& config, const std::string& text) -> std::string {
    int64_t value = 0;
    std::string problem = ParseInt64(text, value);
    if (problem.empty()) problem = CheckRange(value, low, high);
    if (!problem.empty()) return problem;
    access(config) = static_cast<Int>(value);
    return "";
  };
  spec.format = [access](const Config& config) { return std::to_string(access(config)); };
  return spec;
}

template <typename Access>
SettingSpec DoubleSetting(std::string key, std::string description, Access access, double low,
                          double high) {
  SettingSpec spec;
  spec.info = {key, EnvNameFor(key), std::move(description), false};
  spec.apply = [access, low, high](Config& config, const std::string& text) -> std::string {
    double value = 0;
    std::string problem = ParseDouble(text, value);
    if (problem.empty() && (value < low || value > high)) {
      std::ostringstream message;
      message << "must be between " << low << " and " << high << ", got " << value;
      problem = message.str();
    }
    if (!problem.empty()) return problem;
    access(config) = value;
    return "";
  };
  spec.format = [access](const Config& config) {
    std::ostringstream text;
    text << access(config);
    return text.str();
  };
  return spec;
}

// Provider names become YAML keys and environment variable names, so they stay plain.
std::string CheckProviderName(const std::string& name) {
  if (name.empty() || name.size() > 64) return "a provider name must have 1 to 64 characters, got '" + name + "'";
  if (name.front() < 'a' || name.front() > 'z') return "a provider name must start with a-z, got '" + name + "'";
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
      return "a provider name may hold a-z, 0-9, '_' and '-', got '" + name + "'";
    }
  }
  return "";
}

std::string CheckHttpUrl(const std::string& url) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return "must start with http:// or https://, got '" + RedactUrlCredentials(url) + "'";
  }
  if (url.find_first_of(" \t\r\n") != std::string::npos) return "must not contain whitespace";
  return "";
}

// One field of a `providers.<name>` entry.
struct ProviderFieldSpec {
  std::string field;  // "base_url"
  std::string description;
  bool secret = false;
  std::function<std::string(ProviderConfig&, const std::string&)> apply;
  std::function<std::string(const ProviderConfig&)> format;
  // How `config show` prints the value; empty: as it is.
  std::function<std::string(const std::string&)> redact;
};

ProviderFieldSpec ProviderString(std::string field, std::string description, std::string ProviderConfig::*member,
                                 Check check = {}, bool secret = false) {
  ProviderFieldSpec spec{std::move(field), std::move(description), secret, {}, {}, {}};
  spec.apply = [member, check](ProviderConfig& provider, const std::string& text) -> std::string {
    if (check) {
      std::string problem = check(text);
      if (!problem.empty()) return problem;
    }
    provider.*member = text;
    return "";
  };
  spec.format = [member](const ProviderConfig& provider) { return provider.*member; };
  if (secret) spec.redact = HideWhole;
  return spec;
}

ProviderFieldSpec ProviderInt(std::string field, std::string description, int ProviderConfig::*member, int64_t low,
                              int64_t high) {
  ProviderFieldSpec spec{std::move(field), std::move(description), false, {}, {}, {}};
  spec.apply = [member, low, high](ProviderConfig& provider, const std::string& text) -> std::string {
    int64_t value = 0;
    std::string problem = ParseInt64(text, value);
    if (problem.empty()) problem = CheckRange(value, low, high);
    if (!problem.empty()) return problem;
    provider.*member = static_cast<int>(value);
    return "";
  };
  spec.format = [member](const ProviderConfig& provider) { return std::to_string(provider.*member); };
  return spec;
}

const std::vector<ProviderFieldSpec>& ProviderFields() {
  static const std::vector<ProviderFieldSpec> fields = [] {
    std::vector<ProviderFieldSpec> list;
    list.push_back(ProviderString("type", "kind of endpoint: openai (any OpenAI-compatible chat completions API)",
                                  &ProviderConfig::type, OneOf({"openai"})));
    list.push_back(ProviderString("base_url", "API root, e.g. https://api.openai.com/v1 (required)",
                                  &ProviderConfig::base_url, CheckHttpUrl));
    list.back().redact = ShowUrlWithoutCredentials;
    list.push_back(ProviderString("api_key", "API key, sent as a Bearer token (Azure: api-key header)",
                                  &ProviderConfig::api_key, {}, /*secret=*/true));
    list.push_back(ProviderString("model", "remote model id sent with each request", &ProviderConfig::model));
    list.push_back(ProviderString("api_version", "Azure OpenAI api-version (switches to Azure's URL and header)",
                                  &ProviderConfig::api_version));
    list.push_back(ProviderInt("timeout_seconds", "how long to wait for the first token of a reply",
                               &ProviderConfig::timeout_seconds, 1, 86'400));
    list.push_back(ProviderInt("idle_timeout_seconds", "silence allowed between two chunks of a streamed reply",
                               &ProviderConfig::idle_timeout_seconds, 1, 86'400));
    list.push_back(ProviderInt("connect_timeout_seconds", "how long to wait for a connection",
                               &ProviderConfig::connect_timeout_seconds, 1, 3'600));
    list.push_back(ProviderInt("total_timeout_seconds", "limit on one whole request, retries included",
                               &ProviderConfig::total_timeout_seconds, 1, 86'400));
    list.push_back(ProviderInt("max_retries", "retries on 429, 5xx and connection failures before the first token",
                               &ProviderConfig::max_retries, 0, 10));
    list.push_back(ProviderInt("context_length", "tokens the remote model takes (prompts are trimmed to fit)",
                               &ProviderConfig::context_length, 256, 1 << 24));
    list.push_back(ProviderInt("max_turns", "turns sent to this provider at once (0: no limit; past it 429)",
                               &ProviderConfig::max_turns, 0, 1'000'000));
    return list;
  }();
  return fields;
}

const ProviderFieldSpec* FindProviderField(const std::string& field) {
  for (const auto& spec : ProviderFields()) {
    if (spec.field == field) return &spec;
  }
  return nullptr;
}

std::string ProviderEnvName(const std::string& name) {
  std::string out;
  for (char c : name) out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

const std::vector<SettingSpec>& Specs() {
  static const std::vector<SettingSpec> specs = [] {
    std::vector<SettingSpec> list;
    list.push_back(StringSetting(
        "data_dir", "data directory: database file, models, generated assets", Top(&Config::data_dir),
        [](const std::string& value) { return value.empty() ? std::string("must not be empty") : ""; }));
    list.push_back(StringSetting("log.level", "log level: trace, debug, info, warn, error or off",
                                 In(&Config::log, &LogConfig::level),
                                 OneOf({"trace", "debug", "info", "warn", "error", "off"})));
    list.push_back(StringSetting("log.format", "log line format: text, or json (one object per line)",
                                 In(&Config::log, &LogConfig::format), OneOf({"text", "json"})));
    list.push_back(StringSetting("server.listen", "HTTP address HOST:PORT (port 0 picks a free port)",
                                 In(&Config::server, &ServerConfig::listen), CheckListen));
    list.push_back(IntSetting<int>("server.io_threads", "threads serving HTTP",
                                   In(&Config::server, &ServerConfig::io_threads), 1, 256));
    list.push_back(IntSetting<int>("server.handler_threads", "threads running API handlers (never the I/O threads)",
                                   In(&Config::server, &ServerConfig::handler_threads), 1, 256));
    list.push_back(IntSetting<int>("server.handler_queue", "requests waiting for a handler thread; more get 429",
                                   In(&Config::server, &ServerConfig::handler_queue), 1, 1'000'000));
    list.push_back(IntSetting<int64_t>("server.body_limit_bytes", "largest request body accepted",
                                       In(&Config::server, &ServerConfig::body_limit_bytes), 1024,
                                       int64_t{1} << 32));
    list.push_back(IntSetting<int>("server.request_timeout_seconds",
                                   "time allowed to read a request (header, then body) and to write a response or event",
                                   In(&Config::server, &ServerConfig::request_timeout_seconds), 1, 3600));
    list.push_back(IntSetting<int>("server.shutdown_grace_seconds",
                                   "how long open streams may finish after SIGTERM",
                                   In(&Config::server, &ServerConfig::shutdown_grace_seconds), 0, 3600));
    list.push_back(DoubleSetting("server.rate_limit_per_second", "requests per second per API key (0: off)",
                                 In(&Config::server, &ServerConfig::rate_limit_per_second), 0, 1e9));
    list.push_back(IntSetting<int>("server.rate_limit_burst", "requests an API key may send at once",
                                   In(&Config::server, &ServerConfig::rate_limit_burst), 1, 1'000'000));
    list.push_back(IntSetting<int>("server.sse_heartbeat_seconds", "keep-alive comment interval on streams",
                                   In(&Config::server, &ServerConfig::sse_heartbeat_seconds), 1, 3600));
    list.push_back(StringSetting("server.web_dir",
                                 "serve the web UI from this directory (development: web/dist) instead of the "
                                 "copy built into the binary",
                                 In(&Config::server, &ServerConfig::web_dir)));
    list.push_back(StringSetting("store.url",
                                 "database: sqlite://PATH or postgres://USER:PASSWORD@HOST/DB "
                                 "(empty: sqlite in data_dir)",
                                 In(&Config::store, &StoreConfig::url), {}, /*secret=*/true));
    list.back().redact = ShowUrlWithoutCredentials;  // the password and secret parameters only
    list.push_back(IntSetting<int>("store.pool_size", "database connections kept open",
                                   In(&Config::store, &StoreConfig::pool_size), 1, 256));
    list.push_back(IntSetting<int>("store.busy_timeout_ms", "SQLite: how long to wait for a lock",
                                   In(&Config::store, &StoreConfig::busy_timeout_ms), 0, 600'000));
    list.push_back(StringSetting("store.sqlite_synchronous",
                                 "SQLite durability: full (survives power loss) or normal",
                                 In(&Config::store, &StoreConfig::sqlite_synchronous),
                                 OneOf({"full", "normal"})));
    list.push_back(StringSetting("model.path",
                                 "GGUF model run in-process (empty: the default catalog model in "
                                 "data_dir/models, if downloaded)",
                                 In(&Config::model, &ModelConfig::path)));
    list.push_back(IntSetting<int>("model.threads", "compute threads for the model (0: one per CPU core)",
                                   In(&Config::model, &ModelConfig::threads), 0, 1024));
    list.push_back(IntSetting<int>("model.context_length",
                                   "tokens a conversation may hold (capped by the model's own context)",
                                   In(&Config::model, &ModelConfig::context_length), 256, 1 << 20));
    list.push_back(IntSetting<int>("model.cache_slots",
                                   "KV caches kept so a conversation's next turn reuses its prompt prefix",
                                   In(&Config::model, &ModelConfig::cache_slots), 1, 64));
    list.push_back(IntSetting<int>("model.max_queued_requests",
                                   "requests that may wait for the engine; more are refused (429)",
                                   In(&Config::model, &ModelConfig::max_queued_requests), 1, 100'000));
    list.push_back(StringSetting("chat.default_provider",
                                 "provider used when a character or stage names none: local or a name under providers",
                                 In(&Config::chat, &ChatConfig::default_provider), CheckProviderName));
    list.push_back(IntSetting<int>("chat.summary_after_messages",
                                   "older messages that trigger a rolling summary job (0: no summaries)",
                                   In(&Config::chat, &ChatConfig::summary_after_messages), 0, 10'000));
    list.push_back(IntSetting<int>("chat.summary_keep_recent",
                                   "newest messages never folded into the summary (kept verbatim)",
                                   In(&Config::chat, &ChatConfig::summary_keep_recent), 1, 10'000));
    list.push_back(StringSetting("chat.summary_provider",
                                 "provider that writes summaries (empty: the conversation's own)",
                                 In(&Config::chat, &ChatConfig::summary_provider),
                                 [](const std::string& name) { return name.empty() ? std::string() : CheckProviderName(name); }));
    list.push_back(IntSetting<int>("chat.recall_messages",
                                   "earlier messages and facts found by full-text search per turn (0: none)",
                                   In(&Config::chat, &ChatConfig::recall_messages), 0, 50));
    list.push_back(IntSetting<int>("chat.max_turns", "turns running or queued on this node at once (0: no limit)",
                                   In(&Config::chat, &ChatConfig::max_turns), 0, 10'000'000));
    list.push_back(IntSetting<int>("chat.max_turns_per_user", "turns one end user may have at once (0: no limit)",
                                   In(&Config::chat, &ChatConfig::max_turns_per_user), 0, 1'000'000));
    list.push_back(IntSetting<int>("chat.local_max_turns",
                                   "turns the in-process model takes at once (0: model.max_queued_requests + 1)",
                                   In(&Config::chat, &ChatConfig::local_max_turns), 0, 1'000'000));
    list.push_back(StringSetting("chat.proactive_webhook_url",
                                 "URL that messages a character writes first are POSTed to (empty: off)",
                                 In(&Config::chat, &ChatConfig::proactive_webhook_url),
                                 [](const std::string& url) { return url.empty() ? std::string() : CheckHttpUrl(url); }));
    list.back().redact = ShowUrlWithoutCredentials;
    list.push_back(StringSetting("chat.proactive_webhook_secret",
                                 "HMAC-SHA256 key signing webhook deliveries (empty: unsigned)",
                                 In(&Config::chat, &ChatConfig::proactive_webhook_secret), {}, /*secret=*/true));
    return list;
  }();
  return specs;
}

const SettingSpec* FindSpec(const std::string& key) {
  for (const auto& spec : Specs()) {
    if (spec.info.key == key) return &spec;
  }
  return nullptr;
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string Suggestion(const std::string& key) {
  const SettingSpec* best = nullptr;
  size_t best_distance = 4;  // beyond this a suggestion is more confusing than helpful
  for (const auto& spec : Specs()) {
    const size_t distance = EditDistance(key, spec.info.key);
    if (distance < best_distance) {
      best_distance = distance;
      best = &spec;
    }
  }
  return best == nullptr ? "" : " (did you mean '" + best->info.key + "'?)";
}

bool IsSectionPrefix(const std::string& prefix) {
  for (const auto& spec : Specs()) {
    if (spec.info.key.rfind(prefix + ".", 0) == 0) return true;
  }
  return false;
}

Status ApplyValue(LoadedConfig& loaded, const SettingSpec& spec, const std::string& text,
                  const Origin& origin) {
  const std::string problem = spec.apply(loaded.config, text);
  if (!problem.empty()) {
    return InvalidArgument(origin.location + ": " + spec.info.key + ": " + problem, spec.info.key);
  }
  loaded.sources[spec.info.key] = origin.source;
  return Status::Ok();
}

std::string MarkOf(const std::string& file_name, const YAML::Mark& mark) {
  // yaml-cpp counts from 0; editors count from 1.
  return file_name + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

std::string ProviderFieldSuggestion(const std::string& field) {
  const ProviderFieldSpec* best = nullptr;
  size_t best_distance = 4;
  for (const auto& spec : ProviderFields()) {
    const size_t distance = EditDistance(field, spec.field);
    if (distance < best_distance) {
      best_distance = distance;
      best = &spec;
    }
  }
  return best == nullptr ? "" : " (did you mean '" + best->field + "'?)";
}

Status ApplyProviderValue(LoadedConfig& loaded, const std::string& name, const ProviderFieldSpec& spec,
                          const std::string& text, const Origin& origin) {
  const std::string key = "providers." + name + "." + spec.field;
  const std::string problem = spec.apply(loaded.config.providers[name], text);
  if (!problem.empty()) return InvalidArgument(origin.location + ": " + key + ": " + problem, key);
  loaded.sources[key] = origin.source;
  return Status::Ok();
}

// `providers:` maps each name to its fields.
Status ApplyProvidersNode(LoadedConfig& loaded, const YAML::Node& node, const std::string& file_name) {
  if (node.IsNull()) return Status::Ok();
  if (!node.IsMap()) {
    return InvalidArgument(MarkOf(file_name, node.Mark()) + ": 'providers' must map provider names to their settings",
                           "providers");
  }
  for (const auto& entry : node) {
    const YAML::Node& name_node = entry.first;
    const YAML::Node& fields = entry.second;
    const std::string where = MarkOf(file_name, name_node.Mark());
    if (!name_node.IsScalar()) return InvalidArgument(where + ": provider names must be plain names", "providers");
    const std::string name = name_node.Scalar();
    const std::string key = "providers." + name;
    if (std::string problem = CheckProviderName(name); !problem.empty()) {
      return InvalidArgument(where + ": " + key + ": " + problem, key);
    }
    if (name == "local") {
      return InvalidArgument(where + ": " + key + ": 'local' is the in-process model (configured under model)", key);
    }
    if (!fields.IsMap()) {
      return InvalidArgument(where + ": " + key + " must be a mapping of settings (base_url, model, ...)", key);
    }
    loaded.config.providers[name];  // declared, even before its fields are checked
    loaded.sources[key] = {"file", file_name + ":" + std::to_string(name_node.Mark().line + 1)};
    for (const auto& field_entry : fields) {
      const YAML::Node& field_node = field_entry.first;
      const YAML::Node& value = field_entry.second;
      const std::string field_where = MarkOf(file_name, field_node.Mark());
      if (!field_node.IsScalar()) return InvalidArgument(field_where + ": keys must be plain names", key);
      const std::string field = field_node.Scalar();
      const ProviderFieldSpec* spec = FindProviderField(field);
      if (spec == nullptr) {
        return InvalidArgument(field_where + ": unknown key '" + key + "." + field + "'" + ProviderFieldSuggestion(field),
                               key + "." + field);
      }
      if (value.IsMap() || value.IsSequence()) {
        return InvalidArgument(field_where + ": " + key + "." + field + ": expected a single value, not a " +
                                   (value.IsMap() ? "mapping" : "list"),
                               key + "." + field);
      }
      const std::string text = value.IsNull() ? "" : value.Scalar();
      const std::string value_mark = MarkOf(file_name, value.IsNull() ? field_node.Mark() : value.Mark());
      const std::string file_line = file_name + ":" + std::to_string(field_node.Mark().line + 1);
      TROUPE_RETURN_IF_ERROR(ApplyProviderValue(loaded, name, *spec, text, Origin{{"file", file_line}, value_mark}));
    }
  }
  return Status::Ok();
}

// TROUPE_PROVIDERS_<NAME>_<FIELD>: the name is matched against the providers already declared
// (upper-cased, '-' as '_'), else declares a new one named in lower case.
Status ApplyProviderEnvironment(LoadedConfig& loaded, const std::map<std::string, std::string>& environment) {
  static constexpr std::string_view kPrefix = "TROUPE_PROVIDERS_";
  for (const auto& [variable, text] : environment) {
    if (variable.rfind(kPrefix, 0) != 0) continue;
    const std::string rest = variable.substr(kPrefix.size());
    const ProviderFieldSpec* field = nullptr;
    std::string env_name;
    for (const auto& spec : ProviderFields()) {
      const std::string suffix = "_" + ProviderEnvName(spec.field);
      if (rest.size() > suffix.size() && rest.compare(rest.size() - suffix.size(), suffix.size(), suffix) == 0 &&
          (field == nullptr || spec.field.size() > field->field.size())) {
        field = &spec;
        env_name = rest.substr(0, rest.size() - suffix.size());
      }
    }
    if (field == nullptr) {
      std::string fields;
      for (const auto& spec : ProviderFields()) fields += (fields.empty() ? "" : ", ") + ProviderEnvName(spec.field);
      return InvalidArgument(variable + ": not a provider setting; expected TROUPE_PROVIDERS_<NAME>_<FIELD> with FIELD one of " +
                                 fields,
                             "providers");
    }
    std::string name;
    for (const auto& [declared, unused] : loaded.config.providers) {
      if (ProviderEnvName(declared) == env_name) name = declared;
    }
    if (name.empty()) {
      for (char c : env_name) name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const std::string key = "providers." + name;
      if (std::string problem = CheckProviderName(name); !problem.empty()) {
        return InvalidArgument(variable + ": " + key + ": " + problem, key);
      }
      if (name == "local") {
        return InvalidArgument(variable + ": " + key + ": 'local' is the in-process model (configured under model)", key);
      }
      loaded.config.providers[name];
      loaded.sources[key] = {"env", variable};
    }
    TROUPE_RETURN_IF_ERROR(ApplyProviderValue(loaded, name, *field, text, Origin{{"env", variable}, variable}));
  }
  return Status::Ok();
}

// Checks that span keys, once every layer is applied.
Status ValidateWhole(const LoadedConfig& loaded) {
  for (const auto& [name, provider] : loaded.config.providers) {
    if (provider.base_url.empty()) {
      const ValueSource& declared = loaded.sources.at("providers." + name);
      return InvalidArgument(declared.detail + ": providers." + name + ": base_url is required (e.g. https://api.openai.com/v1)",
                             "providers." + name + ".base_url");
    }
  }
  for (const auto& [key, chosen] : {std::pair<std::string, std::string>{"chat.default_provider", loaded.config.chat.default_provider},
                                     {"chat.summary_provider", loaded.config.chat.summary_provider}}) {
    if (chosen.empty() || chosen == "local" || loaded.config.providers.count(chosen) > 0) continue;
    const ValueSource& source = loaded.sources.at(key);
    std::string known = "local";
    for (const auto& [name, provider] : loaded.config.providers) known += ", " + name;
    return InvalidArgument((source.detail.empty() ? source.kind : source.detail) + ": " + key + ": no provider named '" +
                               chosen + "' (configured: " + known + ")",
                           key);
  }
  return Status::Ok();
}

Status ApplyYamlNode(LoadedConfig& loaded, const YAML::Node& node, const std::string& prefix,
                     const std::string& file_name) {
  if (!node.IsMap()) {
    const std::string what = prefix.empty() ? "the file" : "'" + prefix + "'";
    return InvalidArgument(MarkOf(file_name, node.Mark()) + ": " + what + " must be a mapping of keys to values",
                           prefix);
  }
  for (const auto& entry : node) {
    const YAML::Node& key_node = entry.first;
    const YAML::Node& value = entry.second;
    if (!key_node.IsScalar()) {
      return InvalidArgument(MarkOf(file_name, key_node.Mark()) + ": keys must be plain names", prefix);
    }
    const std::string key = prefix.empty() ? key_node.Scalar() : prefix + "." + key_node.Scalar();
    const std::string where = MarkOf(file_name, key_node.Mark());
    if (key == "providers") {
      TROUPE_RETURN_IF_ERROR(ApplyProvidersNode(loaded, value, file_name));
    } else if (const SettingSpec* spec = FindSpec(key)) {
      if (value.IsMap() || value.IsSequence()) {
        return InvalidArgument(where + ": " + key + ": expected a single value, not a " +
                                   (value.IsMap() ? "mapping" : "list"),
                               key);
      }
      const std::string text = value.IsNull() ? "" : value.Scalar();
      const std::string value_mark = MarkOf(file_name, value.IsNull() ? key_node.Mark() : value.Mark());
      const std::string file_line = file_name + ":" + std::to_string(key_node.Mark().line + 1);
      TROUPE_RETURN_IF_ERROR(ApplyValue(loaded, *spec, text, Origin{{"file", file_line}, value_mark}));
    } else if (IsSectionPrefix(key)) {
      if (value.IsNull()) continue;  // an empty section keeps its defaults
      TROUPE_RETURN_IF_ERROR(ApplyYamlNode(loaded, value, key, file_name));
    } else {
      return InvalidArgument(where + ": unknown key '" + key + "'" + Suggestion(key), key);
    }
  }
  return Status::Ok();
}

Status ApplyYamlText(LoadedConfig& loaded, const std::string& yaml, const std::string& file_name) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& error) {
    return InvalidArgument(MarkOf(file_name, error.mark) + ": invalid YAML: " + error.msg);
  }
  if (!root.IsDefined() || root.IsNull()) return Status::Ok();  // empty file: all defaults
  try {
    return ApplyYamlNode(loaded, root, "", file_name);
  } catch (const YAML::Exception& error) {
    return InvalidArgument(MarkOf(file_name, error.mark) + ": " + error.msg);
  }
}

LoadedConfig Defaults() {
  LoadedConfig loaded;
  for (const auto& spec : Specs()) loaded.sources[spec.info.key] = {"default", ""};
  return loaded;
}

}  // namespace

std::string Config::EffectiveStoreUrl() const {
  if (!store.url.empty()) return store.url;
  return "sqlite://" + (std::filesystem::path(data_dir) / "troupe.db").string();
}

const std::vector<SettingInfo>& Settings() {
  static const std::vector<SettingInfo> infos = [] {
    std::vector<SettingInfo> list;
    for (const auto& spec : Specs()) list.push_back(spec.info);
    for (const auto& field : ProviderFields()) {
      list.push_back({"providers.<name>." + field.field, "TROUPE_PROVIDERS_<NAME>_" + ProviderEnvName(field.field),
                      field.description, field.secret});
    }
    return list;
  }();
  return infos;
}

Result<LoadedConfig> LoadFromYamlText(const std::string& yaml, const std::string& file_name) {
  LoadedConfig loaded = Defaults();
  TROUPE_RETURN_IF_ERROR(ApplyYamlText(loaded, yaml, file_name));
  TROUPE_RETURN_IF_ERROR(ValidateWhole(loaded));
  return loaded;
}

Result<LoadedConfig> Load(const LoadRequest& request) {
  LoadedConfig loaded = Defaults();

  if (request.file) {
    std::ifstream in(*request.file, std::ios::binary);
    if (!in) {
      return Status(StatusCode::kNotFound, "config file '" + *request.file + "' cannot be read", "--config");
    }
    std::stringstream text;
    text << in.rdbuf();
    TROUPE_RETURN_IF_ERROR(ApplyYamlText(loaded, text.str(), *request.file));
  }

  for (const auto& spec : Specs()) {
    std::vector<std::string> names = {spec.info.env};
    if (spec.info.key == "data_dir") names.insert(names.begin(), "TROUPE_DATA");
    if (spec.info.key == "model.path") names.insert(names.begin(), "TROUPE_MODEL");
    for (const auto& name : names) {
      auto found = request.environment.find(name);
      if (found == request.environment.end()) continue;
      TROUPE_RETURN_IF_ERROR(ApplyValue(loaded, spec, found->second, Origin{{"env", name}, name}));
    }
  }
  TROUPE_RETURN_IF_ERROR(ApplyProviderEnvironment(loaded, request.environment));

  for (const auto& [key, text] : request.flags) {
    const SettingSpec* spec = FindSpec(key);
    if (spec == nullptr) return InvalidArgument("unknown setting '" + key + "'" + Suggestion(key), key);
    auto name = request.flag_names.find(key);
    const std::string flag = name != request.flag_names.end() ? name->second : "--" + key;
    TROUPE_RETURN_IF_ERROR(ApplyValue(loaded, *spec, text, Origin{{"flag", flag}, flag}));
  }
  TROUPE_RETURN_IF_ERROR(ValidateWhole(loaded));
  return loaded;
}

std::string Render(const LoadedConfig& loaded) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  std::string open_section;
  for (const auto& spec : Specs()) {
    const std::string& key = spec.info.key;
    const size_t dot = key.find('.');
    const std::string section = dot == std::string::npos ? "" : key.substr(0, dot);
    const std::string leaf = dot == std::string::npos ? key : key.substr(dot + 1);
    if (section != open_section) {
      if (!open_section.empty()) out << YAML::EndMap;
      if (!section.empty()) out << YAML::Key << section << YAML::Value << YAML::BeginMap;
      open_section = section;
    }
    std::string value = spec.format(loaded.config);
    if (spec.redact) value = spec.redact(value);
    const ValueSource& source = loaded.sources.at(key);
    std::string origin = source.kind + (source.detail.empty() ? "" : " " + source.detail);
    if (key == "store.url" && value.empty()) {
      value = RedactUrlCredentials(loaded.config.EffectiveStoreUrl());
      origin += ", derived from data_dir";
    }
    out << YAML::Key << leaf << YAML::Value << value << YAML::Comment(origin);
  }
  if (!open_section.empty()) out << YAML::EndMap;
  if (!loaded.config.providers.empty()) {
    out << YAML::Key << "providers" << YAML::Value << YAML::BeginMap;
    for (const auto& [name, provider] : loaded.config.providers) {
      out << YAML::Key << name << YAML::Value << YAML::BeginMap;
      for (const auto& spec : ProviderFields()) {
        std::string value = spec.format(provider);
        if (spec.redact) value = spec.redact(value);
        auto source = loaded.sources.find("providers." + name + "." + spec.field);
        const std::string origin = source == loaded.sources.end()
                                       ? "default"
                                       : source->second.kind + (source->second.detail.empty() ? "" : " " + source->second.detail);
        out << YAML::Key << spec.field << YAML::Value << value << YAML::Comment(origin);
      }
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::map<std::string, std::string> TroupeEnvironment() {
  std::map<std::string, std::string> variables;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    if (text.rfind("TROUPE_", 0) != 0) continue;
    const size_t equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    variables.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return variables;
}

}  // namespace troupe::config
