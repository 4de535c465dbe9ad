// One sequence's KV cache over a BlockStore: a table of blocks, the tokens they hold, and the
// blocks promised to it. The decoder writes a pass's rows after PrepareAppend and then calls
// Commit, which indexes every block the pass filled (so later sequences can attach it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/kv/block_store.h"
#include "engine/transformer.h"

namespace troupe::engine::kv {

class PagedKvCache final : public KvCache {
 public:
  // Holds nothing yet; up to `capacity` positions.
  PagedKvCache(std::shared_ptr<BlockStore> store, uint32_t capacity);
  ~PagedKvCache() override;
  PagedKvCache(const PagedKvCache&) = delete;
  PagedKvCache& operator=(const PagedKvCache&) = delete;

  uint32_t size() const override { return size_; }
  uint32_t capacity() const override { return capacity_; }
  void Truncate(uint32_t size) override;
  void CopyPrefix(const KvCache& source, uint32_t positions) override;
  uint64_t memory_bytes() const override;
  std::span<const int32_t> tokens() const override { return tokens_; }

  // Starts a new, empty cache from `chain` (indexed blocks the store gave one more user each, with their hashes),
  // the first chain.size() blocks of `tokens`, with `reservation` blocks promised.
  void Attach(std::span<const BlockId> chain, std::span<const uint64_t> hashes, std::span<const int32_t> tokens,
              size_t reservation);

  const void* owner() const { return store_->owner(); }
  const KvGeometry& geometry() const { return store_->geometry(); }
  // Makes positions size() .. size() + count - 1 writable: blocks are added, and a shared block
  // that must take new rows is copied first. Throws EngineError(kExhausted) when the budget has
  // no block (the cache holds what it held).
  void PrepareAppend(size_t count);
  // Block data by table index (the attention kernel's view); valid until the table changes.
  const std::vector<std::byte*>& block_data() const { return block_data_; }
  std::byte* block_for(size_t position) const { return block_data_[position / kBlockPositions]; }
  // A pass wrote rows for `tokens` after size(): the cache holds them now.
  void Commit(std::span<const int32_t> tokens);

 private:
  // Lets go of the blocks from `table_index` on; with `keep_budget`, the budget of those no one
  // else uses stays promised to this cache.
  void ReleaseFrom(size_t table_index, bool keep_budget);
  // Indexes the blocks filled since the last call.
  void IndexFullBlocks();
  // A block for the cache alone holding the first `rows` positions of `source`'s rows.
  BlockId CopyOf(const std::byte* source, size_t rows);

  std::shared_ptr<BlockStore> store_;
  uint32_t capacity_;
  uint32_t size_ = 0;
  std::vector<BlockId> table_;
  std::vector<std::byte*> block_data_;
  std::vector<int32_t> tokens_;   // what the first size_ positions hold
  std::vector<uint64_t> hashes_;  // chain hashes of the blocks indexed so far
  size_t reservation_ = 0;
};

}  // namespace troupe::engine::kv
