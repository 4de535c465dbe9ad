#include "config/settings_table_internal.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <sstream>

#include "base/redact.h"

namespace troupe::config {
namespace {

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

// "true", "yes", "on", "1" and their opposites; the problem, or "" when `text` is one of them.
std::string ParseBoolText(const std::string& text, bool& value) {
  if (text == "true" || text == "yes" || text == "on" || text == "1") {
    value = true;
  } else if (text == "false" || text == "no" || text == "off" || text == "0") {
    value = false;
  } else {
    return "expected true or false, got '" + text + "'";
  }
  return "";
}

template <typename Access>
SettingSpec BoolSetting(std::string key, std::string description, Access access) {
  SettingSpec spec;
  spec.info = {key, EnvNameFor(key), std::move(description), false};
  spec.apply = [access](Config& config, const std::string& text) -> std::string {
    return ParseBoolText(text, access(config));
  };
  spec.format = [access](const Config& config) { return std::string(access(config) ? "true" : "false"); };
  return spec;
}

std::string CheckHttpUrl(const std::string& url) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return "must start with http:// or https://, got '" + RedactUrlCredentials(url) + "'";
  }
  if (url.find_first_of(" \t\r\n") != std::string::npos) return "must not contain whitespace";
  return "";
}

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

ProviderFieldSpec ProviderBool(std::string field, std::string description, bool ProviderConfig::*member) {
  ProviderFieldSpec spec{std::move(field), std::move(description), false, {}, {}, {}};
  spec.apply = [member](ProviderConfig& provider, const std::string& text) -> std::string {
    return ParseBoolText(text, provider.*member);
  };
  spec.format = [member](const ProviderConfig& provider) { return std::string(provider.*member ? "true" : "false"); };
  return spec;
}

// The settings of where data lives and how the log reads.
void AddGeneralSettings(std::vector<SettingSpec>& list) {
  list.push_back(StringSetting(
      "data_dir", "data directory: database file, models, generated assets", Top(&Config::data_dir),
      [](const std::string& value) { return value.empty() ? std::string("must not be empty") : ""; }));
  list.push_back(StringSetting("log.level", "log level: trace, debug, info, warn, error or off",
                               In(&Config::log, &LogConfig::level),
                               OneOf({"trace", "debug", "info", "warn", "error", "off"})));
  list.push_back(StringSetting("log.format", "log line format: text, or json (one object per line)",
                               In(&Config::log, &LogConfig::format), OneOf({"text", "json"})));
  list.push_back(BoolSetting("log.redact_pii",
                             "replace e-mail addresses, phone, card and account numbers and postal addresses "
                             "in log lines with placeholders",
                             In(&Config::log, &LogConfig::redact_pii)));
}

// The settings of the HTTP server.
void AddServerSettings(std::vector<SettingSpec>& list) {
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
}

// The settings of the database.
void AddStoreSettings(std::vector<SettingSpec>& list) {
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
}

