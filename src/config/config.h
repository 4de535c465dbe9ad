// Troupe's typed configuration tree. Three layers, each overriding the one before:
//   1. a YAML file (--config FILE or TROUPE_CONFIG),
//   2. environment variables TROUPE_<KEY> (dots become underscores: store.url -> TROUPE_STORE_URL;
//      data_dir also answers to TROUPE_DATA, model.path to TROUPE_MODEL),
//   3. command-line flags.
// Loading validates every value once; an error names the key and, for the file, the line and
// column. Nothing here touches the network or the database.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace troupe::config {

struct LogConfig {
  std::string level = "info";  // trace | debug | info | warn | error | off
  std::string format = "text";  // text | json (one object per line)
  // Personal data (base/pii.h: e-mail addresses, phone, card and account numbers, postal
  // addresses) in a log line replaced by placeholders before it is written.
  bool redact_pii = true;
};

struct ServerConfig {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free one
  int io_threads = 2;
  int64_t body_limit_bytes = 8 * 1024 * 1024;
  int request_timeout_seconds = 30;   // reading a request, writing a response or event
  int shutdown_grace_seconds = 10;    // how long running streams may finish on SIGTERM
  double rate_limit_per_second = 50;  // per API key, token bucket refill; 0 disables
  int rate_limit_burst = 100;
  int sse_heartbeat_seconds = 15;
  std::string web_dir;  // "" = the web UI built into the binary; else serve it from this directory
  // API handlers run on this pool, never on an I/O thread; past the queue a request gets 429.
  int handler_threads = 4;
  int handler_queue = 4096;
};

struct StoreConfig {
  std::string url;  // "" = sqlite://<data_dir>/troupe.db
  int pool_size = 4;
  int busy_timeout_ms = 5000;
  std::string sqlite_synchronous = "full";  // full | normal
};

// The local model the engine runs in-process.
struct ModelConfig {
  std::string path;         // GGUF file; "" = the default catalog model in <data_dir>/models, if present
  int threads = 0;          // compute threads; 0 = one per CPU core
  int context_length = 4096;  // tokens per conversation (capped by the model's trained context)
  int cache_slots = 4;        // requests generated at once (continuous batching)
  int64_t kv_cache_bytes = 0;  // KV block memory, shared prefixes kept in it; 0 = cache_slots full contexts
  std::string kv_cache_type = "f16";  // f16 | q8_0
  std::string draft_path;   // GGUF draft model for speculative decoding ("" = none)
  int draft_tokens = 4;     // proposals the draft makes per step
  int max_queued_requests = 32;  // requests waiting for the engine; more are refused (429)
};

// A named remote language model (`providers.<name>.*`), reached over an OpenAI-compatible API.
// The environment sets a field as TROUPE_PROVIDERS_<NAME>_<FIELD> (name upper-cased, '-' as '_'),
// and may declare a provider the file does not have.
struct ProviderConfig {
  std::string type = "openai";  // the only kind so far
  std::string base_url;         // required: "https://api.openai.com/v1", "http://127.0.0.1:11434/v1"
  std::string api_key;          // secret
  std::string model;            // the remote model id
  std::string api_version;      // Azure OpenAI: sent as ?api-version=, with the api-key header
  int timeout_seconds = 60;           // waiting for the first token of a reply
  int idle_timeout_seconds = 60;      // silence allowed between two chunks of a stream
  int connect_timeout_seconds = 10;
  int total_timeout_seconds = 600;    // one whole request, retries included
  int max_retries = 2;                // on 429, 5xx and connection failures before the first token
  int context_length = 8192;          // tokens the remote model takes, for trimming prompts
  int max_turns = 0;                  // turns sent to it at once, its capacity (0: no limit; past it 429)
  bool redact_pii = false;            // personal data in prompts replaced by placeholders (base/pii.h)
};

struct ChatConfig {
  // The provider a character or flow stage uses when it names none: "local" (the in-process
  // model) or a name under `providers`.
  std::string default_provider = "local";
  // Long-term memory: a rolling summary is written once this many older messages wait to be
  // folded (0: never), leaving the newest summary_keep_recent verbatim; "" summary_provider: the
  // conversation's own provider. recall_messages: earlier messages (and facts) a turn recalls.
  int summary_after_messages = 40;
  int summary_keep_recent = 20;
  std::string summary_provider;
  int recall_messages = 4;
  // Turns admitted at once (running or queued behind their conversation's earlier turns): on this
  // node, and per end user. Past them a new turn is refused with 429 and Retry-After.
  int max_turns = 2000;
  int max_turns_per_user = 8;
  int local_max_turns = 0;  // turns the in-process model takes at once (0: its queue's size + 1)
  // Messages a character writes first are also POSTed here ("" = off), signed with the secret.
  std::string proactive_webhook_url;
  std::string proactive_webhook_secret;
};

