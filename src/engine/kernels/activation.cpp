#include "engine/kernels/activation.h"

#include <cmath>

namespace troupe::engine::kernels {

void SwiGlu(const float* gate, const float* up, size_t count, float* out) {
  for (size_t i = 0; i < count; ++i) {
    const float g = gate[i];
    out[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

}  // namespace troupe::engine::kernels
