#include "engine/kernels/rope.h"

#include <cmath>

namespace troupe::engine::kernels {

void RopeAngles(const RopeParameters& parameters, uint32_t position, float* cosines, float* sines) {
  // ggml steps the angle by a float ratio per pair rather than calling pow for each; doing the
  // same keeps our angles equal to its angles to the last bit.
  const float ratio = std::pow(parameters.freq_base, -2.0f / static_cast<float>(parameters.rotary_dims));
  float theta = static_cast<float>(position);
  const size_t pairs = parameters.rotary_dims / 2;
  for (size_t i = 0; i < pairs; ++i) {
    const float factor = parameters.freq_factors.empty() ? 1.0f : parameters.freq_factors[i];
    const float angle = parameters.freq_scale * (theta / factor);
    cosines[i] = std::cos(angle);
    sines[i] = std::sin(angle);
    theta *= ratio;
  }
}

void ApplyRope(const RopeParameters& parameters, const float* cosines, const float* sines,
               float* vectors, size_t heads, size_t head_dim) {
  const size_t pairs = parameters.rotary_dims / 2;
  // Distance between the two members of a pair, and between consecutive pairs' first members.
  const size_t partner = parameters.mode == RopeMode::kAdjacentPairs ? 1 : pairs;
  const size_t stride = parameters.mode == RopeMode::kAdjacentPairs ? 2 : 1;
  for (size_t head = 0; head < heads; ++head) {
    float* v = vectors + head * head_dim;
    for (size_t i = 0; i < pairs; ++i) {
      float* first = v + i * stride;
      float* second = first + partner;
      const float x0 = *first;
      const float x1 = *second;
      *first = x0 * cosines[i] - x1 * sines[i];
      *second = x0 * sines[i] + x1 * cosines[i];
    }
  }
}

}  // namespace troupe::engine::kernels
