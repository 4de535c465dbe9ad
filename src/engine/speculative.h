// Speculative decoding for greedy generation: a small draft model with the same vocabulary
// proposes `draft_tokens` tokens, and the main model checks them all in one forward pass, keeping
// the longest run it agrees with plus its own next token. Each pass of the main model then yields
// one to draft_tokens + 1 tokens instead of one.
//
// The output is exactly Generate's for the same request on the main model: every token is still
// chosen by the main model's sampler from the main model's logits, and the kernels give the same
// logits for a token whatever else is in its pass (engine.h's promise). So only greedy requests
// qualify (temperature <= 0; penalties and bias are fine: they are the sampler's); anything else
// throws EngineError(kInvalidInput). Stopping, streaming, grammars and cancellation are
// Generate's. Near the end of the cache the passes shrink, down to plain one-token steps.
//
// Both caches belong to this generation and must start empty (the prompt runs through both).
// Afterwards `cache` holds what Generate's would.
#pragma once

#include <cstdint>

#include "engine/generator.h"
#include "engine/tokenizer.h"
#include "engine/transformer.h"

namespace troupe::engine {

struct SpeculativeOptions {
  int draft_tokens = 4;  // proposed per pass, 1..16
};

struct SpeculativeStats {
  uint32_t passes = 0;    // forward passes of the main model after the prompt
  uint32_t proposed = 0;  // draft tokens checked
  uint32_t accepted = 0;  // draft tokens the main model agreed with
};

GenerationResult GenerateSpeculative(Transformer& main, Transformer& draft, const Tokenizer& tokenizer, KvCache& cache,
                                     KvCache& draft_cache, const GenerationRequest& request,
                                     const GenerationCallbacks& callbacks = {}, SpeculativeOptions options = {},
                                     SpeculativeStats* stats = nullptr);

}  // namespace troupe::engine
