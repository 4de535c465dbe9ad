#include "engine/kernels/attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/kernels/attention_chunk.h"
#include "engine/kernels/fp16.h"
#include "engine/kernels/quantized_activations.h"
#include "engine/kernels/vector_ops.h"

namespace troupe::engine::kernels {

namespace {

// Positions scored between two softmax updates: the scores of a chunk stay in L1 and the
// running maximum is corrected once per chunk rather than once per position.
constexpr size_t kChunk = 64;
static_assert(kChunk % kScoreGroup == 0, "ScoreKeys reads whole groups of keys within the chunk");

// Query tokens attended together: each cached key and value row of a chunk is converted from
// half once for all of them (and for every query head sharing it).
constexpr size_t kTokenBlock = 8;

// The query heads of one key/value head for a block of consecutive batch tokens.
struct BlockTask {
  const float* queries;  // token t, head h at queries + t * query_width + h * key_dim
  size_t query_width;
  const KvRows* rows;
  size_t key_head_offset;    // bytes from a key row's start to this kv head's key
  size_t value_head_offset;  // likewise for values
  size_t first_visible;    // positions the block's first token sees; token t sees t more
  size_t tokens;
  float* out;  // token t, head h at out + t * out_width + h * value_dim
  size_t out_width;
};

// Per-thread state of one block: running maxima, sums and value accumulators per (token, head),
// and the chunk's keys and values as floats. Sized for the largest shape the limits allow, once
// per thread (ReserveAttentionScratch), so decoding never allocates.
struct BlockScratch {
  std::vector<float> accumulators;  // kTokenBlock x group x value_dim
  float running_max[kTokenBlock][kMaxAttentionGroup];
  float running_sum[kTokenBlock][kMaxAttentionGroup];
  float scores[kTokenBlock][kMaxAttentionGroup][kChunk];
  std::vector<float> keys;    // kChunk x key_dim
  std::vector<float> values;  // kChunk x value_dim
};

BlockScratch& ThreadScratch() {
  thread_local BlockScratch scratch;
  if (scratch.keys.empty()) {
    scratch.accumulators.resize(kTokenBlock * kMaxAttentionGroup * kMaxAttentionHeadDim);
    scratch.keys.resize(kChunk * kMaxAttentionHeadDim);
    scratch.values.resize(kChunk * kMaxAttentionHeadDim);
  }
  return scratch;
}

// Folds the chunk's scores of (token, head) into its running softmax: what was summed against
// the old maximum is rescaled to the new one (the online softmax).
void UpdateSoftmax(BlockScratch& scratch, size_t t, size_t h, size_t count, float* accumulator,
                   size_t value_dim) {
  float* scores = scratch.scores[t][h];
  const float chunk_max = *std::max_element(scores, scores + count);
  float& running_max = scratch.running_max[t][h];
  const float new_max = std::max(running_max, chunk_max);
  if (new_max != running_max) {
    const float correction = std::exp(running_max - new_max);
    scratch.running_sum[t][h] *= correction;
    ScaleInPlace(correction, accumulator, value_dim);
    running_max = new_max;
  }
  scratch.running_sum[t][h] += ExpShiftedInPlace(scores, new_max, count);
}

// Decodes `count` values of a cached row (F16, or Q8_0 blocks of 32) into floats.
void LoadRow(KvRowFormat format, const std::byte* row, float* out, size_t count) {
  if (format == KvRowFormat::kF16) {
    HalfRowToFloat(reinterpret_cast<const uint16_t*>(row), out, count);
    return;
  }
  for (size_t block = 0; block < count / kQ8_0BlockElements; ++block) {
    BlockQ8_0 q;
    std::memcpy(&q, row + block * sizeof(BlockQ8_0), sizeof(BlockQ8_0));
    const float scale = HalfBitsToFloat(q.scale);
    for (size_t i = 0; i < kQ8_0BlockElements; ++i) out[block * kQ8_0BlockElements + i] = scale * q.levels[i];
  }
}

void AttendBlock(const AttentionShape& shape, size_t group, const BlockTask& task) {
  const KvRows& rows = *task.rows;
  BlockScratch& scratch = ThreadScratch();
  const size_t heads = task.tokens * group;
  std::fill(scratch.accumulators.begin(), scratch.accumulators.begin() + heads * shape.value_dim, 0.0f);
  for (size_t t = 0; t < task.tokens; ++t) {
    std::fill(scratch.running_max[t], scratch.running_max[t] + group, -std::numeric_limits<float>::infinity());
    std::fill(scratch.running_sum[t], scratch.running_sum[t] + group, 0.0f);
  }
  const size_t last_visible = task.first_visible + task.tokens - 1;
  for (size_t first = 0; first < last_visible; first += kChunk) {
    const size_t chunk = std::min(kChunk, last_visible - first);
    for (size_t j = 0; j < chunk; ++j) {
      const size_t position = first + j;
      const size_t block = position >> rows.block_shift;
      const size_t slot = position & ((size_t{1} << rows.block_shift) - 1);
      LoadRow(rows.format, rows.key_blocks[block] + rows.key_offset + slot * rows.key_row_bytes + task.key_head_offset,
              scratch.keys.data() + j * shape.key_dim, shape.key_dim);
      LoadRow(rows.format,
              rows.value_blocks[block] + rows.value_offset + slot * rows.value_row_bytes + task.value_head_offset,
              scratch.values.data() + j * shape.value_dim, shape.value_dim);
    }
    for (size_t t = 0; t < task.tokens; ++t) {
      const size_t visible = task.first_visible + t;
      if (visible <= first) continue;
      // Each token reads only the positions it sees: the same operations as when it runs alone.
      const size_t count = std::min(chunk, visible - first);
      for (size_t h = 0; h < group; ++h) {
        const float* query = task.queries + t * task.query_width + h * shape.key_dim;
        ScoreKeys(query, scratch.keys.data(), count, shape.key_dim, shape.scale, scratch.scores[t][h]);
        float* accumulator = scratch.accumulators.data() + (t * group + h) * shape.value_dim;
        UpdateSoftmax(scratch, t, h, count, accumulator, shape.value_dim);
        AccumulateValues(scratch.scores[t][h], scratch.values.data(), count, shape.value_dim, accumulator);
      }
    }
  }
  for (size_t t = 0; t < task.tokens; ++t) {
    for (size_t h = 0; h < group; ++h) {
      const float inverse_sum = 1.0f / scratch.running_sum[t][h];
      const float* accumulator = scratch.accumulators.data() + (t * group + h) * shape.value_dim;
      float* result = task.out + t * task.out_width + h * shape.value_dim;
      for (size_t i = 0; i < shape.value_dim; ++i) result[i] = accumulator[i] * inverse_sum;
    }
  }
}

}  // namespace

void CheckAttentionShape(const AttentionShape& shape) {
  if (shape.kv_heads == 0 || shape.query_heads % shape.kv_heads != 0) {
    ThrowInvalid("attention: " + std::to_string(shape.query_heads) + " query heads are not a multiple of " +
                 std::to_string(shape.kv_heads) + " key/value heads");
  }
  if (shape.query_heads / shape.kv_heads > kMaxAttentionGroup || shape.key_dim > kMaxAttentionHeadDim ||
      shape.value_dim > kMaxAttentionHeadDim) {
    ThrowUnsupported("attention: " + std::to_string(shape.query_heads / shape.kv_heads) +
                     " query heads per key/value head and head dimensions " + std::to_string(shape.key_dim) +
                     "/" + std::to_string(shape.value_dim) + " exceed the supported " +
                     std::to_string(kMaxAttentionGroup) + " and " + std::to_string(kMaxAttentionHeadDim));
  }
}

void ReserveAttentionScratch() { ThreadScratch(); }

namespace {

// Task `index` of a sequence: (block of kTokenBlock tokens, key/value head).
void AttendSequenceTask(const AttentionShape& shape, const AttentionSequence& sequence, size_t index) {
  const size_t group = shape.query_heads / shape.kv_heads;
  const size_t query_width = shape.query_heads * shape.key_dim;
  const size_t out_width = shape.query_heads * shape.value_dim;
  // The last tokens' blocks first: they see the most positions, and the pool's threads then
  // finish the lighter ones together rather than one waiting on the heaviest.
  const size_t blocks = (sequence.n_tokens + kTokenBlock - 1) / kTokenBlock;
  const size_t first_token = (blocks - 1 - index / shape.kv_heads) * kTokenBlock;
  const size_t kv_head = index % shape.kv_heads;
  BlockTask task;
  task.queries = sequence.queries + first_token * query_width + kv_head * group * shape.key_dim;
  task.query_width = query_width;
  task.rows = &sequence.rows;
  const bool q8 = sequence.rows.format == KvRowFormat::kQ8_0;
  task.key_head_offset = q8 ? kv_head * shape.key_dim / kQ8_0BlockElements * sizeof(BlockQ8_0)
                            : kv_head * shape.key_dim * sizeof(uint16_t);
  task.value_head_offset = q8 ? kv_head * shape.value_dim / kQ8_0BlockElements * sizeof(BlockQ8_0)
                              : kv_head * shape.value_dim * sizeof(uint16_t);
  task.first_visible = sequence.first_position + first_token + 1;
  task.tokens = std::min(kTokenBlock, sequence.n_tokens - first_token);
  task.out = sequence.out + first_token * out_width + kv_head * group * shape.value_dim;
  task.out_width = out_width;
  AttendBlock(shape, group, task);
}

size_t SequenceTasks(const AttentionShape& shape, const AttentionSequence& sequence) {
  return (sequence.n_tokens + kTokenBlock - 1) / kTokenBlock * shape.kv_heads;
}

}  // namespace

void CausalAttention(ThreadPool& pool, const AttentionShape& shape, const float* queries,
                     const uint16_t* keys, const uint16_t* values, uint32_t first_position,
                     size_t n_tokens, float* out) {
  // One run of rows: a single "block" as long as the sequence.
  const std::byte* key_block = reinterpret_cast<const std::byte*>(keys);
  const std::byte* value_block = reinterpret_cast<const std::byte*>(values);
  AttentionSequence sequence;
  sequence.queries = queries;
  sequence.rows.key_blocks = &key_block;
  sequence.rows.value_blocks = &value_block;
  sequence.rows.block_shift = 32;  // positions are 32-bit: one block holds them all
  sequence.rows.key_row_bytes = shape.kv_heads * shape.key_dim * sizeof(uint16_t);
  sequence.rows.value_row_bytes = shape.kv_heads * shape.value_dim * sizeof(uint16_t);
  sequence.first_position = first_position;
  sequence.n_tokens = n_tokens;
  sequence.out = out;
  CausalAttentionBatch(pool, shape, std::span<const AttentionSequence>(&sequence, 1));
}

void CausalAttentionBatch(ThreadPool& pool, const AttentionShape& shape, std::span<const AttentionSequence> sequences) {
  ReserveAttentionScratch();  // the caller's, should it claim no block of its first call
  size_t total = 0;
  for (const AttentionSequence& sequence : sequences) total += SequenceTasks(shape, sequence);
  pool.ParallelFor(total, [&](size_t begin, size_t end) {
    // Find the sequence holding task `begin`, then walk forward: sequences are few.
    size_t sequence = 0;
    size_t first_task = 0;
    while (first_task + SequenceTasks(shape, sequences[sequence]) <= begin) {
      first_task += SequenceTasks(shape, sequences[sequence]);
      ++sequence;
    }
    for (size_t index = begin; index < end; ++index) {
      while (index >= first_task + SequenceTasks(shape, sequences[sequence])) {
        first_task += SequenceTasks(shape, sequences[sequence]);
        ++sequence;
      }
      AttendSequenceTask(shape, sequences[sequence], index - first_task);
    }
  });
}

}  // namespace troupe::engine::kernels
