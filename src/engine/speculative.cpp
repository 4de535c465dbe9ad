#include "engine/speculative.h"

#include <algorithm>
#include <vector>

#include "engine/error.h"
#include "engine/generation/sequence_run.h"
#include "engine/generation/speculative_pass.h"

namespace troupe::engine {
namespace {

void CheckSpeculative(const Transformer& main, const Transformer& draft, const KvCache& cache, const KvCache& draft_cache,
                      const GenerationRequest& request, const SpeculativeOptions& options) {
  if (request.sampling.temperature > 0.0f) ThrowInvalid("speculative decoding: only greedy requests (temperature <= 0)");
  if (main.vocab_size() != draft.vocab_size()) {
    ThrowInvalid("speculative decoding: the draft's vocabulary has " + std::to_string(draft.vocab_size()) +
                 " tokens, the model's " + std::to_string(main.vocab_size()));
  }
  if (options.draft_tokens < 1 || options.draft_tokens > 16) ThrowInvalid("speculative decoding: draft_tokens must be 1..16");
  if (cache.size() != 0 || draft_cache.size() != 0) ThrowInvalid("speculative decoding: both caches must start empty");
}

}  // namespace

GenerationResult GenerateSpeculative(Transformer& main, Transformer& draft, const Tokenizer& tokenizer, KvCache& cache,
                                     KvCache& draft_cache, const GenerationRequest& request,
                                     const GenerationCallbacks& callbacks, SpeculativeOptions options,
                                     SpeculativeStats* stats) {
  CheckSpeculative(main, draft, cache, draft_cache, request, options);
  SpeculativeStats counted;
  generation::SequenceRun run(tokenizer, cache, request, callbacks, main.vocab_size());
  std::vector<float> logits;
  // The prompt, as Generate runs it.
  while (run.in_prompt()) {
    const std::span<const int32_t> tokens = run.NextTokens(request.prompt.size());
    if (tokens.empty()) break;
    if (request.cancel != nullptr &&
        !main.ForwardUnlessCancelled(cache, tokens, false, logits, *request.cancel)) {
      run.Cancel();
      break;
    }
    if (request.cancel == nullptr) main.Forward(cache, tokens, false, logits);
    run.Ran(tokens.size(), logits);
  }
  while (!run.finished()) {
    const generation::PassCount pass =
        generation::SpeculativePass(main, draft, run, cache, draft_cache, options.draft_tokens);
    if (pass.ran == 0) break;
    ++counted.passes;
    counted.proposed += pass.proposed;
    counted.accepted += pass.accepted;
  }
  if (stats != nullptr) *stats = counted;
  return run.TakeResult();
}

}  // namespace troupe::engine
