#include "engine/kernels/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "engine/kernels/vector_ops.h"

namespace troupe::engine::kernels {

void CausalAttention(ThreadPool& pool, const AttentionShape& shape, const float* queries,
                     const uint16_t* keys, const uint16_t* values, uint32_t first_position,
                     size_t n_tokens, float* out) {
  const size_t group = shape.query_heads / shape.kv_heads;
  const size_t query_width = shape.query_heads * shape.key_dim;
  const size_t key_width = shape.kv_heads * shape.key_dim;
  const size_t value_width = shape.kv_heads * shape.value_dim;
  const size_t out_width = shape.query_heads * shape.value_dim;
  pool.ParallelFor(n_tokens * shape.query_heads, [&](size_t begin, size_t end) {
    thread_local std::vector<float> scores;
    for (size_t task = begin; task < end; ++task) {
      const size_t token = task / shape.query_heads;
      const size_t head = task % shape.query_heads;
      const size_t kv_head = head / group;
      const size_t visible = first_position + token + 1;
      const float* query = queries + token * query_width + head * shape.key_dim;
      scores.resize(visible);
      float max_score = -std::numeric_limits<float>::infinity();
      for (size_t p = 0; p < visible; ++p) {
        const uint16_t* key = keys + p * key_width + kv_head * shape.key_dim;
        scores[p] = DotHalfF32(key, query, shape.key_dim) * shape.scale;
        max_score = std::max(max_score, scores[p]);
      }
      double total = 0;
      for (size_t p = 0; p < visible; ++p) {
        scores[p] = std::exp(scores[p] - max_score);
        total += scores[p];
      }
      const float inverse_total = static_cast<float>(1.0 / total);
      float* result = out + token * out_width + head * shape.value_dim;
      std::fill(result, result + shape.value_dim, 0.0f);
      for (size_t p = 0; p < visible; ++p) {
        const uint16_t* value = values + p * value_width + kv_head * shape.value_dim;
        AddScaledHalf(scores[p] * inverse_total, value, result, shape.value_dim);
      }
    }
  });
}

}  // namespace troupe::engine::kernels
