// The one interface the rest of Troupe uses to talk to a language model: "given a chat (messages,
// tools, sampling settings, stop strings), stream back text deltas and end with the whole reply,
// its finish reason and its usage, or an error; cancellable from another thread".
//
// Implementations: the local engine (local_provider.h, in-process, the default) and any
// OpenAI-compatible HTTP endpoint (openai_provider.h). provider_registry.h builds the named
// providers from the configuration; everything above src/llm speaks only Provider.
//
// Threads: Start returns at once and the call runs on the provider's own threads (the local
// engine's thread, or the event loop of the OpenAI-compatible client), so a call in flight holds
// no thread of the caller's while it waits on a model or a network; its callbacks run there and
// must not block. Chat is the blocking form for callers that own their thread (the CLI, jobs).
// Every method is thread-safe; any number of calls may be in flight at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace troupe::llm {

// A function call the model asked for (OpenAI's tool_calls[].function).
struct ToolCall {
  std::string id;              // "call_..." ; providers invent one when the model gives none
  std::string name;
  std::string arguments_json;  // the arguments as the model wrote them (a JSON object's text)
};

struct ChatMessage {
  std::string role;  // "system" | "user" | "assistant" | "tool"
  std::string content;
  std::string name;                  // optional speaker name
  std::vector<ToolCall> tool_calls;  // an assistant turn that called tools
  std::string tool_call_id;          // a "tool" turn: the call it answers
};

// A function the model may call (OpenAI's tools[].function).
struct ToolDefinition {
  std::string name;
  std::string description;
  std::string parameters_json = "{\"type\":\"object\",\"properties\":{}}";  // JSON Schema
};

// Unset values leave the provider's (or the remote server's) defaults.
struct Sampling {
  std::optional<double> temperature;  // 0: greedy
  std::optional<double> top_p;
  std::optional<int> top_k;
  std::optional<double> min_p;
  std::optional<double> repetition_penalty;
  std::optional<double> frequency_penalty;
  std::optional<double> presence_penalty;
  std::optional<uint64_t> seed;
  int max_tokens = 512;
};

// The shape the reply must take (OpenAI's response_format). The local engine enforces it token by
// token (constrained decoding: the reply always parses, and with a schema always validates);
// OpenAI-compatible endpoints get it passed on. A schema outside the subset the local engine
// supports (engine/json_schema.h) fails the call with kInvalidArgument naming "response_format".
struct ResponseFormat {
  enum class Kind { kText, kJsonObject, kJsonSchema, kGrammar };
  Kind kind = Kind::kText;
  std::string name;         // kJsonSchema: the schema's name (OpenAI requires one)
  std::string schema_json;  // kJsonSchema: the JSON Schema
  bool strict = false;      // kJsonSchema: passed on to remote endpoints
  std::string grammar;      // kGrammar: the GBNF-like text of engine/grammar.h (local engine only)
};

struct ChatRequest {
  std::vector<ChatMessage> messages;
  Sampling sampling;
  std::vector<std::string> stop;  // the reply ends before the first of these
  std::vector<ToolDefinition> tools;
  std::string tool_choice;  // "" or "auto" | "none" | "required" | a tool's name
  ResponseFormat response_format;
  std::string model;        // overrides the provider's configured model name ("" = keep)
  // Set from another thread to stop; may be null; must outlive the call. A cancelled call returns
  // what was generated so far with FinishReason::kCancelled. (ChatCall::Cancel does the same.)
  const std::atomic<bool>* cancel = nullptr;
};

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

enum class FinishReason { kStop, kLength, kToolCalls, kCancelled };
std::string_view ToString(FinishReason reason);  // "stop", "length", "tool_calls", "cancelled"

struct ChatResult {
  std::string content;  // the whole reply text (the concatenation of the deltas)
  std::vector<ToolCall> tool_calls;
  FinishReason finish_reason = FinishReason::kStop;
  Usage usage;
  double time_to_first_token_ms = 0;  // from the call to the first delta (or the end)
  double total_ms = 0;
};

struct ChatCallbacks {
  // Each new piece of the reply, in order, never splitting a UTF-8 character. An exception it
  // throws ends the call with kInternal.
  std::function<void(std::string_view delta)> on_delta;
  // Start only: called exactly once, after the last delta, with the result or the error. It runs on
  // a provider thread, or on the caller's inside Start when the call fails before it begins (a
  // full queue, a provider shutting down). It must not throw.
  std::function<void(Result<ChatResult>)> on_done;
};

// A call in flight. Cancel is thread-safe, idempotent and returns at once; the call then ends soon
// (kCancelled with what was written) and on_done still runs once. Dropping the handle does not
// cancel the call: the provider keeps it alive until on_done has run, so a caller may hold it
// weakly (its callbacks often hold the caller).
class ChatCall {
 public:
  virtual ~ChatCall() = default;
  virtual void Cancel() = 0;
};

