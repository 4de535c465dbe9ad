#include "engine/kv_cache.h"

#include <algorithm>
#include <string>

#include "engine/error.h"

namespace troupe::engine {

HalfKvCache::HalfKvCache(const void* owner, size_t layers, size_t key_width, size_t value_width,
                         uint32_t capacity)
    : owner_(owner),
      layers_(layers),
      key_width_(key_width),
      value_width_(value_width),
      capacity_(capacity),
      keys_(layers * capacity * key_width),
      values_(layers * capacity * value_width) {}

void HalfKvCache::Truncate(uint32_t size) {
  if (size < size_) size_ = size;
}

void HalfKvCache::CopyPrefix(const KvCache& source, uint32_t positions) {
  const auto* other = dynamic_cast<const HalfKvCache*>(&source);
  if (other == nullptr || other->owner_ != owner_) ThrowInvalid("KV cache: a prefix can only come from a cache of the same model");
  if (other == this) ThrowInvalid("KV cache: a cache cannot copy its own prefix");
  if (positions > other->size_ || positions > capacity_) {
    ThrowInvalid("KV cache: cannot copy " + std::to_string(positions) + " positions (the source holds " +
                 std::to_string(other->size_) + ", this cache " + std::to_string(capacity_) + ")");
  }
  for (size_t layer = 0; layer < layers_; ++layer) {
    std::copy_n(other->keys_.data() + layer * other->capacity_ * key_width_, positions * key_width_,
                keys_.data() + layer * capacity_ * key_width_);
    std::copy_n(other->values_.data() + layer * other->capacity_ * value_width_, positions * value_width_,
                values_.data() + layer * capacity_ * value_width_);
  }
  size_ = positions;
}

uint64_t HalfKvCache::memory_bytes() const {
  return (keys_.size() + values_.size()) * sizeof(uint16_t);
}

}  // namespace troupe::engine
