// The AVX-512 variants of the small-block dot products: 512-bit float tiles (masked loads take
// the last partial step), and for the integer types the AVX2 tile with EVEX vpdpbusd. The integer
// tile stays 256-bit so its structure is the one tested on every AVX2 machine; AVX-512's 32
// vector registers let it take more tokens per tile.
#include "engine/kernels/dot_small_blocks_internal.h"

#if defined(__x86_64__)

#define TROUPE_DOT_TARGET \
  __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))
#include "engine/kernels/dot_small_blocks_x86_internal.h"

namespace troupe::engine::kernels::dot_small_blocks {

namespace {

struct EvexDotProduct {
  TROUPE_DOT_INLINE static __m256i Accumulate(__m256i sum, __m256i unsigned_bytes,
                                              __m256i signed_bytes) {
    return _mm256_dpbusd_epi32(sum, unsigned_bytes, signed_bytes);
  }
};

// Sixteen weights of each float type as floats; LoadFirst reads only the first `count` (< 16)
// and zeroes the rest (masked loads do not touch the bytes past the row's end).
struct F32Lanes {
  static constexpr size_t kElementBytes = 4;
  TROUPE_DOT_INLINE static __m512 Load(const uint8_t* bytes) { return _mm512_loadu_ps(bytes); }
  TROUPE_DOT_INLINE static __m512 LoadFirst(const uint8_t* bytes, __mmask16 mask) {
    return _mm512_maskz_loadu_ps(mask, bytes);
  }
};
// The conversions use the all-lanes masked forms: g++ 12's unmasked ones pass an undefined vector
// that trips its own -Wmaybe-uninitialized.
constexpr __mmask16 kAllLanes = 0xFFFF;
TROUPE_DOT_INLINE __m512 HalvesToFloats(__m256i halves) {
  return _mm512_maskz_cvtph_ps(kAllLanes, halves);
}
TROUPE_DOT_INLINE __m512 Bf16ToFloats(__m256i halves) {
  const __mmask16 all = kAllLanes;
  const __m512i widened = _mm512_maskz_cvtepu16_epi32(all, halves);
  return _mm512_castsi512_ps(_mm512_maskz_slli_epi32(all, widened, 16));
}
struct F16Lanes {
  static constexpr size_t kElementBytes = 2;
  TROUPE_DOT_INLINE static __m512 Load(const uint8_t* bytes) {
    return HalvesToFloats(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(bytes)));
  }
  TROUPE_DOT_INLINE static __m512 LoadFirst(const uint8_t* bytes, __mmask16 mask) {
    return HalvesToFloats(_mm256_maskz_loadu_epi16(mask, bytes));
  }
};
struct Bf16Lanes {
  static constexpr size_t kElementBytes = 2;
  TROUPE_DOT_INLINE static __m512 Load(const uint8_t* bytes) {
    return Bf16ToFloats(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(bytes)));
  }
  TROUPE_DOT_INLINE static __m512 LoadFirst(const uint8_t* bytes, __mmask16 mask) {
    return Bf16ToFloats(_mm256_maskz_loadu_epi16(mask, bytes));
  }
};

// Lanes i and i + 8 meet first, then the 8-lane order every path uses. The halves go through
// memory: g++ 12's 512-to-256-bit extracts trip -Wuninitialized on their own undefined operand
// (as above), and this runs once per output.
TROUPE_DOT_INLINE float HorizontalSum16(__m512 v) {
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, v);
  return HorizontalSum(_mm256_add_ps(_mm256_load_ps(lanes), _mm256_load_ps(lanes + 8)));
}

// The float tile of the AVX2 path at twice the width: one 16-lane sum per output (element i in
// lane i % 16), one fused multiply-add per 16 elements, the last partial step masked, and the
// same prefetching for decode.
template <class Lanes>
struct FloatTiles {
  static constexpr size_t kStep = 16;

