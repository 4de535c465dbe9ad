// The in-process provider: a GGUF model run by Troupe's own engine. One engine thread owns the
// model and generates up to `cache_slots` requests at once by continuous batching
// (engine/batch_generator.h: one forward pass per step for all of them, new requests joining
// between steps, long prompts split so replies already streaming keep streaming); more wait in a
// bounded FIFO queue. Chat() blocks its caller until its request has run, and deltas are
// delivered from the engine thread.
//
// Prompts are rendered with the model's chat template (ChatML when it has none), tools passed
// to the template's `tools` variable, and tokenized with control tokens recognised. KV memory is
// a paged pool of kv_cache_bytes (engine/kv_pool.h): a request attaches the blocks that already
// hold its prompt's prefix (the character's prompt another conversation ran, its own history from
// the last turn) and computes only the rest; finished requests leave their blocks cached until
// the budget needs them. A request starts only when the pool can promise the blocks its prompt
// and max_tokens need, so a running reply never finds memory full; one that needs more than the
// whole budget is refused (kResourceExhausted). Requests that arrive together with one prefix
// compute it once: the others wait for its blocks.
//
// The reply ends at an end-of-generation token, at a stop string (the request's, and the
// template's turn ends: TurnEndStrings), at max_tokens or the context (kLength), or when cancel
// is set (checked between tokens; a request cancelled while still queued never runs). With tools,
// Hermes/Qwen `<tool_call>{...}</tool_call>` blocks are returned as tool_calls (finish reason
// kToolCalls) and never streamed as text. Usage counts are exact token counts.
//
// Constrained decoding (reply_grammar_internal.h): a response_format is enforced token by token,
// so a JSON reply always parses and a schema's always validates; a tool call's arguments always
// match the tool's parameter schema (from the first token when tool_choice requires a call, from
// the model's "<tool_call>" with auto). A reply cut short by max_tokens ends kLength as usual.
//
// Errors: kResourceExhausted when max_queued requests already wait, or a request needs more KV
// memory than kv_cache_bytes; kInvalidArgument for a prompt
// that leaves no room for one reply token (naming both counts), bad sampling settings, a template
// that fails on the messages, or a response_format (or required tool call) whose schema or
// grammar the engine cannot enforce; kUnavailable while shutting down.
#pragma once

#include <memory>
#include <string>

#include "llm/local_model.h"
#include "llm/provider.h"

namespace troupe::llm {

struct LocalProviderOptions {
  std::string name = "local";
  int64_t context_length = 4096;  // per request; capped by the model's trained context
  size_t max_queued = 32;         // requests waiting for the engine; more fail with kResourceExhausted
  int cache_slots = 4;            // requests generated at once
  uint64_t kv_cache_bytes = 0;    // KV block memory (engine/kv_pool.h); 0: cache_slots full contexts
  std::string kv_cache_type = "f16";  // f16 | q8_0
  // Speculative decoding: a model with the same vocabulary that proposes draft_tokens tokens per
  // step for a greedy request running alone (engine/batch_generator.h). Null: off.
  std::shared_ptr<LocalModel> draft;
  int draft_tokens = 4;
};

// The provider over a loaded model (not null, not loaded vocab_only). The model is shared so the
// server can report it while the provider runs it; the provider keeps it alive. kInvalidArgument
// for a kv_cache_type other than f16 and q8_0, q8_0 on a model whose heads are not multiples of
// 32 wide, a kv_cache_bytes smaller than one block, or a draft whose vocabulary differs.
Result<std::unique_ptr<Provider>> MakeLocalProvider(std::shared_ptr<LocalModel> model, LocalProviderOptions options = {});

}  // namespace troupe::llm
