// Private to dot_small_blocks_{avx2,vnni,avx512}.cpp: the 256-bit integer tile that all three
// x86 paths run for Q8_0, Q4_0 and Q5_0, with the block product left to a policy (AVX2's sign
// trick, or VNNI's vpdpbusd in its VEX or EVEX form).
//
// Each including file first defines TROUPE_DOT_TARGET as its __attribute__((target(...))): the
// code here must carry its path's target on every function, never a file-wide -m flag, and
// everything sits in an anonymous namespace so the copies compiled for different targets can
// never be merged by the linker.
#pragma once

#if defined(__x86_64__)

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "engine/kernels/dot_small_blocks_internal.h"
#include "engine/kernels/fp16.h"
#include "engine/kernels/quantized_activations.h"

#ifndef TROUPE_DOT_TARGET
#error "define TROUPE_DOT_TARGET before including dot_small_blocks_x86.h"
#endif

#define TROUPE_DOT_INLINE inline __attribute__((always_inline)) TROUPE_DOT_TARGET

namespace troupe::engine::kernels::dot_small_blocks {
namespace {

TROUPE_DOT_INLINE uint16_t LoadU16(const uint8_t* bytes) {
  return static_cast<uint16_t>(bytes[0] | (bytes[1] << 8));
}

// A block's half scale, as a float in all eight lanes. The table lookup is two loads, where F16C
// (vmovd, vcvtph2ps, vbroadcastss) would take three vector instructions from the ports the block
// products need; a matrix's scales span a narrow range, so few of the table's lines are touched.
TROUPE_DOT_INLINE __m256 BroadcastHalf(const uint8_t* block) {
  return _mm256_broadcast_ss(&kHalfToFloat[LoadU16(block)]);
}

TROUPE_DOT_INLINE __m256i LoadBytes32(const uint8_t* bytes) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bytes));
}

// The one order in which every path folds an 8-lane sum:
// ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)), as the scalar kernel's SumLanes.
TROUPE_DOT_INLINE float HorizontalSum(__m256 v) {
  const __m128 folded = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 pairs = _mm_add_ps(folded, _mm_movehl_ps(folded, folded));
  return _mm_cvtss_f32(_mm_add_ss(pairs, _mm_movehdup_ps(pairs)));
}

// The first byte of each of a tile's R weight rows and of its T tokens' activations.
template <size_t R, size_t T>
struct TileStarts {
  const uint8_t* rows[R];
  const uint8_t* tokens[T];
};

template <size_t R, size_t T>
TROUPE_DOT_INLINE TileStarts<R, T> StartsOf(const DotRowsProblem& p, size_t first_row, size_t first_token) {
  TileStarts<R, T> starts;
#pragma GCC unroll 16
  for (size_t r = 0; r < R; ++r) {
    starts.rows[r] = reinterpret_cast<const uint8_t*>(p.rows + (first_row + r) * p.row_bytes);
  }
#pragma GCC unroll 16
  for (size_t t = 0; t < T; ++t) {
    starts.tokens[t] = reinterpret_cast<const uint8_t*>(p.activations + (first_token + t) * p.activation_row_bytes);
  }
  return starts;
}

// Every one of a tile's sums set to `zero` (the unrolled loops keep them in registers).
template <class Vector, size_t R, size_t T>
TROUPE_DOT_INLINE void ZeroSums(Vector (&sums)[R][T], Vector zero) {
#pragma GCC unroll 16
  for (size_t r = 0; r < R; ++r) {
#pragma GCC unroll 16
    for (size_t t = 0; t < T; ++t) sums[r][t] = zero;
  }
}

// Each weight type gives its block's 32 levels in element order in two forms: Signed (the
// value's integer, -128..127) and Unsigned (value + kOffset, 0..255), whichever the policy needs.
struct Q8_0Blocks {
  static constexpr size_t kBytes = kQ8_0Bytes;
  static constexpr int kOffset = 128;
  TROUPE_DOT_INLINE static __m256i Signed(const uint8_t* block) { return LoadBytes32(block + 2); }
  TROUPE_DOT_INLINE static __m256i Unsigned(const uint8_t* block) {
    return _mm256_xor_si256(Signed(block), _mm256_set1_epi8(static_cast<char>(0x80)));
  }
};

// The 16 nibble bytes as elements 0-15 (low nibbles) and 16-31 (high nibbles), 0..15 each.
TROUPE_DOT_INLINE __m256i SplitNibbles(const uint8_t* nibbles) {
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(nibbles));
  const __m256i both = _mm256_set_m128i(_mm_srli_epi16(packed, 4), packed);
  return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

struct Q4_0Blocks {
  static constexpr size_t kBytes = kQ4_0Bytes;
  static constexpr int kOffset = 8;
  TROUPE_DOT_INLINE static __m256i Unsigned(const uint8_t* block) {
    return SplitNibbles(block + 2);
  }
  TROUPE_DOT_INLINE static __m256i Signed(const uint8_t* block) {
    return _mm256_sub_epi8(Unsigned(block), _mm256_set1_epi8(8));
  }
};

// 0xFF in byte j where bit j of Q5_0's little-endian fifth-bit word is set: byte j takes a copy
// of the word's byte j / 8 and tests its bit j % 8.
TROUPE_DOT_INLINE __m256i FifthBitMask(const uint8_t* bits) {
  const uint32_t word =
      static_cast<uint32_t>(LoadU16(bits)) | (static_cast<uint32_t>(LoadU16(bits + 2)) << 16);
  const __m256i byte_of_word =
      _mm256_set_epi64x(0x0303030303030303LL, 0x0202020202020202LL, 0x0101010101010101LL, 0);
  const __m256i spread =
      _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(word)), byte_of_word);
  const __m256i bit_of_byte = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ULL));
  return _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit_of_byte), bit_of_byte);
}

