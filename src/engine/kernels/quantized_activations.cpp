#include "engine/kernels/quantized_activations.h"

#include <cmath>
#include <cstring>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/fp16.h"
#include "engine/quant.h"
#include "engine/quant_blocks.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace troupe::engine::kernels {

namespace {

void QuantizeQ8_0(const float* x, size_t cols, BlockQ8_0* blocks) {
  for (size_t b = 0; b < cols / kQ8_0BlockElements; ++b, x += kQ8_0BlockElements) {
    float max_magnitude = 0.0f;
    for (size_t j = 0; j < kQ8_0BlockElements; ++j) max_magnitude = std::fmax(max_magnitude, std::fabs(x[j]));
    const float scale = max_magnitude / 127.0f;
    const float inverse = max_magnitude != 0.0f ? 127.0f / max_magnitude : 0.0f;
    blocks[b].scale = FloatToHalf(scale);
    for (size_t j = 0; j < kQ8_0BlockElements; ++j) {
      // nearbyint rounds half to even in the default rounding mode, as the SIMD rounding does.
      blocks[b].levels[j] = static_cast<int8_t>(std::nearbyint(x[j] * inverse));
    }
  }
}

void QuantizeQ8_K(const float* x, size_t cols, BlockQ8_K* blocks) {
  for (size_t b = 0; b < cols / kQ8_KBlockElements; ++b, x += kQ8_KBlockElements) {
    BlockQ8_K& block = blocks[b];
    float extreme = 0.0f;  // the element of largest magnitude, with its sign
    float max_magnitude = 0.0f;
    for (size_t j = 0; j < kQ8_KBlockElements; ++j) {
      const float magnitude = std::fabs(x[j]);
      if (magnitude > max_magnitude) {
        max_magnitude = magnitude;
        extreme = x[j];
      }
    }
    if (max_magnitude == 0.0f) {
      std::memset(&block, 0, sizeof(block));
      continue;
    }
    // -127 / extreme maps the extreme to -127 whatever its sign, so levels stay in [-127, 127].
    const float inverse = -127.0f / extreme;
    for (size_t j = 0; j < kQ8_KBlockElements; ++j) {
      const int level = quant_blocks::NearestInt(inverse * x[j]);
      block.levels[j] = static_cast<int8_t>(level > 127 ? 127 : level);
    }
    for (size_t run = 0; run < kQ8_KBlockElements / 16; ++run) {
      int sum = 0;
      for (size_t j = 0; j < 16; ++j) sum += block.levels[run * 16 + j];
      block.sums[run] = static_cast<int16_t>(sum);
    }
    block.scale = 1.0f / inverse;
  }
}

#if defined(__x86_64__)
// The same arithmetic as QuantizeQ8_0 (maximum, the two divisions, products rounded half to
// even), eight lanes at a time, so the bytes are identical on every path.
__attribute__((target("avx2,fma,f16c"))) void QuantizeQ8_0Avx2(const float* x, size_t cols,
                                                               BlockQ8_0* blocks) {
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  for (size_t b = 0; b < cols / kQ8_0BlockElements; ++b, x += kQ8_0BlockElements) {
    __m256 v[4];
    __m256 max4 = _mm256_setzero_ps();
    for (int i = 0; i < 4; ++i) {
      v[i] = _mm256_loadu_ps(x + 8 * i);
      max4 = _mm256_max_ps(max4, _mm256_andnot_ps(sign_bit, v[i]));
    }
    __m128 max1 = _mm_max_ps(_mm256_castps256_ps128(max4), _mm256_extractf128_ps(max4, 1));
    max1 = _mm_max_ps(max1, _mm_movehl_ps(max1, max1));
    max1 = _mm_max_ss(max1, _mm_movehdup_ps(max1));
    const float max_magnitude = _mm_cvtss_f32(max1);
    const float scale = max_magnitude / 127.0f;
    const float inverse = max_magnitude != 0.0f ? 127.0f / max_magnitude : 0.0f;
    blocks[b].scale = FloatToHalf(scale);
    const __m256 inverse8 = _mm256_set1_ps(inverse);
    __m256i levels[4];
    for (int i = 0; i < 4; ++i) {
      const __m256 rounded = _mm256_round_ps(_mm256_mul_ps(v[i], inverse8),
                                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      levels[i] = _mm256_cvtps_epi32(rounded);
    }
    // Pack 32 int32 to 32 int8; the packs interleave 128-bit lanes, which the permute undoes.
    const __m256i words01 = _mm256_packs_epi32(levels[0], levels[1]);
    const __m256i words23 = _mm256_packs_epi32(levels[2], levels[3]);
    const __m256i bytes = _mm256_packs_epi16(words01, words23);
    const __m256i ordered = _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(blocks[b].levels), ordered);
  }
}
#endif

}  // namespace

ActivationFormat ActivationFormatFor(TensorType weight_type) {
  switch (weight_type) {
    case TensorType::kQ8_0:
    case TensorType::kQ4_0:
    case TensorType::kQ5_0:
      return ActivationFormat::kQ8_0;
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
    case TensorType::kQ6_K:
      return ActivationFormat::kQ8_K;
    default:
      return ActivationFormat::kF32;
  }
}

size_t ActivationRowBytes(ActivationFormat format, size_t cols) {
  switch (format) {
    case ActivationFormat::kQ8_0: return cols / kQ8_0BlockElements * sizeof(BlockQ8_0);
    case ActivationFormat::kQ8_K: return cols / kQ8_KBlockElements * sizeof(BlockQ8_K);
    case ActivationFormat::kF32: break;
  }
  return cols * sizeof(float);
}

void QuantizeActivationRow(ActivationFormat format, const float* x, size_t cols, std::byte* out) {
  switch (format) {
    case ActivationFormat::kQ8_0:
#if defined(__x86_64__)
      if (HasAvx2()) return QuantizeQ8_0Avx2(x, cols, reinterpret_cast<BlockQ8_0*>(out));
#endif
      QuantizeQ8_0(x, cols, reinterpret_cast<BlockQ8_0*>(out));
      return;
    case ActivationFormat::kQ8_K:
      QuantizeQ8_K(x, cols, reinterpret_cast<BlockQ8_K*>(out));
      return;
    case ActivationFormat::kF32:
      std::memcpy(out, x, cols * sizeof(float));
      return;
  }
}

}  // namespace troupe::engine::kernels