// What an in-process engine is doing now and has done (the local provider; remote ones have
// none): for /metrics.
struct EngineLoad {
  int64_t queued = 0;                  // requests waiting for a slot
  int64_t waiting_for_prefix = 0;      // requests waiting for another to compute their prompt prefix
  int64_t running = 0;                 // requests generating
  int64_t slots = 0;                   // requests that may generate at once
  int64_t last_step_sequences = 0;     // requests the last forward pass served
  int64_t last_step_tokens = 0;        // tokens it ran
  int64_t steps = 0;                   // forward passes so far
  int64_t prompt_tokens_reused = 0;    // prompt tokens attached from cached KV blocks, so far
  int64_t prompt_tokens_computed = 0;  // prompt tokens run, so far
  // The paged KV cache (engine/kv_pool.h).
  int64_t kv_block_bytes = 0;
  int64_t kv_blocks_capacity = 0;   // what kv_cache_bytes holds
  int64_t kv_blocks_used = 0;       // in a running request's cache
  int64_t kv_blocks_cached = 0;     // kept for a later request with the same prefix
  int64_t kv_blocks_reserved = 0;   // promised to running requests
  int64_t kv_blocks_evicted = 0;    // cached blocks whose memory was taken, so far
  int64_t kv_bytes_allocated = 0;   // block memory held now
  // Speculative decoding (model.draft_path), so far.
  int64_t draft_tokens_proposed = 0;
  int64_t draft_tokens_accepted = 0;
};

struct ProviderInfo {
  std::string name;  // the configured name ("local", "openai", ...)
  std::string kind;  // "local" | "openai"
  std::string model;  // the model file's name or the remote model id
  int64_t context_length = 0;  // tokens a prompt plus reply may take
};

class Provider {
 public:
  virtual ~Provider() = default;

  virtual const ProviderInfo& info() const = 0;

  // Errors: kUnavailable (no model loaded, endpoint unreachable, 5xx after the retries),
  // kDeadlineExceeded (timeout), kResourceExhausted (429 after the retries, queue full),
  // kInvalidArgument (a request the model cannot take, e.g. longer than its context, or bad
  // sampling settings), kUnauthenticated / kPermissionDenied / kNotFound (a remote endpoint's
  // 401 / 403 / 404: a wrong key or model name in the configuration), kInternal (a stream cut or
  // garbled after the first delta: no retry once text has reached the caller). The message names
  // the provider (and for remote errors carries the server's own message). Deltas already
  // delivered stay delivered: a caller that stored them keeps a partial reply and marks it
  // incomplete.
  //
  // Start begins a call and returns at once; everything the call reports arrives through
  // `callbacks` (on_done must be set). The request is the call's own copy.
  virtual std::shared_ptr<ChatCall> Start(ChatRequest request, ChatCallbacks callbacks) = 0;
  // The blocking form: starts the call and waits for it on the calling thread (request.cancel is
  // honoured). Never call it from an I/O thread or from a provider callback.
  Result<ChatResult> Chat(const ChatRequest& request, const ChatCallbacks& callbacks);

  // How many tokens this text is for the provider's model: exact for the local engine, an
  // estimate for remote models (about 4 bytes per token, rounded up).
  virtual int64_t CountTokens(std::string_view text) const = 0;
  // Tokens of a whole chat as the prompt will be built, template overhead included.
  virtual int64_t CountChatTokens(const std::vector<ChatMessage>& messages) const = 0;
  // Text that ends a turn in the model's chat format (e.g. "<|im_end|>"), for stop criteria;
  // empty when the provider handles that itself (remote endpoints do).
  virtual std::vector<std::string> TurnEndStrings() const { return {}; }
  // The engine's load, for providers that run one in-process; thread-safe.
  virtual std::optional<EngineLoad> engine_load() const { return std::nullopt; }
};

// One finished call, for metrics (see ProviderRegistry::SetObserver).
struct ProviderCallRecord {
  std::string provider;
  bool ok = true;
  std::string error;  // the StatusCode name when !ok ("unavailable", "deadline_exceeded", ...)
  double time_to_first_token_ms = 0;
  double total_ms = 0;
  double tokens_per_second = 0;  // completion tokens over the time after the first token
  Usage usage;
};

// A provider that passes everything on to another, for decorators (metrics, redaction) that
// override only what they change.
class ForwardingProvider : public Provider {
 public:
  explicit ForwardingProvider(std::unique_ptr<Provider> inner) : inner_(std::move(inner)) {}

  const ProviderInfo& info() const override { return inner_->info(); }
  std::shared_ptr<ChatCall> Start(ChatRequest request, ChatCallbacks callbacks) override {
    return inner_->Start(std::move(request), std::move(callbacks));
  }
  int64_t CountTokens(std::string_view text) const override { return inner_->CountTokens(text); }
  int64_t CountChatTokens(const std::vector<ChatMessage>& messages) const override {
    return inner_->CountChatTokens(messages);
  }
  std::vector<std::string> TurnEndStrings() const override { return inner_->TurnEndStrings(); }
  std::optional<EngineLoad> engine_load() const override { return inner_->engine_load(); }

 protected:
  Provider& inner() const { return *inner_; }

 private:
  std::unique_ptr<Provider> inner_;
};

class ProviderObserver {
 public:
  virtual ~ProviderObserver() = default;
  virtual void OnCall(const ProviderCallRecord& record) = 0;  // any thread
};

}  // namespace troupe::llm
