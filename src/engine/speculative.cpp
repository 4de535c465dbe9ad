#include "engine/speculative.h"

#include <algorithm>
#include <vector>

#include "engine/error.h"
#include "engine/generation/sequence_run.h"

namespace troupe::engine {
namespace {

int32_t Argmax(const std::vector<float>& logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

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
  // The draft holds what the main cache holds except `behind`, tokens it has still to run.
  std::vector<int32_t> behind(request.prompt.begin(), request.prompt.end());
  std::vector<float> draft_logits;
  std::vector<int32_t> batch;
  while (!run.finished()) {
    const std::span<const int32_t> next = run.NextTokens(1);
    if (next.empty()) break;
    const uint32_t base = cache.size();
    // Room for the pending token and the proposals, with one position spare so the run's own
    // "cache full" check sees what plain decoding would.
    const int64_t room = static_cast<int64_t>(cache.capacity()) - base - 2;
    const int64_t draft_room = static_cast<int64_t>(draft_cache.capacity()) - draft_cache.size() - behind.size() - 1;
    const int k = static_cast<int>(std::min<int64_t>({options.draft_tokens, room, draft_room}));
    batch.assign(1, next[0]);
    if (k >= 1) {
      behind.push_back(next[0]);
      draft.Forward(draft_cache, behind, false, draft_logits);
      behind.clear();
      for (int i = 0; i < k; ++i) {
        const int32_t proposed = Argmax(draft_logits);
        batch.push_back(proposed);
        if (i + 1 < k) draft.Forward(draft_cache, std::span<const int32_t>(&proposed, 1), false, draft_logits);
      }
    }
    main.Forward(cache, batch, /*all_logits=*/true, logits);
    ++counted.passes;
    counted.proposed += static_cast<uint32_t>(batch.size() - 1);
    const size_t vocab = static_cast<size_t>(main.vocab_size());
    size_t used = 0;  // rows whose token the run has taken
    for (size_t i = 0; i < batch.size(); ++i) {
      run.Ran(1, std::span<const float>(logits).subspan(i * vocab, vocab));
      used = i + 1;
      if (run.finished() || i + 1 == batch.size()) break;
      const std::span<const int32_t> sampled = run.NextTokens(1);
      if (sampled.empty() || sampled[0] != batch[i + 1]) break;
      ++counted.accepted;
    }
    // Keep what was agreed: the main cache holds base + used positions; the draft as many, or
    // fewer (it never ran its last proposal): those go to `behind`.
    cache.Truncate(base + static_cast<uint32_t>(used));
    if (k >= 1) {
      const uint32_t wanted = base + static_cast<uint32_t>(used);  // the draft held `base` before the pass
      if (draft_cache.size() > wanted) draft_cache.Truncate(wanted);
      for (uint32_t position = draft_cache.size(); position < wanted; ++position) behind.push_back(batch[position - base]);
    } else {
      behind.push_back(batch[0]);
    }
  }
  if (stats != nullptr) *stats = counted;
  return run.TakeResult();
}

}  // namespace troupe::engine