  template <size_t R, size_t T>
  TROUPE_DOT_TARGET static void Run(const DotRowsProblem& p, size_t first_row, size_t first_token) {
    const uint8_t* rows[R];
#pragma GCC unroll 16
    for (size_t r = 0; r < R; ++r) {
      rows[r] = reinterpret_cast<const uint8_t*>(p.rows + (first_row + r) * p.row_bytes);
    }
    const uint8_t* tokens[T];
#pragma GCC unroll 16
    for (size_t t = 0; t < T; ++t) {
      tokens[t] = reinterpret_cast<const uint8_t*>(p.activations +
                                                   (first_token + t) * p.activation_row_bytes);
    }
    __m512 sums[R][T];
#pragma GCC unroll 16
    for (size_t r = 0; r < R; ++r) {
#pragma GCC unroll 16
      for (size_t t = 0; t < T; ++t) sums[r][t] = _mm512_setzero_ps();
    }
    size_t i = 0;
    for (; i + kStep <= p.cols; i += kStep) {
      __m512 weights[R];
#pragma GCC unroll 16
      for (size_t r = 0; r < R; ++r) {
        const uint8_t* weight = rows[r] + i * Lanes::kElementBytes;
        if constexpr (T == 1) {
          _mm_prefetch(reinterpret_cast<const char*>(weight + 2 * R * p.row_bytes), _MM_HINT_T0);
        }
        weights[r] = Lanes::Load(weight);
      }
#pragma GCC unroll 16
      for (size_t t = 0; t < T; ++t) {
        const __m512 activation = F32Lanes::Load(tokens[t] + i * sizeof(float));
#pragma GCC unroll 16
        for (size_t r = 0; r < R; ++r) {
          sums[r][t] = _mm512_fmadd_ps(weights[r], activation, sums[r][t]);
        }
      }
    }
    if (i < p.cols) {
      const __mmask16 mask = static_cast<__mmask16>((1u << (p.cols - i)) - 1);
      __m512 weights[R];
#pragma GCC unroll 16
      for (size_t r = 0; r < R; ++r) {
        weights[r] = Lanes::LoadFirst(rows[r] + i * Lanes::kElementBytes, mask);
      }
#pragma GCC unroll 16
      for (size_t t = 0; t < T; ++t) {
        const __m512 activation = F32Lanes::LoadFirst(tokens[t] + i * sizeof(float), mask);
#pragma GCC unroll 16
        for (size_t r = 0; r < R; ++r) {
          sums[r][t] = _mm512_fmadd_ps(weights[r], activation, sums[r][t]);
        }
      }
    }
#pragma GCC unroll 16
    for (size_t t = 0; t < T; ++t) {
      float* out = p.out + (first_token + t) * p.out_stride + first_row;
#pragma GCC unroll 16
      for (size_t r = 0; r < R; ++r) out[r] = HorizontalSum16(sums[r][t]);
    }
  }
};

// 4 x 4 tiles: 16 sums, 4 weight vectors and a token's vectors fit AVX-512's 32 registers.
// Not measured on this project's machines yet (none has AVX-512).
constexpr size_t kTileRows = 4;
constexpr size_t kTileTokens = 4;

template <class Blocks>
using Avx512IntTiles = IntTiles<OffsetTrick<EvexDotProduct>, Blocks>;

}  // namespace

dot_rows::Kernel Avx512Kernel(TensorType type) {
  switch (type) {
    case TensorType::kF32:
      return &RunTiles<FloatTiles<F32Lanes>, kTileRows, kTileTokens>;
    case TensorType::kF16:
      return &RunTiles<FloatTiles<F16Lanes>, kTileRows, kTileTokens>;
    case TensorType::kBF16:
      return &RunTiles<FloatTiles<Bf16Lanes>, kTileRows, kTileTokens>;
    case TensorType::kQ8_0:
      return &RunTiles<Avx512IntTiles<Q8_0Blocks>, kTileRows, kTileTokens>;
    case TensorType::kQ4_0:
      return &RunTiles<Avx512IntTiles<Q4_0Blocks>, kTileRows, kTileTokens>;
    case TensorType::kQ5_0:
      return &RunTiles<Avx512IntTiles<Q5_0Blocks>, kTileRows, kTileTokens>;
    default:
      return nullptr;
  }
}

}  // namespace troupe::engine::kernels::dot_small_blocks

#else  // !defined(__x86_64__)

namespace troupe::engine::kernels::dot_small_blocks {
dot_rows::Kernel Avx512Kernel(TensorType) { return nullptr; }
}  // namespace troupe::engine::kernels::dot_small_blocks

#endif
