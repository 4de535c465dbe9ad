// Generate: one sequence's SequenceRun driven by its own forward passes, the prompt in batches
// (each looking at the cancel flag between layers), then one token per step.
#include "engine/generator.h"

#include "engine/generation/sequence_run.h"

namespace troupe::engine {

std::string_view StopReasonName(StopReason reason) {
  switch (reason) {
    case StopReason::kEndOfGeneration: return "eos";
    case StopReason::kStopString: return "stop";
    case StopReason::kMaxTokens: return "length";
    case StopReason::kContextFull: return "context_full";
    case StopReason::kCancelled: return "cancelled";
  }
  return "unknown";
}

GenerationResult Generate(Transformer& transformer, const Tokenizer& tokenizer, KvCache& cache,
                          const GenerationRequest& request, const GenerationCallbacks& callbacks) {
  generation::SequenceRun run(tokenizer, cache, request, callbacks, transformer.vocab_size());
  std::vector<float> logits;
  for (std::span<const int32_t> tokens = run.NextTokens(request.prompt.size()); !tokens.empty();
       tokens = run.NextTokens(request.prompt.size())) {
    if (run.in_prompt() && request.cancel != nullptr) {
      if (!transformer.ForwardUnlessCancelled(cache, tokens, /*all_logits=*/false, logits, *request.cancel)) {
        run.Cancel();
        break;
      }
    } else {
      transformer.Forward(cache, tokens, /*all_logits=*/false, logits);
    }
    run.Ran(tokens.size(), logits);
  }
  return run.TakeResult();
}

}  // namespace troupe::engine
