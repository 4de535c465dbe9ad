// A shared, paged KV cache for many sequences of one Transformer (its NewBlockPool).
//
// Keys and values live in blocks of kBlockPositions positions (every layer's rows of those
// positions in one block). A sequence's cache is a table of blocks, so sequences share blocks
// without copying: a full block is keyed by the tokens it holds and every token before it (a hash
// chain), and a sequence that starts with the same tokens attaches it instead of computing it
// again, e.g. every conversation with one character reuses the KV of the character's prompt, and
// each turn reuses its conversation's history. Blocks count their users; one no sequence uses stays
// cached until the budget needs its memory, least recently used first; a block in use is never
// evicted. A shared block is never written: a sequence that must write into one copies it first.
// Two sequences that compute the same full block keep one copy of it.
//
// Rows are IEEE halves by default (llama.cpp's default, so logits match it), or Q8_0 (32 values
// and a half scale in 34 bytes: about half the memory, logits slightly off).
//
// Thread safety: a pool and its caches may be used from any thread; one forward pass at a time
// per cache (the Transformer's rule).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "engine/transformer.h"

namespace troupe::engine {

enum class KvCacheType { kF16, kQ8_0 };

// "f16" or "q8_0"; nullopt for anything else.
std::optional<KvCacheType> ParseKvCacheType(std::string_view name);
std::string_view NameOf(KvCacheType type);

struct KvPoolOptions {
  // Memory for blocks. 0: no limit, and no cache either: a block is freed when no sequence uses it.
  uint64_t budget_bytes = 0;
  KvCacheType type = KvCacheType::kF16;
};

struct KvPoolStats {
  uint32_t block_positions = 0;
  uint64_t block_bytes = 0;
  size_t capacity_blocks = 0;  // what the budget holds; 0 without a budget
  size_t used_blocks = 0;      // in some sequence's table
  size_t cached_blocks = 0;    // in no table, kept for a later sequence with the same prefix
  size_t reserved_blocks = 0;  // promised to running sequences (Start), not yet taken
  uint64_t evicted_blocks = 0;  // cached blocks whose memory went to another block
  uint64_t shared_attaches = 0;  // blocks attached by Start instead of computed
  uint64_t allocated_bytes = 0;  // block memory held now
};

class KvBlockPool {
 public:
  static constexpr uint32_t kBlockPositions = 16;

  virtual ~KvBlockPool() = default;

  struct Start {
    std::unique_ptr<KvCache> cache;  // null: the budget cannot promise the room now
    uint32_t attached = 0;           // positions of the prompt it holds already
  };
  // A cache for a new sequence of up to `positions` positions (prompt and reply), holding the
  // longest prefix of `prompt` (at most `attach_limit` positions, whole blocks) that cached blocks
  // hold. The blocks the rest needs are reserved, so the sequence never finds the budget full:
  // when they cannot be, nothing is attached and `cache` is null (retry when a sequence ends).
  // Throws EngineError(kExhausted) when `positions` exceed the whole budget, and
  // (kInvalidInput) when they exceed the context length.
  virtual Start StartSequence(std::span<const int32_t> prompt, uint32_t attach_limit, uint32_t positions) = 0;

  // Positions of `tokens` that cached blocks hold now (what StartSequence would attach).
  virtual uint32_t CachedPrefix(std::span<const int32_t> tokens) const = 0;

  virtual KvPoolStats stats() const = 0;
  virtual KvCacheType type() const = 0;
};

// Bytes of one block of `type` for `transformer` (what KvPoolOptions::budget_bytes is counted in).
uint64_t KvBlockBytes(const Transformer& transformer, KvCacheType type);

// A pool for `transformer`'s sequences; the transformer must outlive it and its caches. Throws
// EngineError(kUnsupported) for Q8_0 when a head's width is not a multiple of 32, and
// (kInvalidInput) for a budget smaller than one block.
std::shared_ptr<KvBlockPool> NewKvBlockPool(const Transformer& transformer, KvPoolOptions options);

}  // namespace troupe::engine