// The settings of the in-process model.
void AddModelSettings(std::vector<SettingSpec>& list) {
  list.push_back(StringSetting("model.path",
                               "GGUF model run in-process (empty: the default catalog model in "
                               "data_dir/models, if downloaded)",
                               In(&Config::model, &ModelConfig::path)));
  list.push_back(IntSetting<int>("model.threads", "compute threads for the model (0: one per CPU core)",
                                 In(&Config::model, &ModelConfig::threads), 0, 1024));
  list.push_back(IntSetting<int>("model.context_length",
                                 "tokens a conversation may hold (capped by the model's own context)",
                                 In(&Config::model, &ModelConfig::context_length), 256, 1 << 20));
  list.push_back(IntSetting<int>("model.cache_slots", "requests the model generates at once (continuous batching)",
                                 In(&Config::model, &ModelConfig::cache_slots), 1, 64));
  list.push_back(IntSetting<int64_t>("model.kv_cache_bytes",
                                     "memory for KV cache blocks, where prompt prefixes stay for later requests to reuse "
                                     "(0: room for cache_slots full contexts)",
                                     In(&Config::model, &ModelConfig::kv_cache_bytes), 0, int64_t{1} << 50));
  list.push_back(StringSetting("model.draft_path",
                               "small GGUF model with the same vocabulary that proposes tokens the model checks in one "
                               "pass (speculative decoding: greedy requests running alone); empty: none",
                               In(&Config::model, &ModelConfig::draft_path)));
  list.push_back(IntSetting<int>("model.draft_tokens", "tokens the draft model proposes per step",
                                 In(&Config::model, &ModelConfig::draft_tokens), 1, 16));
  list.push_back(StringSetting("model.kv_cache_type", "how KV cache rows are stored: f16, or q8_0 (half the memory)",
                               In(&Config::model, &ModelConfig::kv_cache_type), OneOf({"f16", "q8_0"})));
  list.push_back(IntSetting<int>("model.max_queued_requests",
                                 "requests that may wait for the engine; more are refused (429)",
                                 In(&Config::model, &ModelConfig::max_queued_requests), 1, 100'000));
}

// The settings of the conversation runtime and its providers, memory, limits and webhook.
void AddChatSettings(std::vector<SettingSpec>& list) {
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
}

void AddToolSettings(std::vector<SettingSpec>& list) {
  list.push_back(IntSetting<int>("tools.max_steps",
                                 "rounds of tool calls a reply may make before it must answer (0: tools are never offered)",
                                 In(&Config::tools, &ToolsConfig::max_steps), 0, 32));
}

void AddSupportSettings(std::vector<SettingSpec>& list) {
  list.push_back(IntSetting<int>("support.presence_timeout",
                                 "seconds after an agent's last presence update when it counts as offline",
                                 In(&Config::support, &SupportConfig::presence_timeout), 5, 86400));
}

// What a new installation starts with.
void AddExamplesSettings(std::vector<SettingSpec>& list) {
  list.push_back(BoolSetting("examples.install",
                             "publish the example characters when `troupe serve` first starts on a store "
                             "without characters",
                             In(&Config::examples, &ExamplesConfig::install)));
}

// Where voice messages and pictures in replies come from.
void AddMediaSettings(std::vector<SettingSpec>& list) {
  const auto optional_url = [](const std::string& url) { return url.empty() ? std::string() : CheckHttpUrl(url); };
  list.push_back(StringSetting("speech.provider",
                               "speech for voice messages: espeak (offline) or openai (an OpenAI-compatible "
                               "/v1/audio/speech endpoint)",
                               In(&Config::speech, &SpeechConfig::provider), OneOf({"espeak", "openai"})));
  list.push_back(StringSetting("speech.base_url", "speech.provider openai: the API root",
                               In(&Config::speech, &SpeechConfig::base_url), optional_url));
  list.back().redact = ShowUrlWithoutCredentials;
  list.push_back(StringSetting("speech.api_key", "speech.provider openai: the API key (Bearer)",
                               In(&Config::speech, &SpeechConfig::api_key), {}, /*secret=*/true));
  list.push_back(StringSetting("speech.model", "speech.provider openai: the model",
                               In(&Config::speech, &SpeechConfig::model)));
  list.push_back(StringSetting("speech.voice",
                               "the voice when neither the stage nor the card names one (empty: en-us for espeak, "
                               "alloy for openai)",
                               In(&Config::speech, &SpeechConfig::voice)));
  list.push_back(StringSetting("speech.format", "audio files of voice messages: opus (Ogg Opus) or wav",
                               In(&Config::speech, &SpeechConfig::format), OneOf({"opus", "wav"})));
  list.push_back(StringSetting("speech.allowed_hosts",
                               "speech.provider openai: hosts requests may go to, comma-separated (empty: "
                               "base_url's own)",
                               In(&Config::speech, &SpeechConfig::allowed_hosts)));
  list.push_back(BoolSetting("speech.allow_private",
                             "speech.provider openai: allow a loopback or private address (a local server)",
                             In(&Config::speech, &SpeechConfig::allow_private)));
  list.push_back(IntSetting<int>("speech.timeout_seconds", "speech.provider openai: time allowed per request",
                                 In(&Config::speech, &SpeechConfig::timeout_seconds), 1, 3600));
  list.push_back(StringSetting("images.provider",
                               "pictures in replies: avatar (offline, drawn from the character), openai (an "
                               "OpenAI-compatible images API) or a1111 (an Automatic1111-style txt2img server)",
                               In(&Config::images, &ImagesConfig::provider), OneOf({"avatar", "openai", "a1111"})));
  list.push_back(StringSetting("images.base_url", "images.provider openai or a1111: the API root (required)",
                               In(&Config::images, &ImagesConfig::base_url), optional_url));
  list.back().redact = ShowUrlWithoutCredentials;
  list.push_back(StringSetting("images.api_key", "images.provider openai or a1111: the API key (Bearer)",
                               In(&Config::images, &ImagesConfig::api_key), {}, /*secret=*/true));
  list.push_back(StringSetting("images.model", "images.provider openai: the model (empty: the service's default)",
                               In(&Config::images, &ImagesConfig::model)));
  list.push_back(IntSetting<int>("images.size", "pictures' width and height in pixels",
                                 In(&Config::images, &ImagesConfig::size), 64, 2048));
  list.push_back(IntSetting<int>("images.steps", "images.provider a1111: sampling steps",
                                 In(&Config::images, &ImagesConfig::steps), 1, 200));
  list.push_back(StringSetting("images.image_hosts",
                               "hosts an image URL in a service's answer may be fetched from, comma-separated "
                               "(empty: none)",
                               In(&Config::images, &ImagesConfig::image_hosts)));
  list.push_back(BoolSetting("images.allow_private_image_hosts",
                             "fetch image URLs from loopback or private addresses too",
                             In(&Config::images, &ImagesConfig::allow_private_image_hosts)));
  list.push_back(IntSetting<int>("images.timeout_seconds", "images.provider openai or a1111: time allowed per request",
                                 In(&Config::images, &ImagesConfig::timeout_seconds), 1, 3600));
}

}  // namespace

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
    list.push_back(ProviderBool("redact_pii",
                                "replace e-mail addresses, phone numbers, card numbers and IBANs in what is sent "
                                "to this provider with placeholders",
                                &ProviderConfig::redact_pii));
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
    AddGeneralSettings(list);
    AddServerSettings(list);
    AddStoreSettings(list);
    AddModelSettings(list);
    AddChatSettings(list);
    AddToolSettings(list);
    AddSupportSettings(list);
    AddExamplesSettings(list);
    AddMediaSettings(list);
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

bool IsSectionPrefix(const std::string& prefix) {
  for (const auto& spec : Specs()) {
    if (spec.info.key.rfind(prefix + ".", 0) == 0) return true;
  }
  return false;
}

const std::vector<SettingInfo>& Settings() {
  static const std::vector<SettingInfo> infos = [] {
    std::vector<SettingInfo> list;
    for (const auto& spec : Specs()) list.push_back(spec.info);
    for (const auto& field : ProviderFields()) {
      list.push_back({"providers.<name>." + field.field, "TROUPE_PROVIDERS_<NAME>_" + ProviderEnvName(field.field),
                      field.description, field.secret});
    }
    list.push_back({"tools.secrets.<NAME>", "TROUPE_TOOLS_SECRET_<NAME>",
                    "a secret tool headers name as ${secret:NAME} (NAME: A-Z, 0-9, _)", true});
    return list;
  }();
  return infos;
}

}  // namespace troupe::config
