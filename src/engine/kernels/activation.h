// The SwiGLU gate of the feed-forward block: out = silu(gate) * up, silu(x) = x / (1 + e^-x).
#pragma once

#include <cstddef>

namespace troupe::engine::kernels {

// `out` may equal `gate`.
void SwiGlu(const float* gate, const float* up, size_t count, float* out);

}  // namespace troupe::engine::kernels
