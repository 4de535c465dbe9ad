#include "engine/kv_cache.h"

namespace troupe::engine {

HalfKvCache::HalfKvCache(const void* owner, size_t layers, size_t key_width, size_t value_width,
                         uint32_t capacity)
    : owner_(owner),
      key_width_(key_width),
      value_width_(value_width),
      capacity_(capacity),
      keys_(layers * capacity * key_width),
      values_(layers * capacity * value_width) {}

void HalfKvCache::Truncate(uint32_t size) {
  if (size < size_) size_ = size;
}

uint64_t HalfKvCache::memory_bytes() const {
  return (keys_.size() + values_.size()) * sizeof(uint16_t);
}

}  // namespace troupe::engine
