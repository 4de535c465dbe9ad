// The inner loops attention and the float kernels are built from: dot products, scaled
// accumulation and a softmax's exponentials over float vectors. Each has a baseline version the compiler vectorizes for SSE2 and an
// AVX2/FMA version chosen at run time (cpu_features.h). The two sum in different orders, so
// they agree to rounding, not bit for bit; on one machine a call's result depends only on its
// inputs.
#pragma once

#include <cstddef>
#include <cstdint>

namespace troupe::engine::kernels {

float DotF32(const float* a, const float* b, size_t count);
// accumulator[i] += weight * values[i]
void AddScaled(float weight, const float* values, float* accumulator, size_t count);
// values[i] *= factor
void ScaleInPlace(float factor, float* values, size_t count);
// values[i] = exp(values[i] - shift) for values at most `shift` (a softmax's numerators); returns
// their sum. The SIMD path uses a polynomial (relative error below 3e-7 against std::exp).
float ExpShiftedInPlace(float* values, float shift, size_t count);

}  // namespace troupe::engine::kernels
