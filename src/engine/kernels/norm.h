// RMSNorm, the normalization of llama and qwen2 blocks: out = x / sqrt(mean(x^2) + eps) * weight.
#pragma once

#include <cstddef>

namespace troupe::engine::kernels {

// Squares are summed in double, as ggml does. `out` may equal `x`.
void RmsNorm(const float* x, const float* weight, size_t count, float epsilon, float* out);

}  // namespace troupe::engine::kernels
