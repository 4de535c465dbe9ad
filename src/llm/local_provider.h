// The in-process provider: a GGUF model run by Troupe's own engine. One engine thread owns the
// model and runs requests one after another from a bounded queue; Chat() blocks its caller until
// its request has run. Prompts are rendered with the model's chat template (ChatML when it has
// none). A few KV caches ("slots") are kept between requests and the one sharing the longest
// token prefix with a new prompt is reused, so a conversation that resends its history each turn
// only runs its new tokens.
#pragma once

#include <memory>
#include <string>

#include "llm/provider.h"

namespace troupe::engine {
class Model;
}

namespace troupe::llm {

struct LocalProviderOptions {
  std::string name = "local";
  int64_t context_length = 4096;  // per request; capped by the model's trained context
  size_t max_queued = 32;         // requests waiting for the engine; more fail with kResourceExhausted
  int cache_slots = 4;            // KV caches kept for prefix reuse
};

// Tool calls in the Hermes/Qwen format: `<tool_call>{"name": ..., "arguments": {...}}</tool_call>`
// blocks are cut out of `text` and returned; ids are "call_<n>".
std::vector<ToolCall> ExtractToolCalls(std::string& text);

// The provider over a loaded model (not loaded vocab_only). The model is shared so the server can
// report it while the provider runs it.
std::unique_ptr<Provider> MakeLocalProvider(std::shared_ptr<engine::Model> model, LocalProviderOptions options = {});

}  // namespace troupe::llm
