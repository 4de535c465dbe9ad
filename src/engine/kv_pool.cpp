#include "engine/kv_pool.h"

#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/kv/block_store.h"
#include "engine/kv/paged_cache.h"

namespace troupe::engine {
namespace {

kv::KvGeometry GeometryOf(const Transformer& transformer, KvCacheType type) {
  const ModelSpec& spec = transformer.spec();
  return kv::MakeGeometry(spec.block_count, spec.key_length, spec.key_width(), spec.value_length, spec.value_width(),
                          type);
}

class Pool final : public KvBlockPool {
 public:
  Pool(const Transformer& transformer, KvPoolOptions options)
      : context_(transformer.spec().context_length),
        type_(options.type),
        store_(std::make_shared<kv::BlockStore>(&transformer, GeometryOf(transformer, options.type),
                                                options.budget_bytes)) {}

  Start StartSequence(std::span<const int32_t> prompt, uint32_t attach_limit, uint32_t positions) override {
    if (positions == 0 || positions > context_) {
      ThrowInvalid("KV cache of " + std::to_string(positions) + " positions: must be between 1 and the context length " +
                   std::to_string(context_));
    }
    const size_t blocks = (positions + kBlockPositions - 1) / kBlockPositions;
    if (store_->capacity() > 0 && blocks > store_->capacity()) {
      const uint64_t block_bytes = store_->geometry().block_bytes;
      ThrowExhausted("a sequence of " + std::to_string(positions) + " positions needs " +
                     std::to_string(blocks * block_bytes) + " bytes of KV cache; the budget (model.kv_cache_bytes) is " +
                     std::to_string(store_->capacity() * block_bytes));
    }
    std::vector<kv::BlockId> chain;
    std::vector<uint64_t> hashes;
    size_t reservation = 0;
    if (!store_->AttachAndReserve(prompt, std::min(attach_limit, positions), blocks, chain, hashes, reservation)) {
      return {};
    }
    auto cache = std::make_unique<kv::PagedKvCache>(store_, positions);
    cache->Attach(chain, hashes, prompt, reservation);
    Start start;
    start.attached = cache->size();
    start.cache = std::move(cache);
    return start;
  }

  uint32_t CachedPrefix(std::span<const int32_t> tokens) const override { return store_->IndexedPrefix(tokens); }
  KvPoolStats stats() const override { return store_->stats(); }
  KvCacheType type() const override { return type_; }

 private:
  uint64_t context_;
  KvCacheType type_;
  std::shared_ptr<kv::BlockStore> store_;
};

}  // namespace

std::optional<KvCacheType> ParseKvCacheType(std::string_view name) {
  if (name == "f16") return KvCacheType::kF16;
  if (name == "q8_0") return KvCacheType::kQ8_0;
  return std::nullopt;
}

std::string_view NameOf(KvCacheType type) { return type == KvCacheType::kF16 ? "f16" : "q8_0"; }

uint64_t KvBlockBytes(const Transformer& transformer, KvCacheType type) {
  return GeometryOf(transformer, type).block_bytes;
}

std::shared_ptr<KvBlockPool> NewKvBlockPool(const Transformer& transformer, KvPoolOptions options) {
  return std::make_shared<Pool>(transformer, options);
}

}  // namespace troupe::engine
