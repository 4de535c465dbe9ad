#include "engine/kernels/fp16.h"

#include "engine/kernels/cpu_features.h"
#include "engine/quant.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace troupe::engine::kernels {

namespace {

std::array<float, 65536> BuildHalfTable() {
  std::array<float, 65536> table{};
  for (uint32_t bits = 0; bits < table.size(); ++bits) {
    table[bits] = HalfToFloat(static_cast<uint16_t>(bits));
  }
  return table;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma,f16c"))) void HalfRowToFloatAvx2(const uint16_t* src, float* dst,
                                                                   size_t count) {
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m128i halves = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(halves));
  }
  for (; i < count; ++i) dst[i] = kHalfToFloat[src[i]];
}

__attribute__((target("avx2,fma,f16c"))) void FloatRowToHalfAvx2(const float* src, uint16_t* dst,
                                                                   size_t count) {
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m128i halves =
        _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), halves);
  }
  for (; i < count; ++i) dst[i] = FloatToHalf(src[i]);
}
#endif

}  // namespace

const std::array<float, 65536> kHalfToFloat = BuildHalfTable();

void HalfRowToFloat(const uint16_t* src, float* dst, size_t count) {
#if defined(__x86_64__)
  // Checked once: attention converts one cached row per position.
  static const bool avx2 = HasAvx2();
  if (avx2) return HalfRowToFloatAvx2(src, dst, count);
#endif
  for (size_t i = 0; i < count; ++i) dst[i] = kHalfToFloat[src[i]];
}

void FloatRowToHalf(const float* src, uint16_t* dst, size_t count) {
#if defined(__x86_64__)
  if (HasAvx2()) return FloatRowToHalfAvx2(src, dst, count);
#endif
  for (size_t i = 0; i < count; ++i) dst[i] = FloatToHalf(src[i]);
}

}  // namespace troupe::engine::kernels
