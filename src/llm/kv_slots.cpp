#include "llm/kv_slots_internal.h"

#include <algorithm>

namespace troupe::llm {
namespace {

size_t CommonPrefix(std::span<const int32_t> a, std::span<const int32_t> b) {
  const size_t limit = std::min(a.size(), b.size());
  size_t n = 0;
  while (n < limit && a[n] == b[n]) ++n;
  return n;
}

}  // namespace

KvSlots::KvSlots(engine::Model& model, int count, uint32_t context)
    : model_(model), context_(context), slots_(static_cast<size_t>(std::max(count, 1))) {}

size_t KvSlots::free() const {
  return static_cast<size_t>(std::count_if(slots_.begin(), slots_.end(), [](const Slot& slot) { return !slot.busy; }));
}

size_t KvSlots::Held(const Slot& slot, std::span<const int32_t> prompt) const {
  if (!slot.cache) return 0;
  const size_t shared = CommonPrefix(slot.tokens, prompt);
  return std::min<size_t>(shared, slot.cache->size());
}

bool KvSlots::ShouldWait(std::span<const int32_t> prompt, size_t min_gain) const {
  return std::any_of(slots_.begin(), slots_.end(), [&](const Slot& slot) {
    if (!slot.busy || !slot.cache) return false;
    const size_t shared = CommonPrefix(slot.tokens, prompt);
    return shared > std::min<size_t>(shared, slot.cache->size()) + min_gain;
  });
}

KvSlots::Placement KvSlots::Take(const std::vector<int32_t>& prompt) {
  // The free slot holding the longest prefix of the prompt, else the least recently used one.
  Slot* chosen = nullptr;
  size_t own = 0;
  for (Slot& slot : slots_) {
    if (slot.busy) continue;
    const size_t held = Held(slot, prompt);
    if (chosen == nullptr || held > own || (held == own && slot.last_used < chosen->last_used)) {
      chosen = &slot;
      own = held;
    }
  }
  // Another slot, busy or not, may hold more of it.
  const Slot* donor = nullptr;
  size_t donated = own;
  for (const Slot& slot : slots_) {
    if (&slot == chosen) continue;
    const size_t held = Held(slot, prompt);
    if (held > donated) {
      donor = &slot;
      donated = held;
    }
  }
  if (!chosen->cache) chosen->cache = model_.NewSequence(context_);
  Placement placement;
  placement.slot = static_cast<size_t>(chosen - slots_.data());
  // At least one prompt token must run to get logits for the first reply token.
  const size_t limit = prompt.empty() ? 0 : prompt.size() - 1;
  if (donor != nullptr && std::min(donated, limit) > own) {
    placement.copied = std::min(donated, limit);
    chosen->cache->CopyPrefix(*donor->cache, static_cast<uint32_t>(placement.copied));
    placement.held = placement.copied;
  } else {
    placement.held = std::min(own, limit);
    chosen->cache->Truncate(static_cast<uint32_t>(placement.held));
  }
  chosen->tokens = prompt;  // busy: the prompt it is running
  chosen->busy = true;
  chosen->last_used = ++use_counter_;
  return placement;
}

void KvSlots::Release(size_t slot, std::vector<int32_t> tokens) {
  Slot& released = slots_[slot];
  tokens.resize(std::min<size_t>(tokens.size(), released.cache->size()));
  released.cache->Truncate(static_cast<uint32_t>(tokens.size()));
  released.tokens = std::move(tokens);
  released.busy = false;
}

void KvSlots::Drop(size_t slot) {
  slots_[slot].cache.reset();
  slots_[slot].tokens.clear();
  slots_[slot].busy = false;
}

}  // namespace troupe::llm