// Tools a character calls on the operator's backend (chat/tools): how many rounds of calls a reply
// may make before it must answer, and the secrets their headers name as ${secret:NAME}.
struct ToolsConfig {
  int max_steps = 4;
  std::map<std::string, std::string> secrets;  // by NAME: `tools.secrets` or TROUPE_TOOLS_SECRET_<NAME>
};

// Human agents who take handed-off conversations: an agent whose presence was not renewed for
// presence_timeout seconds counts as offline (nothing is assigned to it).
struct SupportConfig {
  int presence_timeout = 90;
};

// What a new installation starts with: the example characters, published on the first `serve`
// (chat/example_characters.h says when a store counts as new).
struct ExamplesConfig {
  bool install = true;
};

// Voice messages in replies (docs/studio.md, Voice): the speech provider a stage's `voice` speaks
// with. espeak: espeak-ng offline; openai: an OpenAI-compatible /v1/audio/speech endpoint.
struct SpeechConfig {
  std::string provider = "espeak";
  std::string base_url = "https://api.openai.com/v1";  // openai
  std::string api_key;                                 // openai
  std::string model = "tts-1";                         // openai
  std::string voice;            // when neither the stage nor the card names one ("": en-us / alloy)
  std::string format = "opus";  // opus | wav
  std::string allowed_hosts;    // openai: comma-separated hosts ("": base_url's own)
  bool allow_private = false;   // openai: a loopback or private address may be connected to
  int timeout_seconds = 60;
};

// Pictures in replies (docs/studio.md, Pictures): the image provider a stage's `pictures` draw
// with. avatar: the offline renderer; openai: an OpenAI-compatible images API; a1111: an
// Automatic1111-style txt2img server.
struct ImagesConfig {
  std::string provider = "avatar";
  std::string base_url;   // openai, a1111
  std::string api_key;    // openai, a1111
  std::string model;      // openai ("": the service's default)
  int size = 512;         // pixels, square
  int steps = 25;         // a1111
  std::string image_hosts;  // hosts an image URL in an answer may come from, comma-separated
  bool allow_private_image_hosts = false;
  int timeout_seconds = 120;
};

struct Config {
  std::string data_dir = "./data";
  LogConfig log;
  ServerConfig server;
  StoreConfig store;
  ModelConfig model;
  ChatConfig chat;
  ToolsConfig tools;
  SupportConfig support;
  ExamplesConfig examples;
  SpeechConfig speech;
  ImagesConfig images;
  std::map<std::string, ProviderConfig> providers;  // by name

  // store.url, or the SQLite file in data_dir when that is empty.
  std::string EffectiveStoreUrl() const;
};

// Where a setting's effective value came from, for `troupe config show`.
struct ValueSource {
  std::string kind;    // "default", "file", "env", "flag"
  std::string detail;  // "troupe.yaml:12", "TROUPE_STORE_URL", "--listen"
};

struct LoadedConfig {
  Config config;
  std::map<std::string, ValueSource> sources;  // by dotted key
};

struct LoadRequest {
  std::optional<std::string> file;  // path of the YAML file, if any
  // The process environment as NAME -> value (injected so tests control it).
  std::map<std::string, std::string> environment;
  // Flag values by dotted key, e.g. {"server.listen", "127.0.0.1:0"}; flag names for messages
  // come from `flag_names` (dotted key -> "--listen").
  std::map<std::string, std::string> flags;
  std::map<std::string, std::string> flag_names;
};

// kInvalidArgument naming the key (and file:line:column) for an unknown key, a value of the wrong
// type or out of range, a provider without base_url or a chat.default_provider that names no
// provider; kNotFound when the named file does not exist.
Result<LoadedConfig> Load(const LoadRequest& request);

// Parses YAML text as a config file named `file_name` (for messages) on top of the defaults.
// The fuzz target and tests use this directly.
Result<LoadedConfig> LoadFromYamlText(const std::string& yaml, const std::string& file_name);

// Every setting's dotted key with its environment variable and one-line description. Provider
// fields appear once, as "providers.<name>.<field>" with TROUPE_PROVIDERS_<NAME>_<FIELD>.
struct SettingInfo {
  std::string key;
  std::string env;
  std::string description;
  bool secret = false;
};
const std::vector<SettingInfo>& Settings();

// The effective configuration as YAML, secrets masked, each value followed by a comment that
// says where it came from.
std::string Render(const LoadedConfig& loaded);

// Reads the process environment into the map form LoadRequest takes (TROUPE_* only).
std::map<std::string, std::string> TroupeEnvironment();

}  // namespace troupe::config
