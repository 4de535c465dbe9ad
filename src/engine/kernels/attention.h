// Causal grouped-query attention of a batch of queries against a sequence's cached keys and
// values (IEEE half, as llama.cpp keeps them by default, or Q8_0), stored in blocks of positions
// (the paged KV cache) or in one run.
//
// Query head h reads key/value head h / (query_heads / kv_heads). The query of batch token t sits
// at position first_position + t and attends to positions 0..first_position + t: scores are
// dot(q, k) * scale, softmax, then the probability-weighted sum of values. The softmax is the
// online form (a running maximum and sum updated per chunk of 64 positions), so no buffer grows
// with the context. Work is split over (block of 8 batch tokens, key/value head) pairs, the
// latest tokens' blocks first (they see the most positions); a pair
// converts each cached row of a chunk from half once for its tokens and for the query heads that
// share the key/value head. Each token reads only the positions it sees, with the same
// operations whatever the block, the batch or the thread count, so the bits are the same too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/thread_pool.h"

namespace troupe::engine::kernels {

// Limits of the stack buffers: query heads per key/value head, and head dimension.
inline constexpr size_t kMaxAttentionGroup = 16;
inline constexpr size_t kMaxAttentionHeadDim = 256;

struct AttentionShape {
  size_t query_heads = 0;
  size_t kv_heads = 0;
  size_t key_dim = 0;    // per head
  size_t value_dim = 0;  // per head
  float scale = 1.0f;    // usually 1 / sqrt(key_dim)
};

// Throws EngineError: kInvalidInput when query heads are not a multiple of key/value heads,
// kUnsupported past the limits above. The decoder checks its shape once when it loads.
void CheckAttentionShape(const AttentionShape& shape);

// Allocates the calling thread's scratch (a few hundred KiB, sized for the limits above) if it
// has none yet. A pool whose workers run attention calls it as each starts (ThreadPool's
// prepare_worker), so a worker's first block in the middle of a decode step allocates nothing;
// CausalAttention calls it for its caller.
void ReserveAttentionScratch();

enum class KvRowFormat { kF16, kQ8_0 };

// Where one layer's cached rows of a sequence are: position p's key row starts at
// key_blocks[p >> block_shift] + key_offset + (p & (2^block_shift - 1)) * key_row_bytes (values
// alike; a paged cache passes one table for both). A row holds every key/value head, F16 or Q8_0
// (whole 32-value blocks per head).
struct KvRows {
  const std::byte* const* key_blocks = nullptr;
  const std::byte* const* value_blocks = nullptr;
  unsigned block_shift = 0;  // blocks of 2^block_shift positions
  size_t key_offset = 0;
  size_t value_offset = 0;
  size_t key_row_bytes = 0;
  size_t value_row_bytes = 0;
  KvRowFormat format = KvRowFormat::kF16;
};

// queries: n_tokens x (query_heads * key_dim); keys: positions x (kv_heads * key_dim);
// values: positions x (kv_heads * value_dim), holding at least first_position + n_tokens
// positions; out: n_tokens x (query_heads * value_dim).
void CausalAttention(ThreadPool& pool, const AttentionShape& shape, const float* queries,
                     const uint16_t* keys, const uint16_t* values, uint32_t first_position,
                     size_t n_tokens, float* out);

// One sequence's part of a batch: its queries and output rows, and its own cache's rows.
struct AttentionSequence {
  const float* queries = nullptr;
  KvRows rows;
  uint32_t first_position = 0;
  size_t n_tokens = 0;
  float* out = nullptr;
};

// CausalAttention for several sequences in one parallel pass (continuous batching: one decode
// token each, or a prompt chunk): the same blocks as calling it per sequence, so the same bits,
// without a pass over the pool per sequence.
void CausalAttentionBatch(ThreadPool& pool, const AttentionShape& shape, std::span<const AttentionSequence> sequences);

}  // namespace troupe::engine::kernels
