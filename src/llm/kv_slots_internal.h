// The local provider's KV caches ("slots"): one per request generating at once, kept between
// requests, so a request starts from the longest prompt prefix any cache already holds: its own
// conversation's last turn, or another conversation with the same character (whose system prompt
// is the same tokens). A prefix held by another slot is copied (engine KvCache::CopyPrefix), which
// costs far less than running it again. A request whose prefix another request is still running
// can wait for it (ShouldWait), so a character's prompt is computed once for requests that
// arrive together. Internal to src/llm; engine thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/engine.h"

namespace troupe::llm {

class KvSlots {
 public:
  // `count` slots (at least one), each a cache of `context` positions made on first use.
  KvSlots(engine::Model& model, int count, uint32_t context);

  size_t free() const;

  // Whether `prompt` should wait: a running request's prompt shares more than `min_gain` tokens
  // with it beyond what that request's cache has computed so far.
  bool ShouldWait(std::span<const int32_t> prompt, size_t min_gain) const;

  struct Placement {
    size_t slot = 0;
    size_t held = 0;    // prompt positions the slot's cache holds: run only the rest
    size_t copied = 0;  // of those, copied from another slot
  };
  // Takes a free slot for `prompt` (there must be one) and fills its cache with the longest
  // prefix of `prompt` that some cache holds, leaving at least one token to run.
  Placement Take(const std::vector<int32_t>& prompt);
  engine::KvCache& cache(size_t slot) { return *slots_[slot].cache; }

  // The request in `slot` ended and its cache holds `tokens` (cut to the cache's size).
  void Release(size_t slot, std::vector<int32_t> tokens);
  // The request in `slot` failed: what its cache holds is unknown, so it is forgotten.
  void Drop(size_t slot);

 private:
  struct Slot {
    std::unique_ptr<engine::KvCache> cache;
    std::vector<int32_t> tokens;  // free: what the cache holds; busy: the running request's prompt
    uint64_t last_used = 0;
    bool busy = false;
  };
  // Prompt tokens a slot's cache holds now: for a busy slot, the part of its prompt computed so far.
  size_t Held(const Slot& slot, std::span<const int32_t> prompt) const;

  engine::Model& model_;
  uint32_t context_;
  std::vector<Slot> slots_;
  uint64_t use_counter_ = 0;
};

}  // namespace troupe::llm
