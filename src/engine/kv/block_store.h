// The memory behind kv_pool.h: blocks of KvBlockPool::kBlockPositions positions, their user
// counts, the hash-chain index of full blocks, the least-recently-used list of cached ones, and
// the reservations that keep a started sequence from ever finding the budget full.
//
// Invariant with a budget: used + reserved <= capacity, so a reserved allocation always finds a
// free or cached block. Thread-safe (one mutex; every call touches a few blocks).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/kv_pool.h"

namespace troupe::engine::kv {

using BlockId = uint32_t;
inline constexpr uint32_t kBlockPositions = KvBlockPool::kBlockPositions;
inline constexpr unsigned kBlockShift = 4;
static_assert(kBlockPositions == 1u << kBlockShift);

// Where rows sit in a block: for each layer, kBlockPositions key rows then as many value rows.
struct KvGeometry {
  size_t layers = 0;
  size_t key_width = 0;    // floats per position and layer
  size_t value_width = 0;
  KvCacheType type = KvCacheType::kF16;
  size_t key_row_bytes = 0;
  size_t value_row_bytes = 0;
  size_t layer_bytes = 0;
  size_t block_bytes = 0;

  size_t key_offset(size_t layer) const { return layer * layer_bytes; }
  size_t value_offset(size_t layer) const { return layer * layer_bytes + kBlockPositions * key_row_bytes; }
};

// Throws EngineError(kUnsupported) for Q8_0 rows that are not whole 32-value blocks per head.
KvGeometry MakeGeometry(size_t layers, size_t head_key, size_t key_width, size_t head_value, size_t value_width,
                        KvCacheType type);

// The key of a full block: its tokens and, through `parent`, every token before them.
uint64_t ChainHash(uint64_t parent, std::span<const int32_t> block_tokens);
inline constexpr uint64_t kChainSeed = 0x5452'4F55'5045'4B56ull;

class BlockStore {
 public:
  // `budget_bytes` 0: no limit, and a block no sequence uses is freed at once (nothing cached).
  BlockStore(const void* owner, KvGeometry geometry, uint64_t budget_bytes);
  ~BlockStore();

  const void* owner() const { return owner_; }
  const KvGeometry& geometry() const { return geometry_; }
  bool keeps_prefixes() const { return capacity_ > 0; }
  size_t capacity() const { return capacity_; }

  // A block for the caller alone (one user), taken from `reservation` when it is not zero.
  // Throws EngineError(kExhausted) when the budget has no block to spare.
  BlockId Allocate(size_t& reservation);
  void Ref(BlockId id);
  void Unref(BlockId id);
  // Unref by a cache that gave the block up early (a rewind): when no one uses it any more, the
  // budget it held goes back to `reservation`, so the cache can grow again as promised.
  void UnrefIntoReservation(BlockId id, size_t& reservation);
  // Whether the only user may write it: one user and not in the index.
  bool Writable(BlockId id) const;
  std::byte* data(BlockId id) const { return blocks_[id].data; }

  // Puts full block `id` (the caller's) in the index under `hash`; returns the block the caller
  // keeps: `id`, or an identical block already indexed (then `id` is let go).
  BlockId Register(BlockId id, uint64_t hash, std::span<const int32_t> tokens);

  // The indexed chain of whole blocks that begins `tokens`, at most `limit` positions, with one
  // more user each and their hashes; and `reservation` blocks promised for `total_blocks` in all.
  // False (nothing taken) when the budget cannot promise them now.
  bool AttachAndReserve(std::span<const int32_t> tokens, uint32_t limit, size_t total_blocks,
                        std::vector<BlockId>& chain, std::vector<uint64_t>& hashes, size_t& reservation);
  // Positions of `tokens` the index holds.
  uint32_t IndexedPrefix(std::span<const int32_t> tokens) const;
  void ReturnReservation(size_t blocks);

  KvPoolStats stats() const;

 private:
  struct Block {
    std::byte* data = nullptr;
    uint32_t users = 0;
    bool indexed = false;
    uint64_t hash = 0;
    std::array<int32_t, kBlockPositions> tokens{};
    std::list<BlockId>::iterator lru;  // valid while cached (indexed, no users)
  };

  BlockId TakeMemoryLocked();
  void RefLocked(BlockId id);
  void UnrefLocked(BlockId id);
  void EvictLocked(BlockId id);
  // The indexed chain beginning `tokens` (at most `limit` positions).
  void FindChainLocked(std::span<const int32_t> tokens, uint32_t limit, std::vector<BlockId>& chain,
                       std::vector<uint64_t>* hashes) const;

  const void* owner_;
  KvGeometry geometry_;
  size_t capacity_;  // 0: no limit

  mutable std::mutex mutex_;
  std::vector<Block> blocks_;
  std::vector<BlockId> free_;        // blocks with memory and no use
  std::vector<BlockId> empty_ids_;   // ids without memory (no budget: freed blocks)
  std::list<BlockId> lru_;           // cached blocks, least recently used first
  std::unordered_map<uint64_t, BlockId> index_;
  mutable std::vector<BlockId> scratch_chain_;  // IndexedPrefix's, kept so a lookup allocates nothing
  size_t used_ = 0;
  size_t reserved_ = 0;
  size_t live_ = 0;  // blocks with memory
  uint64_t evicted_ = 0;
  uint64_t shared_attaches_ = 0;
};

}  // namespace troupe::engine::kv
