// Rotary position embedding as ggml computes it. Each head's first `rotary_dims` dimensions are
// taken in pairs and each pair is rotated by position * base^(-2i / rotary_dims), divided by the
// linear scaling factor and by a per-pair frequency factor when the model has one (Llama 3.1's
// rope_freqs). Which dimensions form a pair is the architecture's choice:
//   kAdjacentPairs (ggml "normal", llama): (2i, 2i + 1)
//   kHalfSplit (ggml "neox", qwen2):       (i, i + rotary_dims / 2)
// Dimensions past rotary_dims are left alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace troupe::engine::kernels {

enum class RopeMode { kAdjacentPairs, kHalfSplit };

struct RopeParameters {
  RopeMode mode = RopeMode::kAdjacentPairs;
  size_t rotary_dims = 0;  // even, at most the head dimension
  float freq_base = 10000.0f;
  float freq_scale = 1.0f;           // 1 / linear scaling factor
  std::vector<float> freq_factors;   // empty, or rotary_dims / 2 divisors
};

// The cos and sin of each pair's angle at `position` (rotary_dims / 2 of each).
void RopeAngles(const RopeParameters& parameters, uint32_t position, float* cosines, float* sines);

// Rotates `heads` consecutive vectors of `head_dim` floats in place by angles from RopeAngles.
void ApplyRope(const RopeParameters& parameters, const float* cosines, const float* sines,
               float* vectors, size_t heads, size_t head_dim);

}  // namespace troupe::engine::kernels
