// The network of a loaded llama or qwen2 model: token ids in, logits out.
//
// Weights stay in the GGUF mapping in their stored block format (F32, F16, BF16, Q8_0, Q4_0,
// Q5_0, Q4_K, Q5_K, Q6_K) and are decoded inside the matrix kernels, so a model costs its file
// size in memory plus the KV cache. Work is spread over `threads` threads.
//
// Thread safety: Forward is not re-entrant: one caller at a time per Transformer (the scheduler
// owns it); KvCaches are independent and may be created from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/gguf.h"
#include "engine/model_spec.h"

namespace troupe::engine {

// The keys and values one sequence has seen, position by position.
class KvCache {
 public:
  virtual ~KvCache() = default;
  virtual uint32_t size() const = 0;      // positions held
  virtual uint32_t capacity() const = 0;  // positions it can hold
  // Forgets every position from `size` on (to reuse a shared prefix or rewind).
  virtual void Truncate(uint32_t size) = 0;
  // Makes this cache hold a copy of the first `positions` positions of `source`, a cache of the
  // same Transformer (a prompt prefix another sequence already ran: copying its keys and values
  // costs far less than running it again). Throws EngineError(kInvalidInput) when `source` holds
  // fewer positions, belongs to another Transformer, or this cache has less room.
  virtual void CopyPrefix(const KvCache& source, uint32_t positions) = 0;
  virtual uint64_t memory_bytes() const = 0;
  // The tokens whose keys and values it holds, in order (size() of them).
  virtual std::span<const int32_t> tokens() const = 0;
};

// One sequence's part of a batched pass: its cache and the tokens to run after what it holds.
struct ForwardEntry {
  KvCache* cache = nullptr;
  std::span<const int32_t> tokens;
  bool logits = true;  // false: only fill the cache (a prompt chunk that is not the last)
};

class Transformer {
 public:
  // Checks `spec` against `file` (ValidateTensors) and prepares the weights. `file` must outlive
  // the Transformer. Throws EngineError naming the tensor for a type it cannot compute with.
  static std::unique_ptr<Transformer> Create(const GgufFile& file, const ModelSpec& spec, int threads);

  virtual ~Transformer() = default;
  virtual const ModelSpec& spec() const = 0;
  virtual int32_t vocab_size() const = 0;
  virtual int threads() const = 0;

  // A cache for up to `max_tokens` positions (at most the spec's context length).
  virtual std::unique_ptr<KvCache> NewCache(uint32_t max_tokens) const = 0;

  // Runs `tokens` at the positions after those `cache` holds and appends them to it. Writes
  // vocab_size() logits for the last token into `logits`, or for every token (token-major) when
  // `all_logits`. Throws EngineError(kInvalidInput) for an id out of range or a full cache.
  virtual void Forward(KvCache& cache, std::span<const int32_t> tokens, bool all_logits,
                       std::vector<float>& logits) = 0;
  // Forward, looking at `cancel` before each layer, so a long prompt stops within one layer's
  // work: false once it is set, with the cache as before the call (no position of `tokens` kept)
  // and `logits` unspecified; true when the pass completed, exactly as Forward.
  virtual bool ForwardUnlessCancelled(KvCache& cache, std::span<const int32_t> tokens, bool all_logits,
                                      std::vector<float>& logits, const std::atomic<bool>& cancel) = 0;
  // Several sequences in one pass (continuous batching): every weight is read once for all their
  // tokens. Each entry's tokens run after what its cache holds and are appended to it; the logits
  // of the last token of each entry that asks for them are written in entry order into `logits`
  // (one vocab_size() row each).
  // The results are those of Forward on each entry alone, bit for bit. At most kMaxForwardTokens
  // tokens in all. Throws EngineError(kInvalidInput) for no entries, an entry without tokens, one
  // cache in two entries, too many tokens, or what Forward throws (nothing is appended then).
  virtual void ForwardBatch(std::span<const ForwardEntry> entries, std::vector<float>& logits) = 0;

  static constexpr size_t kMaxForwardTokens = 512;
};

}  // namespace troupe::engine
