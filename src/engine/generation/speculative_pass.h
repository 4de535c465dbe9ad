// One pass of speculative decoding for a greedy sequence (speculative.h, and BatchGenerator when a
// sequence runs alone): the draft model proposes up to `draft_tokens` tokens after the token the
// run has just sampled, and the main model checks them all in one forward pass; the run takes
// every row it agrees with, then its own next token, exactly as one-token steps would.
//
// The draft cache needs no bookkeeping between passes: each pass first cuts it to the prefix it
// shares with the main cache (cache.tokens()) and runs the rest, so the sequence may also take
// plain steps in between.
#pragma once

#include <cstdint>

#include "engine/generation/sequence_run.h"
#include "engine/transformer.h"

namespace troupe::engine::generation {

struct PassCount {
  uint32_t proposed = 0;  // draft tokens checked
  uint32_t accepted = 0;  // of those, tokens the main model chose too
  uint32_t ran = 0;       // positions the main pass ran (the main cache keeps the accepted ones)
};

// Needs a run past its prompt with a token to run (NextTokens(1) not empty). Throws what Forward
// throws; the main cache then holds what it held before.
PassCount SpeculativePass(Transformer& main, Transformer& draft, SequenceRun& run, KvCache& cache, KvCache& draft_cache,
                          int draft_tokens);

}  // namespace troupe::engine::generation
