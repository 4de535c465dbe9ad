#include "engine/kv/block_store.h"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <string>

#include "engine/error.h"
#include "engine/kernels/quantized_activations.h"
#include "engine/split_mix64_internal.h"

namespace troupe::engine::kv {
namespace {

constexpr size_t kAlignment = 64;

size_t RowBytes(KvCacheType type, size_t width) {
  return type == KvCacheType::kF16 ? width * sizeof(uint16_t)
                                   : kernels::ActivationRowBytes(kernels::ActivationFormat::kQ8_0, width);
}

std::string MiB(uint64_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; }

}  // namespace

KvGeometry MakeGeometry(size_t layers, size_t head_key, size_t key_width, size_t head_value, size_t value_width,
                        KvCacheType type) {
  if (type == KvCacheType::kQ8_0 && (head_key % kernels::kQ8_0BlockElements != 0 ||
                                     head_value % kernels::kQ8_0BlockElements != 0)) {
    ThrowUnsupported("KV cache type q8_0 needs head widths that are multiples of 32 (this model's are " +
                     std::to_string(head_key) + " and " + std::to_string(head_value) + "); use f16");
  }
  KvGeometry geometry;
  geometry.layers = layers;
  geometry.key_width = key_width;
  geometry.value_width = value_width;
  geometry.type = type;
  geometry.key_row_bytes = RowBytes(type, key_width);
  geometry.value_row_bytes = RowBytes(type, value_width);
  // Layers start on cache lines, so rows of one layer never share a line with another's.
  const size_t layer = kBlockPositions * (geometry.key_row_bytes + geometry.value_row_bytes);
  geometry.layer_bytes = (layer + kAlignment - 1) / kAlignment * kAlignment;
  geometry.block_bytes = layers * geometry.layer_bytes;
  return geometry;
}

uint64_t ChainHash(uint64_t parent, std::span<const int32_t> block_tokens) {
  uint64_t state = parent;
  uint64_t hash = SplitMix64(state);
  for (int32_t token : block_tokens) {
    state ^= static_cast<uint32_t>(token);
    hash ^= SplitMix64(state);
  }
  return hash;
}

BlockStore::BlockStore(const void* owner, KvGeometry geometry, uint64_t budget_bytes)
    : owner_(owner), geometry_(geometry), capacity_(static_cast<size_t>(budget_bytes / geometry.block_bytes)) {
  if (budget_bytes > 0 && capacity_ == 0) {
    ThrowInvalid("KV cache budget of " + std::to_string(budget_bytes) + " bytes is less than one block (" +
                 std::to_string(geometry.block_bytes) + " bytes for " + std::to_string(kBlockPositions) +
                 " positions)");
  }
  blocks_.reserve(capacity_);
  free_.reserve(capacity_);
}

BlockStore::~BlockStore() {
  for (Block& block : blocks_) ::operator delete[](block.data, std::align_val_t(kAlignment));
}

BlockId BlockStore::TakeMemoryLocked() {
  if (!free_.empty()) {
    const BlockId id = free_.back();
    free_.pop_back();
    return id;
  }
  if (capacity_ == 0 || live_ < capacity_) {
    BlockId id;
    if (!empty_ids_.empty()) {
      id = empty_ids_.back();
      empty_ids_.pop_back();
    } else {
      id = static_cast<BlockId>(blocks_.size());
      blocks_.emplace_back();
    }
    blocks_[id].data = static_cast<std::byte*>(::operator new[](geometry_.block_bytes, std::align_val_t(kAlignment)));
    ++live_;
    return id;
  }
  // The budget is spent: the least recently used cached block gives up its memory. Callers
  // checked used + reserved leaves one, so there is one.
  const BlockId victim = lru_.front();
  EvictLocked(victim);
  return victim;
}

void BlockStore::EvictLocked(BlockId id) {
  Block& block = blocks_[id];
  lru_.erase(block.lru);
  auto found = index_.find(block.hash);
  if (found != index_.end() && found->second == id) index_.erase(found);
  block.indexed = false;
  ++evicted_;
}

BlockId BlockStore::Allocate(size_t& reservation) {
  std::lock_guard lock(mutex_);
  if (reservation > 0) {
    --reservation;
    --reserved_;
  } else if (capacity_ > 0 && used_ + reserved_ >= capacity_) {
    ThrowExhausted("KV cache full: all " + std::to_string(capacity_) + " blocks (" +
                   MiB(capacity_ * geometry_.block_bytes) + ", model.kv_cache_bytes) are in use or promised");
  }
  const BlockId id = TakeMemoryLocked();
  Block& block = blocks_[id];
  block.users = 1;
  block.indexed = false;
  ++used_;
  return id;
}

void BlockStore::RefLocked(BlockId id) {
  Block& block = blocks_[id];
  if (block.users == 0) {
    lru_.erase(block.lru);  // only indexed blocks wait without users
    ++used_;
  }
  ++block.users;
}

void BlockStore::UnrefLocked(BlockId id) {
  Block& block = blocks_[id];
  if (--block.users > 0) return;
  --used_;
  if (block.indexed) {
    block.lru = lru_.insert(lru_.end(), id);
  } else if (capacity_ > 0) {
    free_.push_back(id);
  } else {
    ::operator delete[](block.data, std::align_val_t(kAlignment));
    block.data = nullptr;
    --live_;
    empty_ids_.push_back(id);
  }
}

void BlockStore::Ref(BlockId id) {
  std::lock_guard lock(mutex_);
  RefLocked(id);
}

void BlockStore::Unref(BlockId id) {
  std::lock_guard lock(mutex_);
  UnrefLocked(id);
}

void BlockStore::UnrefIntoReservation(BlockId id, size_t& reservation) {
  std::lock_guard lock(mutex_);
  const size_t used_before = used_;
  UnrefLocked(id);
  if (capacity_ > 0 && used_ < used_before) {
    ++reserved_;
    ++reservation;
  }
}

bool BlockStore::Writable(BlockId id) const {
  std::lock_guard lock(mutex_);
  return blocks_[id].users == 1 && !blocks_[id].indexed;
}

BlockId BlockStore::Register(BlockId id, uint64_t hash, std::span<const int32_t> tokens) {
  if (!keeps_prefixes()) return id;
  std::lock_guard lock(mutex_);
  auto [found, inserted] = index_.try_emplace(hash, id);
  if (!inserted) {
    const BlockId other = found->second;
    const Block& existing = blocks_[other];
    if (other == id || !std::equal(tokens.begin(), tokens.end(), existing.tokens.begin())) return id;
    // Another sequence computed the same block (the same tokens after the same prefix give the
    // same bits): keep one copy.
    RefLocked(other);
    UnrefLocked(id);
    return other;
  }
  Block& block = blocks_[id];
  block.indexed = true;
  block.hash = hash;
  std::copy(tokens.begin(), tokens.end(), block.tokens.begin());
  return id;
}

void BlockStore::FindChainLocked(std::span<const int32_t> tokens, uint32_t limit, std::vector<BlockId>& chain,
                                 std::vector<uint64_t>* hashes) const {
  uint64_t parent = kChainSeed;
  const size_t whole = std::min<size_t>(tokens.size(), limit) / kBlockPositions;
  for (size_t b = 0; b < whole; ++b) {
    const std::span<const int32_t> block_tokens = tokens.subspan(b * kBlockPositions, kBlockPositions);
    const uint64_t hash = ChainHash(parent, block_tokens);
    auto found = index_.find(hash);
    if (found == index_.end()) return;
    const Block& block = blocks_[found->second];
    if (!std::equal(block_tokens.begin(), block_tokens.end(), block.tokens.begin())) return;
    chain.push_back(found->second);
    if (hashes != nullptr) hashes->push_back(hash);
    parent = hash;
  }
}

bool BlockStore::AttachAndReserve(std::span<const int32_t> tokens, uint32_t limit, size_t total_blocks,
                                  std::vector<BlockId>& chain, std::vector<uint64_t>& hashes, size_t& reservation) {
  std::lock_guard lock(mutex_);
  chain.clear();
  hashes.clear();
  if (keeps_prefixes()) FindChainLocked(tokens, limit, chain, &hashes);
  const size_t revived = static_cast<size_t>(
      std::count_if(chain.begin(), chain.end(), [&](BlockId id) { return blocks_[id].users == 0; }));
  const size_t needed = total_blocks > chain.size() ? total_blocks - chain.size() : 0;
  if (capacity_ > 0 && used_ + revived + reserved_ + needed > capacity_) {
    chain.clear();
    hashes.clear();
    return false;
  }
  for (BlockId id : chain) RefLocked(id);
  shared_attaches_ += chain.size();
  reserved_ += needed;
  reservation = needed;
  return true;
}

uint32_t BlockStore::IndexedPrefix(std::span<const int32_t> tokens) const {
  if (!keeps_prefixes()) return 0;
  std::lock_guard lock(mutex_);
  scratch_chain_.clear();
  FindChainLocked(tokens, static_cast<uint32_t>(std::min<size_t>(tokens.size(), UINT32_MAX)), scratch_chain_, nullptr);
  return static_cast<uint32_t>(scratch_chain_.size() * kBlockPositions);
}

void BlockStore::ReturnReservation(size_t blocks) {
  std::lock_guard lock(mutex_);
  reserved_ -= std::min(blocks, reserved_);
}

KvPoolStats BlockStore::stats() const {
  std::lock_guard lock(mutex_);
  KvPoolStats stats;
  stats.block_positions = kBlockPositions;
  stats.block_bytes = geometry_.block_bytes;
  stats.capacity_blocks = capacity_;
  stats.used_blocks = used_;
  stats.cached_blocks = lru_.size();
  stats.reserved_blocks = reserved_;
  stats.evicted_blocks = evicted_;
  stats.shared_attaches = shared_attaches_;
  stats.allocated_bytes = static_cast<uint64_t>(live_) * geometry_.block_bytes;
  return stats;
}

}  // namespace troupe::engine::kv
