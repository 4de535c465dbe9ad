#include "engine/kernels/vector_ops.h"

#include <cmath>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/exp_avx2_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace troupe::engine::kernels {

namespace {

// Eight independent partial sums: the loop the compiler turns into SIMD without -ffast-math,
// because the order of additions is written out.
constexpr size_t kLanes = 8;

float DotF32Baseline(const float* a, const float* b, size_t count) {
  float partial[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    for (size_t lane = 0; lane < kLanes; ++lane) partial[lane] += a[i + lane] * b[i + lane];
  }
  float sum = 0;
  for (; i < count; ++i) sum += a[i] * b[i];
  for (size_t lane = 0; lane < kLanes; ++lane) sum += partial[lane];
  return sum;
}

void AddScaledBaseline(float weight, const float* values, float* accumulator, size_t count) {
  for (size_t i = 0; i < count; ++i) accumulator[i] += weight * values[i];
}

float ExpShiftedBaseline(float* values, float shift, size_t count) {
  float sum = 0.0f;
  for (size_t i = 0; i < count; ++i) {
    values[i] = std::exp(values[i] - shift);
    sum += values[i];
  }
  return sum;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) float HorizontalSum(__m256 v) {
  const __m128 folded = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 pairs = _mm_add_ps(folded, _mm_movehl_ps(folded, folded));
  return _mm_cvtss_f32(_mm_add_ss(pairs, _mm_movehdup_ps(pairs)));
}

__attribute__((target("avx2,fma"))) float DotF32Avx2(const float* a, const float* b,
                                                     size_t count) {
  __m256 sum0 = _mm256_setzero_ps();
  __m256 sum1 = _mm256_setzero_ps();
  __m256 sum2 = _mm256_setzero_ps();
  __m256 sum3 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= count; i += 32) {
    sum0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), sum0);
    sum1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), sum1);
    sum2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), sum2);
    sum3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), sum3);
  }
  for (; i + 8 <= count; i += 8) {
    sum0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), sum0);
  }
  float sum = HorizontalSum(_mm256_add_ps(_mm256_add_ps(sum0, sum1), _mm256_add_ps(sum2, sum3)));
  for (; i < count; ++i) sum += a[i] * b[i];
  return sum;
}

__attribute__((target("avx2,fma"))) void AddScaledAvx2(float weight, const float* values,
                                                       float* accumulator, size_t count) {
  const __m256 scale = _mm256_set1_ps(weight);
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    _mm256_storeu_ps(accumulator + i, _mm256_fmadd_ps(scale, _mm256_loadu_ps(values + i),
                                                      _mm256_loadu_ps(accumulator + i)));
  }
  for (; i < count; ++i) accumulator[i] += weight * values[i];
}

// exp(x) for x <= 0 as 2^k * p(r), x = k ln2 + r with |r| <= ln2 / 2, p the degree-6 Taylor
// polynomial (error below 2e-7 relative on that interval). Below -87 the result is flushed to
// zero, where a softmax numerator no longer counts.
__attribute__((target("avx2,fma"))) __m256 ExpNonPositive(__m256 x) {
  const __m256 floor_limit = _mm256_set1_ps(-87.0f);
  const __m256 underflow = _mm256_cmp_ps(x, floor_limit, _CMP_LT_OQ);
  return _mm256_andnot_ps(underflow, ExpPolynomialAvx2(_mm256_max_ps(x, floor_limit)));
}

__attribute__((target("avx2,fma"))) float ExpShiftedAvx2(float* values, float shift, size_t count) {
  const __m256 shift8 = _mm256_set1_ps(shift);
  __m256 sum8 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m256 e = ExpNonPositive(_mm256_sub_ps(_mm256_loadu_ps(values + i), shift8));
    _mm256_storeu_ps(values + i, e);
    sum8 = _mm256_add_ps(sum8, e);
  }
  float sum = HorizontalSum(sum8);
  for (; i < count; ++i) {
    values[i] = std::exp(values[i] - shift);
    sum += values[i];
  }
  return sum;
}
#endif

}  // namespace

// Each entry point picks its variant once: these run per position in attention, where a
// feature check per call would show.
#if defined(__x86_64__)
#define TROUPE_PICK(avx2, baseline) (HasAvx2() ? (avx2) : (baseline))
#else
#define TROUPE_PICK(avx2, baseline) (baseline)
#endif

void AddScaled(float weight, const float* values, float* accumulator, size_t count) {
  static const auto variant = TROUPE_PICK(AddScaledAvx2, AddScaledBaseline);
  variant(weight, values, accumulator, count);
}

void ScaleInPlace(float factor, float* values, size_t count) {
  for (size_t i = 0; i < count; ++i) values[i] *= factor;
}

float ExpShiftedInPlace(float* values, float shift, size_t count) {
  static const auto variant = TROUPE_PICK(ExpShiftedAvx2, ExpShiftedBaseline);
  return variant(values, shift, count);
}

float DotF32(const float* a, const float* b, size_t count) {
  static const auto variant = TROUPE_PICK(DotF32Avx2, DotF32Baseline);
  return variant(a, b, count);
}

#undef TROUPE_PICK

}  // namespace troupe::engine::kernels
