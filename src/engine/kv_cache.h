// The KV cache behind transformer.h's KvCache: for each layer, the keys and values of every
// position the sequence has run, stored as IEEE halves (llama.cpp's default, so our attention
// sees the same rounded keys and values it does). Memory for `capacity` positions is taken up
// front, so a cache that was created can always be filled.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/transformer.h"

namespace troupe::engine {

class HalfKvCache final : public KvCache {
 public:
  // `owner` identifies the Transformer that made it, so a cache cannot be handed to another.
  HalfKvCache(const void* owner, size_t layers, size_t key_width, size_t value_width,
              uint32_t capacity);

  uint32_t size() const override { return size_; }
  uint32_t capacity() const override { return capacity_; }
  // A `size` at or past size() changes nothing.
  void Truncate(uint32_t size) override;
  void CopyPrefix(const KvCache& source, uint32_t positions) override;
  uint64_t memory_bytes() const override;

  const void* owner() const { return owner_; }
  size_t key_width() const { return key_width_; }
  size_t value_width() const { return value_width_; }
  // Rows of key_width / value_width halves, one per position, for `layer`.
  uint16_t* keys(size_t layer) { return keys_.data() + layer * capacity_ * key_width_; }
  uint16_t* values(size_t layer) { return values_.data() + layer * capacity_ * value_width_; }
  // Marks `count` more positions as filled (after a forward pass wrote them).
  void Grow(uint32_t count) { size_ += count; }

 private:
  const void* owner_;
  size_t layers_;
  size_t key_width_;
  size_t value_width_;
  uint32_t capacity_;
  uint32_t size_ = 0;
  std::vector<uint16_t> keys_;
  std::vector<uint16_t> values_;
};

}  // namespace troupe::engine
