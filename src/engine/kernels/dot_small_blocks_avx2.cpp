// The AVX2 (+ FMA + F16C) variants of the small-block dot products: 256-bit float tiles for F32,
// F16 and BF16, and the shared integer tile (dot_small_blocks_x86.h) with the sign trick.
#include <cstring>

#include "engine/kernels/dot_small_blocks_internal.h"

#if defined(__x86_64__)

#define TROUPE_DOT_TARGET __attribute__((target("avx2,fma,f16c")))
#include "engine/kernels/dot_small_blocks_x86_internal.h"

namespace troupe::engine::kernels::dot_small_blocks {

namespace {

// AVX2 multiplies bytes only as unsigned x signed (vpmaddubsw), so the weight goes in as its
// magnitude and the activation takes the weight's sign. Exact: a pair of products is at most
// 2 * 128 * 127 = 32512, inside vpmaddubsw's int16 (the weight -128 has magnitude 128 read as
// unsigned; activations never hold -128, quantized_activations.h stops at -127).
struct SignTrick {
  struct Weight {
    __m256i magnitude;
    __m256i sign;
  };
  using Activation = __m256i;
  template <class Blocks>
  TROUPE_DOT_INLINE static Weight PrepareWeight(const uint8_t* block) {
    const __m256i levels = Blocks::Signed(block);
    return {_mm256_sign_epi8(levels, levels), levels};
  }
  template <class Blocks>
  TROUPE_DOT_INLINE static Activation PrepareActivation(__m256i levels) {
    return levels;
  }
  TROUPE_DOT_INLINE static __m256i Dot(const Weight& weight, Activation activation) {
    const __m256i pairs =
        _mm256_maddubs_epi16(weight.magnitude, _mm256_sign_epi8(activation, weight.sign));
    return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
  }
};

// Eight weights of each float type as floats.
struct F32Lanes {
  static constexpr size_t kElementBytes = 4;
  TROUPE_DOT_INLINE static __m256 Load(const uint8_t* bytes) {
    return _mm256_loadu_ps(reinterpret_cast<const float*>(bytes));
  }
};
struct F16Lanes {
  static constexpr size_t kElementBytes = 2;
  TROUPE_DOT_INLINE static __m256 Load(const uint8_t* bytes) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes)));
  }
};
struct Bf16Lanes {
  static constexpr size_t kElementBytes = 2;
  TROUPE_DOT_INLINE static __m256 Load(const uint8_t* bytes) {
    const __m256i widened =
        _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(widened, 16));
  }
};

// A tile of R float weight rows x T tokens: each output has its own 8-lane sum (element i in
// lane i % 8, as the scalar kernel), one fused multiply-add per 8 elements, and a last partial
// step over zero-padded copies, so every tile shape does the same operations per output. The
// loops over R and T are unrolled as in IntTiles, to keep the sums in registers, and decode
// prefetches two tiles ahead as IntTiles does (35-45% faster for F16 and BF16, 10-20% for F32).
template <class Lanes>
struct FloatTiles {
  static constexpr size_t kStep = 8;

  template <size_t R, size_t T>
  TROUPE_DOT_TARGET static void Run(const DotRowsProblem& p, size_t first_row, size_t first_token) {
    const auto& [rows, tokens] = StartsOf<R, T>(p, first_row, first_token);
    __m256 sums[R][T];
    ZeroSums(sums, _mm256_setzero_ps());
    size_t i = 0;
    for (; i + kStep <= p.cols; i += kStep) {
      __m256 weights[R];
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
        const __m256 activation = F32Lanes::Load(tokens[t] + i * sizeof(float));
#pragma GCC unroll 16
        for (size_t r = 0; r < R; ++r) {
          sums[r][t] = _mm256_fmadd_ps(weights[r], activation, sums[r][t]);
        }
      }
    }
    if (i < p.cols) {
      const size_t left = p.cols - i;
      __m256 weights[R];
#pragma GCC unroll 16
      for (size_t r = 0; r < R; ++r) {
        uint8_t padded[kStep * Lanes::kElementBytes] = {};
        std::memcpy(padded, rows[r] + i * Lanes::kElementBytes, left * Lanes::kElementBytes);
        weights[r] = Lanes::Load(padded);
      }
#pragma GCC unroll 16
      for (size_t t = 0; t < T; ++t) {
        uint8_t padded[kStep * sizeof(float)] = {};
        std::memcpy(padded, tokens[t] + i * sizeof(float), left * sizeof(float));
        const __m256 activation = F32Lanes::Load(padded);
#pragma GCC unroll 16
        for (size_t r = 0; r < R; ++r) {
          sums[r][t] = _mm256_fmadd_ps(weights[r], activation, sums[r][t]);
        }
      }
    }
#pragma GCC unroll 16
    for (size_t t = 0; t < T; ++t) {
      float* out = p.out + (first_token + t) * p.out_stride + first_row;
#pragma GCC unroll 16
      for (size_t r = 0; r < R; ++r) out[r] = HorizontalSum(sums[r][t]);
    }
  }
};

// Tile shapes. Floats: 4 rows x 2 tokens keeps 8 sums, 4 weight vectors and a token's vector in
// the 16 vector registers. Integers: a block product takes 5-6 instructions per output whatever
// the shape, so the shape only spreads the per-block costs (unpacking a weight block, converting
// scales); 4 x 4 measured a little ahead of 4 x 2, 2 x 4 and 3 x 4 on prefill (within ~10%, on
// the benchmark in bench/engine/dot_small_blocks_bench.cpp), its spilled sums notwithstanding.
constexpr size_t kTileRows = 4;
constexpr size_t kTileTokens = 2;
constexpr size_t kIntTileRows = 4;
constexpr size_t kIntTileTokens = 4;

template <class Blocks>
using Avx2IntTiles = IntTiles<SignTrick, Blocks>;

}  // namespace

dot_rows::Kernel Avx2Kernel(TensorType type) {
  switch (type) {
    case TensorType::kF32:
      return &RunTiles<FloatTiles<F32Lanes>, kTileRows, kTileTokens>;
    case TensorType::kF16:
      return &RunTiles<FloatTiles<F16Lanes>, kTileRows, kTileTokens>;
    case TensorType::kBF16:
      return &RunTiles<FloatTiles<Bf16Lanes>, kTileRows, kTileTokens>;
    case TensorType::kQ8_0:
      return &RunTiles<Avx2IntTiles<Q8_0Blocks>, kIntTileRows, kIntTileTokens>;
    case TensorType::kQ4_0:
      return &RunTiles<Avx2IntTiles<Q4_0Blocks>, kIntTileRows, kIntTileTokens>;
    case TensorType::kQ5_0:
      return &RunTiles<Avx2IntTiles<Q5_0Blocks>, kIntTileRows, kIntTileTokens>;
    default:
      return nullptr;
  }
}

}  // namespace troupe::engine::kernels::dot_small_blocks

#else  // !defined(__x86_64__)

namespace troupe::engine::kernels::dot_small_blocks {
dot_rows::Kernel Avx2Kernel(TensorType) { return nullptr; }
}  // namespace troupe::engine::kernels::dot_small_blocks

#endif