struct Q5_0Blocks {
  static constexpr size_t kBytes = kQ5_0Bytes;
  static constexpr int kOffset = 16;
  TROUPE_DOT_INLINE static __m256i Unsigned(const uint8_t* block) {
    const __m256i fifth = _mm256_and_si256(FifthBitMask(block + 2), _mm256_set1_epi8(0x10));
    return _mm256_or_si256(SplitNibbles(block + 6), fifth);
  }
  // A clear fifth bit makes the byte 0xF0 | nibble, which is nibble - 16 as int8; a set one
  // leaves the nibble, which is (nibble + 16) - 16.
  TROUPE_DOT_INLINE static __m256i Signed(const uint8_t* block) {
    const __m256i clear =
        _mm256_andnot_si256(FifthBitMask(block + 2), _mm256_set1_epi8(static_cast<char>(0xF0)));
    return _mm256_or_si256(SplitNibbles(block + 6), clear);
  }
};

// VNNI's block product: vpdpbusd multiplies unsigned by signed bytes, so the weights go in as
// value + kOffset and each token's block starts its sum at -kOffset * (sum of its levels),
// computed once per token and block and shared by every row of the tile. The sums are exact:
// 4 * 255 * 128 per lane per step is far from the int32 limit. `DotProduct::Accumulate(sum,
// unsigned, signed)` is the path's vpdpbusd.
template <class DotProduct>
struct OffsetTrick {
  using Weight = __m256i;
  struct Activation {
    __m256i levels;
    __m256i start;
  };
  template <class Blocks>
  TROUPE_DOT_INLINE static Weight PrepareWeight(const uint8_t* block) {
    return Blocks::Unsigned(block);
  }
  template <class Blocks>
  TROUPE_DOT_INLINE static Activation PrepareActivation(__m256i levels) {
    const __m256i zero = _mm256_setzero_si256();
    const __m256i offset = _mm256_set1_epi8(static_cast<char>(Blocks::kOffset));
    return {levels, _mm256_sub_epi32(zero, DotProduct::Accumulate(zero, offset, levels))};
  }
  TROUPE_DOT_INLINE static __m256i Dot(Weight weight, const Activation& activation) {
    return DotProduct::Accumulate(activation.start, weight, activation.levels);
  }
};

// A tile of R weight rows x T tokens of one integer type. Each output keeps its own 8-lane
// float sum; per block it adds (weight scale * activation scale) * (the block's integer dot in
// 8 lanes of 4 products) with one fused multiply-add, and ends with HorizontalSum. That sequence
// is the same in every tile shape. Weight blocks are unpacked once per tile and used T times;
// activation blocks are read once per tile and used R times.
// Every loop over R or T is unrolled by pragma: g++ -O2 keeps such short loops as loops, and then
// the arrays of sums live on the stack instead of in registers.
template <class Policy, class Blocks>
struct IntTiles {
  template <size_t R, size_t T>
  TROUPE_DOT_TARGET static void Run(const DotRowsProblem& p, size_t first_row, size_t first_token) {
    const auto& [rows, tokens] = StartsOf<R, T>(p, first_row, first_token);
    __m256 sums[R][T];
    ZeroSums(sums, _mm256_setzero_ps());
    // Decode (one token) streams every weight byte once from memory, one row at a time
    // (RunTiles). Fetching the same block 8 rows ahead as well measured faster than 2 or 16
    // ahead (qwen2.5-0.5b Q8_0, 2 threads: 59 t/s at 2, 64 at 8, 59-62 at 16). With more tokens
    // the weights are reused from cache.
    const size_t prefetch_ahead = 8 * R * p.row_bytes;
    const size_t blocks = p.cols / kBlockElements;
    for (size_t b = 0; b < blocks; ++b) {
      typename Policy::Weight weights[R];
      __m256 weight_scales[R];
#pragma GCC unroll 16
      for (size_t r = 0; r < R; ++r) {
        const uint8_t* block = rows[r] + b * Blocks::kBytes;
        if constexpr (T == 1) {
          _mm_prefetch(reinterpret_cast<const char*>(block + prefetch_ahead), _MM_HINT_T0);
        }
        weights[r] = Policy::template PrepareWeight<Blocks>(block);
        weight_scales[r] = BroadcastHalf(block);
      }
#pragma GCC unroll 16
      for (size_t t = 0; t < T; ++t) {
        const uint8_t* block = tokens[t] + b * sizeof(BlockQ8_0);
        const auto activation = Policy::template PrepareActivation<Blocks>(LoadBytes32(block + 2));
        const __m256 activation_scale = BroadcastHalf(block);
#pragma GCC unroll 16
        for (size_t r = 0; r < R; ++r) {
          const __m256 dot = _mm256_cvtepi32_ps(Policy::Dot(weights[r], activation));
          const __m256 scale = _mm256_mul_ps(weight_scales[r], activation_scale);
          sums[r][t] = _mm256_fmadd_ps(dot, scale, sums[r][t]);
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

}  // namespace
}  // namespace troupe::engine::kernels::dot_small_blocks

#endif  // defined(__x86_64__)
