#include "engine/generation/speculative_pass.h"

#include <algorithm>
#include <vector>

namespace troupe::engine::generation {
namespace {

int32_t Argmax(const std::vector<float>& logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

}  // namespace

PassCount SpeculativePass(Transformer& main, Transformer& draft, SequenceRun& run, KvCache& cache, KvCache& draft_cache,
                          int draft_tokens) {
  PassCount count;
  const std::span<const int32_t> next = run.NextTokens(1);
  if (next.empty()) return count;
  const uint32_t base = cache.size();
  // The draft catches up with the main cache: what it holds beyond their common prefix goes.
  const std::span<const int32_t> held = cache.tokens();
  const std::span<const int32_t> drafted = draft_cache.tokens();
  const auto common = static_cast<size_t>(
      std::mismatch(drafted.begin(), drafted.end(), held.begin(), held.end()).first - drafted.begin());
  draft_cache.Truncate(static_cast<uint32_t>(common));
  std::vector<int32_t> behind(held.begin() + static_cast<std::ptrdiff_t>(common), held.end());
  behind.push_back(next[0]);
  // Room for the pending token and the proposals, with one position spare so the run's own
  // "cache full" check sees what plain decoding would.
  const int64_t room = static_cast<int64_t>(cache.capacity()) - base - 2;
  const int64_t draft_room = static_cast<int64_t>(draft_cache.capacity()) - draft_cache.size() - behind.size();
  const int k = static_cast<int>(std::min<int64_t>({draft_tokens, room, draft_room}));
  std::vector<int32_t> batch(1, next[0]);
  if (k >= 1) {
    std::vector<float> draft_logits;
    draft.Forward(draft_cache, behind, false, draft_logits);
    for (int i = 0; i < k; ++i) {
      const int32_t proposed = Argmax(draft_logits);
      batch.push_back(proposed);
      if (i + 1 < k) draft.Forward(draft_cache, std::span<const int32_t>(&proposed, 1), false, draft_logits);
    }
  }
  std::vector<float> logits;
  main.Forward(cache, batch, /*all_logits=*/true, logits);
  count.proposed = static_cast<uint32_t>(batch.size() - 1);
  const size_t vocab = static_cast<size_t>(main.vocab_size());
  size_t used = 0;  // rows whose token the run has taken
  for (size_t i = 0; i < batch.size(); ++i) {
    run.Ran(1, std::span<const float>(logits).subspan(i * vocab, vocab));
    used = i + 1;
    if (run.finished() || i + 1 == batch.size()) break;
    const std::span<const int32_t> sampled = run.NextTokens(1);
    if (sampled.empty() || sampled[0] != batch[i + 1]) break;
    ++count.accepted;
  }
  cache.Truncate(base + static_cast<uint32_t>(used));
  count.ran = static_cast<uint32_t>(used);
  return count;
}

}  // namespace troupe::engine::generation
