#include "engine/kernels/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "engine/error.h"
#include "engine/kernels/fp16.h"
#include "engine/kernels/vector_ops.h"

namespace troupe::engine::kernels {

namespace {

// Positions scored between two softmax updates: the scores of a chunk stay in L1 and the
// running maximum is corrected once per chunk rather than once per position.
constexpr size_t kChunk = 64;

// The query heads of one key/value head, attended together so each cached key and value is
// converted from half once for all of them.
struct GroupTask {
  const float* queries;  // group heads of key_dim, consecutive
  const uint16_t* keys;    // this kv head's key at position 0; rows key_stride apart
  const uint16_t* values;  // likewise for values
  size_t visible;
  float* out;  // group heads of value_dim, consecutive
};

void AttendGroup(const AttentionShape& shape, size_t group, size_t key_stride, size_t value_stride,
                 const GroupTask& task) {
  float accumulators[kMaxAttentionGroup * kMaxAttentionHeadDim];
  float running_max[kMaxAttentionGroup];
  float running_sum[kMaxAttentionGroup];
  float scores[kMaxAttentionGroup][kChunk];
  float key[kMaxAttentionHeadDim];
  float value[kMaxAttentionHeadDim];
  std::fill(accumulators, accumulators + group * shape.value_dim, 0.0f);
  std::fill(running_max, running_max + group, -std::numeric_limits<float>::infinity());
  std::fill(running_sum, running_sum + group, 0.0f);

  for (size_t first = 0; first < task.visible; first += kChunk) {
    const size_t count = std::min(kChunk, task.visible - first);
    for (size_t j = 0; j < count; ++j) {
      HalfRowToFloat(task.keys + (first + j) * key_stride, key, shape.key_dim);
      for (size_t h = 0; h < group; ++h) {
        scores[h][j] = DotF32(key, task.queries + h * shape.key_dim, shape.key_dim) * shape.scale;
      }
    }
    for (size_t h = 0; h < group; ++h) {
      const float chunk_max = *std::max_element(scores[h], scores[h] + count);
      const float new_max = std::max(running_max[h], chunk_max);
      // Online softmax: what was summed against the old maximum is rescaled to the new one.
      if (new_max != running_max[h]) {
        const float correction = std::exp(running_max[h] - new_max);
        running_sum[h] *= correction;
        ScaleInPlace(correction, accumulators + h * shape.value_dim, shape.value_dim);
        running_max[h] = new_max;
      }
      running_sum[h] += ExpShiftedInPlace(scores[h], new_max, count);
    }
    for (size_t j = 0; j < count; ++j) {
      HalfRowToFloat(task.values + (first + j) * value_stride, value, shape.value_dim);
      for (size_t h = 0; h < group; ++h) {
        AddScaled(scores[h][j], value, accumulators + h * shape.value_dim, shape.value_dim);
      }
    }
  }
  for (size_t h = 0; h < group; ++h) {
    const float inverse_sum = 1.0f / running_sum[h];
    const float* accumulator = accumulators + h * shape.value_dim;
    float* result = task.out + h * shape.value_dim;
    for (size_t i = 0; i < shape.value_dim; ++i) result[i] = accumulator[i] * inverse_sum;
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

void CausalAttention(ThreadPool& pool, const AttentionShape& shape, const float* queries,
                     const uint16_t* keys, const uint16_t* values, uint32_t first_position,
                     size_t n_tokens, float* out) {
  const size_t group = shape.query_heads / shape.kv_heads;
  const size_t query_width = shape.query_heads * shape.key_dim;
  const size_t key_width = shape.kv_heads * shape.key_dim;
  const size_t value_width = shape.kv_heads * shape.value_dim;
  const size_t out_width = shape.query_heads * shape.value_dim;
  pool.ParallelFor(n_tokens * shape.kv_heads, [&](size_t begin, size_t end) {
    for (size_t index = begin; index < end; ++index) {
      const size_t token = index / shape.kv_heads;
      const size_t kv_head = index % shape.kv_heads;
      GroupTask task;
      task.queries = queries + token * query_width + kv_head * group * shape.key_dim;
      task.keys = keys + kv_head * shape.key_dim;
      task.values = values + kv_head * shape.value_dim;
      task.visible = first_position + token + 1;
      task.out = out + token * out_width + kv_head * group * shape.value_dim;
      AttendGroup(shape, group, key_width, value_width, task);
    }
  });
}

}  // namespace troupe::engine::kernels
