#include "engine/kv/paged_cache.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "engine/error.h"

namespace troupe::engine::kv {

PagedKvCache::PagedKvCache(std::shared_ptr<BlockStore> store, uint32_t capacity)
    : store_(std::move(store)), capacity_(capacity) {
  // Taken up front, so a decode step allocates nothing but its blocks.
  const size_t blocks = (capacity + kBlockPositions - 1) / kBlockPositions;
  table_.reserve(blocks);
  block_data_.reserve(blocks);
  tokens_.reserve(capacity);
  if (store_->keeps_prefixes()) hashes_.reserve(blocks);
}

PagedKvCache::~PagedKvCache() {
  ReleaseFrom(0, false);
  store_->ReturnReservation(reservation_);
}

void PagedKvCache::ReleaseFrom(size_t table_index, bool keep_budget) {
  // The last blocks go first, so a released chain's root is its most recently used block and
  // eviction takes leaves before the prefixes other sequences may still want.
  for (size_t i = table_.size(); i > table_index; --i) {
    if (keep_budget) {
      store_->UnrefIntoReservation(table_[i - 1], reservation_);
    } else {
      store_->Unref(table_[i - 1]);
    }
  }
  table_.resize(std::min(table_.size(), table_index));
  block_data_.resize(table_.size());
}

void PagedKvCache::Truncate(uint32_t size) {
  if (size >= size_) return;
  size_ = size;
  tokens_.resize(size);
  hashes_.resize(std::min<size_t>(hashes_.size(), size / kBlockPositions));
  ReleaseFrom((size + kBlockPositions - 1) / kBlockPositions, true);
}

uint64_t PagedKvCache::memory_bytes() const { return table_.size() * geometry().block_bytes; }

BlockId PagedKvCache::CopyOf(const std::byte* source, size_t rows) {
  const BlockId id = store_->Allocate(reservation_);
  std::byte* target = store_->data(id);
  const KvGeometry& g = geometry();
  for (size_t layer = 0; layer < g.layers; ++layer) {
    std::memcpy(target + g.key_offset(layer), source + g.key_offset(layer), rows * g.key_row_bytes);
    std::memcpy(target + g.value_offset(layer), source + g.value_offset(layer), rows * g.value_row_bytes);
  }
  return id;
}

void PagedKvCache::CopyPrefix(const KvCache& source, uint32_t positions) {
  const auto* other = dynamic_cast<const PagedKvCache*>(&source);
  if (other == nullptr || other->owner() != owner()) {
    ThrowInvalid("KV cache: a prefix can only come from a cache of the same model");
  }
  if (other == this) ThrowInvalid("KV cache: a cache cannot copy its own prefix");
  if (other->geometry().type != geometry().type) {
    ThrowInvalid("KV cache: a prefix can only come from a cache of the same type");
  }
  if (positions > other->size_ || positions > capacity_) {
    ThrowInvalid("KV cache: cannot copy " + std::to_string(positions) + " positions (the source holds " +
                 std::to_string(other->size_) + ", this cache " + std::to_string(capacity_) + ")");
  }
  Truncate(0);
  const size_t whole = positions / kBlockPositions;
  const size_t rest = positions % kBlockPositions;
  const bool same_store = other->store_ == store_;
  for (size_t b = 0; b < whole + (rest > 0 ? 1 : 0); ++b) {
    BlockId id;
    if (same_store && b < whole) {
      id = other->table_[b];  // shared: neither sequence writes a block another uses
      store_->Ref(id);
    } else {
      id = CopyOf(other->block_data_[b], b < whole ? kBlockPositions : rest);
    }
    table_.push_back(id);
    block_data_.push_back(store_->data(id));
  }
  size_ = positions;
  tokens_.assign(other->tokens_.begin(), other->tokens_.begin() + positions);
  if (same_store) hashes_.assign(other->hashes_.begin(), other->hashes_.begin() + std::min(whole, other->hashes_.size()));
  IndexFullBlocks();
}

void PagedKvCache::Attach(std::span<const BlockId> chain, std::span<const uint64_t> hashes,
                          std::span<const int32_t> tokens, size_t reservation) {
  reservation_ = reservation;
  for (BlockId id : chain) {
    table_.push_back(id);
    block_data_.push_back(store_->data(id));
  }
  hashes_.assign(hashes.begin(), hashes.end());
  size_ = static_cast<uint32_t>(chain.size() * kBlockPositions);
  tokens_.assign(tokens.begin(), tokens.begin() + size_);
}

void PagedKvCache::PrepareAppend(size_t count) {
  if (count == 0) return;
  if (count > capacity_ - size_) {
    ThrowInvalid("KV cache: " + std::to_string(count) + " positions do not fit (" + std::to_string(size_) + " of " +
                 std::to_string(capacity_) + " used)");
  }
  const size_t first = size_ / kBlockPositions;
  const size_t last = (size_ + count - 1) / kBlockPositions;
  for (size_t b = first; b <= last; ++b) {
    if (b < table_.size()) {
      if (store_->Writable(table_[b])) continue;
      // Shared, or indexed for later sequences: this sequence takes its own copy of the rows it keeps.
      const size_t kept = size_ > b * kBlockPositions ? size_ - b * kBlockPositions : 0;
      const BlockId copy = CopyOf(block_data_[b], kept);
      store_->Unref(table_[b]);
      table_[b] = copy;
      block_data_[b] = store_->data(copy);
    } else {
      const BlockId id = store_->Allocate(reservation_);
      table_.push_back(id);
      block_data_.push_back(store_->data(id));
    }
  }
}

void PagedKvCache::Commit(std::span<const int32_t> tokens) {
  tokens_.insert(tokens_.end(), tokens.begin(), tokens.end());
  size_ += static_cast<uint32_t>(tokens.size());
  IndexFullBlocks();
}

void PagedKvCache::IndexFullBlocks() {
  if (!store_->keeps_prefixes()) return;
  const size_t full = size_ / kBlockPositions;
  for (size_t b = hashes_.size(); b < full; ++b) {
    const std::span<const int32_t> block_tokens(tokens_.data() + b * kBlockPositions, kBlockPositions);
    const uint64_t hash = ChainHash(b == 0 ? kChainSeed : hashes_[b - 1], block_tokens);
    const BlockId kept = store_->Register(table_[b], hash, block_tokens);
    if (kept != table_[b]) {
      table_[b] = kept;
      block_data_[b] = store_->data(kept);
    }
    hashes_.push_back(hash);
  }
}

}  // namespace troupe::engine::kv
