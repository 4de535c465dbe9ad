#include "engine/kernels/activation.h"

#include <cmath>
#include <cstring>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/exp_avx2_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace troupe::engine::kernels {

namespace {

void SwiGluBaseline(const float* gate, const float* up, size_t count, float* out) {
  for (size_t i = 0; i < count; ++i) {
    const float g = gate[i];
    out[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

#if defined(__x86_64__)
#define TROUPE_AVX2 __attribute__((target("avx2,fma")))

// e^x for x clamped to [-87, 88], where 2^k stays a normal float. Past the clamp silu no longer
// changes: x / (1 + e^88) and x / (1 + e^-87) are x's limits to float precision.
TROUPE_AVX2 __m256 ExpClamped(__m256 x) {
  return ExpPolynomialAvx2(_mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f)));
}

TROUPE_AVX2 __m256 SwiGluLanes(__m256 gate, __m256 up) {
  const __m256 silu = _mm256_div_ps(
      gate, _mm256_add_ps(_mm256_set1_ps(1.0f), ExpClamped(_mm256_xor_ps(gate, _mm256_set1_ps(-0.0f)))));
  return _mm256_mul_ps(silu, up);
}

// The last count % 8 elements go through the same lanes (zero-padded copies), so an element's bits
// do not depend on where a batch of tokens puts it: the decoder gates all its tokens in one call.
TROUPE_AVX2 void SwiGluAvx2(const float* gate, const float* up, size_t count, float* out) {
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    _mm256_storeu_ps(out + i, SwiGluLanes(_mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i)));
  }
  if (i == count) return;
  float gate_rest[8] = {}, up_rest[8] = {}, out_rest[8];
  std::memcpy(gate_rest, gate + i, (count - i) * sizeof(float));
  std::memcpy(up_rest, up + i, (count - i) * sizeof(float));
  _mm256_storeu_ps(out_rest, SwiGluLanes(_mm256_loadu_ps(gate_rest), _mm256_loadu_ps(up_rest)));
  std::memcpy(out + i, out_rest, (count - i) * sizeof(float));
}

#undef TROUPE_AVX2
#endif

}  // namespace

void SwiGlu(const float* gate, const float* up, size_t count, float* out) {
#if defined(__x86_64__)
  static const auto variant = HasAvx2() ? SwiGluAvx2 : SwiGluBaseline;
#else
  static const auto variant = SwiGluBaseline;
#endif
  variant(gate, up, count, out);
}

}  // namespace troupe::engine::kernels
