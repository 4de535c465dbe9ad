// The AVX-512 variants of the small-block dot products: 512-bit float tiles (masked loads take
// the last partial step), and 512-bit integer tiles with vpdpbusd that take two blocks per step.
#include "engine/kernels/dot_small_blocks_internal.h"

#if defined(__x86_64__)

#define TROUPE_DOT_TARGET \
  __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))
#include "engine/kernels/dot_small_blocks_x86_internal.h"

namespace troupe::engine::kernels::dot_small_blocks {

namespace {

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
    const auto& [rows, tokens] = StartsOf<R, T>(p, first_row, first_token);
    __m512 sums[R][T];
    ZeroSums(sums, _mm512_setzero_ps());
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

// Two 256-bit halves as one vector: `low` in lanes 0-7 (bytes 0-31), `high` in lanes 8-15. As
// above, the all-lanes masked forms, which g++ 12 compiles to the same instructions.
constexpr __mmask8 kAllQuads = 0xFF;
TROUPE_DOT_INLINE __m512i JoinHalves(__m256i low, __m256i high) {
  return _mm512_maskz_inserti64x4(kAllQuads, _mm512_maskz_inserti64x4(kAllQuads, _mm512_setzero_si512(), low, 0),
                                  high, 1);
}
TROUPE_DOT_INLINE __m512 JoinHalves(__m256 low, __m256 high) {
  const __m512d joined = _mm512_maskz_insertf64x4(
      kAllQuads, _mm512_maskz_insertf64x4(kAllQuads, _mm512_setzero_pd(), _mm256_castps_pd(low), 0),
      _mm256_castps_pd(high), 1);
  return _mm512_castpd_ps(joined);
}
TROUPE_DOT_INLINE __m512 IntsToFloats(__m512i ints) { return _mm512_maskz_cvtepi32_ps(kAllLanes, ints); }

// The integer tile at twice the width: each step takes two blocks, block b in the low 256 bits
// and b + 1 in the high, so one vpdpbusd, conversion, scale product and fused multiply-add serve 64
// products where the 256-bit tile spends the same four instructions on 32 (smollm2-135m Q8_0
// prefill spent 70% of its time in them). The weights go in as value + kOffset, each token's
// pair of blocks starts at -kOffset * (sum of its levels), as OffsetTrick. An odd last block runs
// in the low half with zero levels and zero scales in the high, which adds exactly nothing. Every
// tile shape runs these same steps for each output, ending with HorizontalSum16, so the bits do
// not depend on the batch.
template <class Blocks>
struct WideIntTiles {
  // Two consecutive blocks of a row (or of a token's quantized activations) as levels and scales.
  struct Pair {
    __m512i levels;
    __m512 scales;
  };
  TROUPE_DOT_INLINE static Pair WeightPair(const uint8_t* block, bool both) {
    const __m256i low = Blocks::Unsigned(block);
    if (both) {
      return {JoinHalves(low, Blocks::Unsigned(block + Blocks::kBytes)),
              JoinHalves(BroadcastHalf(block), BroadcastHalf(block + Blocks::kBytes))};
    }
    return {JoinHalves(low, _mm256_setzero_si256()), JoinHalves(BroadcastHalf(block), _mm256_setzero_ps())};
  }
  TROUPE_DOT_INLINE static Pair ActivationPair(const uint8_t* block, bool both) {
    constexpr size_t kBytes = sizeof(BlockQ8_0);
    const __m256i low = LoadBytes32(block + 2);
    if (both) {
      return {JoinHalves(low, LoadBytes32(block + kBytes + 2)),
              JoinHalves(BroadcastHalf(block), BroadcastHalf(block + kBytes))};
    }
    return {JoinHalves(low, _mm256_setzero_si256()), JoinHalves(BroadcastHalf(block), _mm256_setzero_ps())};
  }

  template <size_t R, size_t T>
  TROUPE_DOT_TARGET static void Run(const DotRowsProblem& p, size_t first_row, size_t first_token) {
    const auto& [rows, tokens] = StartsOf<R, T>(p, first_row, first_token);
    __m512 sums[R][T];
    ZeroSums(sums, _mm512_setzero_ps());
    const __m512i offset = _mm512_set1_epi8(static_cast<char>(Blocks::kOffset));
    const size_t prefetch_ahead = 8 * R * p.row_bytes;  // as the 256-bit tile, for decode
    const size_t blocks = p.cols / kBlockElements;
    for (size_t b = 0; b < blocks; b += 2) {
      const bool both = b + 1 < blocks;
      __m512i weights[R];
      __m512 weight_scales[R];
#pragma GCC unroll 16
      for (size_t r = 0; r < R; ++r) {
        const uint8_t* block = rows[r] + b * Blocks::kBytes;
        if constexpr (T == 1) {
          _mm_prefetch(reinterpret_cast<const char*>(block + prefetch_ahead), _MM_HINT_T0);
          _mm_prefetch(reinterpret_cast<const char*>(block + prefetch_ahead + 64), _MM_HINT_T0);
        }
        const Pair pair = WeightPair(block, both);
        weights[r] = pair.levels;
        weight_scales[r] = pair.scales;
      }
#pragma GCC unroll 16
      for (size_t t = 0; t < T; ++t) {
        const Pair activation = ActivationPair(tokens[t] + b * sizeof(BlockQ8_0), both);
        const __m512i start =
            _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_dpbusd_epi32(_mm512_setzero_si512(), offset, activation.levels));
#pragma GCC unroll 16
        for (size_t r = 0; r < R; ++r) {
          const __m512 dot = IntsToFloats(_mm512_dpbusd_epi32(start, weights[r], activation.levels));
          const __m512 scale = _mm512_mul_ps(weight_scales[r], activation.scales);
          sums[r][t] = _mm512_fmadd_ps(dot, scale, sums[r][t]);
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

// 4 x 4 tiles: 16 sums, 4 weight and 4 weight-scale vectors and a token's three fit AVX-512's 32
// registers.
constexpr size_t kTileRows = 4;
constexpr size_t kTileTokens = 4;

template <class Blocks>
using Avx512IntTiles = WideIntTiles<Blocks>;

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
