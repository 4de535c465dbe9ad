// The SwiGLU gate of the feed-forward block: out = silu(gate) * up, silu(x) = x / (1 + e^-x).
// With AVX2 (cpu_features.h) e^x is a polynomial within 3e-7 of std::exp, 8 lanes at a time.
#pragma once

#include <cstddef>

namespace troupe::engine::kernels {

// `out` may equal `gate`.
void SwiGlu(const float* gate, const float* up, size_t count, float* out);

}  // namespace troupe::engine::kernels
