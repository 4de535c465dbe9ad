#include "engine/kernels/attention_chunk.h"

#include "engine/kernels/cpu_features.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace troupe::engine::kernels {

namespace {

// Eight independent partial sums, so the compiler vectorizes the loop without -ffast-math.
constexpr size_t kScoreLanes = 8;

void ScoreKeysBaseline(const float* query, const float* keys, size_t count, size_t dim, float scale,
                       float* scores) {
  for (size_t j = 0; j < count; ++j) {
    const float* key = keys + j * dim;
    float partial[kScoreLanes] = {};
    size_t i = 0;
    for (; i + kScoreLanes <= dim; i += kScoreLanes) {
      for (size_t lane = 0; lane < kScoreLanes; ++lane) partial[lane] += key[i + lane] * query[i + lane];
    }
    float sum = 0;
    for (; i < dim; ++i) sum += key[i] * query[i];
    for (size_t lane = 0; lane < kScoreLanes; ++lane) sum += partial[lane];
    scores[j] = sum * scale;
  }
}

void AccumulateValuesBaseline(const float* weights, const float* values, size_t count, size_t dim,
                              float* accumulator) {
  for (size_t j = 0; j < count; ++j) {
    const float weight = weights[j];
    const float* row = values + j * dim;
    for (size_t i = 0; i < dim; ++i) accumulator[i] += weight * row[i];
  }
}

#if defined(__x86_64__)
#define TROUPE_AVX2 __attribute__((target("avx2,fma")))

// Four keys' dot products with one query, their 8-lane sums folded by pairwise horizontal adds
// into one 4-lane vector (key k in lane k); the dimensions past the last multiple of 8 are added
// after, in order.
TROUPE_AVX2 __m128 ScoreFour(const float* query, const float* keys, size_t dim) {
  const float* k0 = keys;
  const float* k1 = keys + dim;
  const float* k2 = keys + 2 * dim;
  const float* k3 = keys + 3 * dim;
  __m256 s0 = _mm256_setzero_ps();
  __m256 s1 = _mm256_setzero_ps();
  __m256 s2 = _mm256_setzero_ps();
  __m256 s3 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 8 <= dim; i += 8) {
    const __m256 q = _mm256_loadu_ps(query + i);
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(k0 + i), q, s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(k1 + i), q, s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(k2 + i), q, s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(k3 + i), q, s3);
  }
  const __m256 folded = _mm256_hadd_ps(_mm256_hadd_ps(s0, s1), _mm256_hadd_ps(s2, s3));
  __m128 sums = _mm_add_ps(_mm256_castps256_ps128(folded), _mm256_extractf128_ps(folded, 1));
  if (i < dim) {
    float rest[4] = {0, 0, 0, 0};
    for (; i < dim; ++i) {
      rest[0] += k0[i] * query[i];
      rest[1] += k1[i] * query[i];
      rest[2] += k2[i] * query[i];
      rest[3] += k3[i] * query[i];
    }
    sums = _mm_add_ps(sums, _mm_loadu_ps(rest));
  }
  return sums;
}

TROUPE_AVX2 void ScoreKeysAvx2(const float* query, const float* keys, size_t count, size_t dim, float scale,
                               float* scores) {
  const __m128 scale4 = _mm_set1_ps(scale);
  size_t j = 0;
  for (; j + kScoreGroup <= count; j += kScoreGroup) {
    _mm_storeu_ps(scores + j, _mm_mul_ps(ScoreFour(query, keys + j * dim, dim), scale4));
  }
  if (j < count) {
    float last[kScoreGroup];
    _mm_storeu_ps(last, _mm_mul_ps(ScoreFour(query, keys + j * dim, dim), scale4));
    for (size_t k = 0; j + k < count; ++k) scores[j + k] = last[k];
  }
}

// The accumulator in registers, 32 elements at a time, while every position's values pass.
TROUPE_AVX2 void AccumulateValuesAvx2(const float* weights, const float* values, size_t count, size_t dim,
                                      float* accumulator) {
  size_t i = 0;
  for (; i + 32 <= dim; i += 32) {
    __m256 a0 = _mm256_loadu_ps(accumulator + i);
    __m256 a1 = _mm256_loadu_ps(accumulator + i + 8);
    __m256 a2 = _mm256_loadu_ps(accumulator + i + 16);
    __m256 a3 = _mm256_loadu_ps(accumulator + i + 24);
    for (size_t j = 0; j < count; ++j) {
      const __m256 weight = _mm256_broadcast_ss(weights + j);
      const float* row = values + j * dim + i;
      a0 = _mm256_fmadd_ps(weight, _mm256_loadu_ps(row), a0);
      a1 = _mm256_fmadd_ps(weight, _mm256_loadu_ps(row + 8), a1);
      a2 = _mm256_fmadd_ps(weight, _mm256_loadu_ps(row + 16), a2);
      a3 = _mm256_fmadd_ps(weight, _mm256_loadu_ps(row + 24), a3);
    }
    _mm256_storeu_ps(accumulator + i, a0);
    _mm256_storeu_ps(accumulator + i + 8, a1);
    _mm256_storeu_ps(accumulator + i + 16, a2);
    _mm256_storeu_ps(accumulator + i + 24, a3);
  }
  for (; i + 8 <= dim; i += 8) {
    __m256 a = _mm256_loadu_ps(accumulator + i);
    for (size_t j = 0; j < count; ++j) {
      a = _mm256_fmadd_ps(_mm256_broadcast_ss(weights + j), _mm256_loadu_ps(values + j * dim + i), a);
    }
    _mm256_storeu_ps(accumulator + i, a);
  }
  for (; i < dim; ++i) {
    float a = accumulator[i];
    for (size_t j = 0; j < count; ++j) a = __builtin_fmaf(weights[j], values[j * dim + i], a);
    accumulator[i] = a;
  }
}

#undef TROUPE_AVX2
#define TROUPE_PICK(avx2, baseline) (HasAvx2() ? (avx2) : (baseline))
#else
#define TROUPE_PICK(avx2, baseline) (baseline)
#endif

}  // namespace

void ScoreKeys(const float* query, const float* keys, size_t count, size_t dim, float scale, float* scores) {
  static const auto variant = TROUPE_PICK(ScoreKeysAvx2, ScoreKeysBaseline);
  variant(query, keys, count, dim, scale, scores);
}

void AccumulateValues(const float* weights, const float* values, size_t count, size_t dim, float* accumulator) {
  static const auto variant = TROUPE_PICK(AccumulateValuesAvx2, AccumulateValuesBaseline);
  variant(weights, values, count, dim, accumulator);
}

#undef TROUPE_PICK

}  // namespace troupe::engine::kernels
