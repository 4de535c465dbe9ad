#include "engine/kernels/norm.h"

#include <cmath>

namespace troupe::engine::kernels {

void RmsNorm(const float* x, const float* weight, size_t count, float epsilon, float* out) {
  double sum_of_squares = 0;
  for (size_t i = 0; i < count; ++i) sum_of_squares += static_cast<double>(x[i] * x[i]);
  const float mean = static_cast<float>(sum_of_squares / static_cast<double>(count));
  const float scale = 1.0f / std::sqrt(mean + epsilon);
  for (size_t i = 0; i < count; ++i) out[i] = x[i] * scale * weight[i];
}

}  // namespace troupe::engine::kernels
