// Private to dot_k_quants*.cpp: what the K-quant kernels of every instruction set share. The
// super-block layouts, the unpacking of Q4_K/Q5_K's 6-bit scales and minimums, the walk over
// tiles of rows x tokens, and each path's table of kernels.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#include "engine/kernels/dot_rows_internal.h"
#include "engine/kernels/quantized_activations.h"

namespace troupe::engine::kernels::dot_rows::k_quants {

inline constexpr size_t kSuperBlock = 256;
inline constexpr size_t kQ4KBytes = 144;  // half d, half dmin, 12 packed scales, 128 nibbles
inline constexpr size_t kQ5KBytes = 176;  // as Q4_K with 32 bytes of fifth bits before the nibbles
inline constexpr size_t kQ6KBytes = 210;  // 128 low nibbles, 64 high 2-bits, 16 int8 scales, half d

// The eight 6-bit scales and eight 6-bit minimums of a Q4_K/Q5_K super-block, one byte each,
// sub-block k in byte k (little-endian). Pairs 0-3 sit in the low six bits of bytes 0-3 (scales)
// and 4-7 (mins); pairs 4-7 take their low four bits from the nibbles of bytes 8-11 and their top
// two bits from the spare top bits of bytes 0-7. Plain integer code, so the SIMD kernels call it
// too: inlined there it may use their instructions, and its own copy is baseline code.
struct PackedScales {
  uint64_t scales;
  uint64_t mins;
};
inline PackedScales UnpackScalesAndMins(const uint8_t* packed) {
  uint32_t word[3];
  std::memcpy(&word[0], packed, 4);
  std::memcpy(&word[1], packed + 4, 4);
  std::memcpy(&word[2], packed + 8, 4);
  constexpr uint32_t kLowSix = 0x3F3F3F3F, kLowFour = 0x0F0F0F0F, kLowTwo = 0x03030303;
  const uint32_t scales_low = word[0] & kLowSix;
  const uint32_t mins_low = word[1] & kLowSix;
  const uint32_t scales_high = (word[2] & kLowFour) | (((word[0] >> 6) & kLowTwo) << 4);
  const uint32_t mins_high = ((word[2] >> 4) & kLowFour) | (((word[1] >> 6) & kLowTwo) << 4);
  return {scales_low | (static_cast<uint64_t>(scales_high) << 32),
          mins_low | (static_cast<uint64_t>(mins_high) << 32)};
}

inline const uint8_t* WeightBlock(const DotRowsProblem& problem, size_t row, size_t block,
                                  size_t block_bytes) {
  return reinterpret_cast<const uint8_t*>(problem.rows + row * problem.row_bytes) +
         block * block_bytes;
}

inline const BlockQ8_K* ActivationBlock(const DotRowsProblem& problem, size_t token, size_t block) {
  return reinterpret_cast<const BlockQ8_K*>(problem.activations +
                                            token * problem.activation_row_bytes) +
         block;
}

// Computes the rows [first_row, first_row + R) x tokens [first_token, first_token + T) of a
// problem, R and T being the table position + 1.
using TileKernel = void (*)(const DotRowsProblem& problem, size_t first_row, size_t first_token);

template <size_t kRows, size_t kTokens>
using TileTable = std::array<std::array<TileKernel, kTokens>, kRows>;

// Token tiles outside, rows inside: a tile's activations (kTokens x cols of Q8_K, a few KB) stay
// in L1 while the rows of the call stream past, each row read once per token tile. Edge tiles
// run smaller instantiations of the same kernel, so every element sees the same operations.
template <size_t kRows, size_t kTokens>
void RunTiles(const DotRowsProblem& problem, const TileTable<kRows, kTokens>& table) {
  for (size_t token = 0; token < problem.n_tokens; token += kTokens) {
    const size_t tokens = problem.n_tokens - token < kTokens ? problem.n_tokens - token : kTokens;
    for (size_t row = 0; row < problem.n_rows; row += kRows) {
      const size_t rows = problem.n_rows - row < kRows ? problem.n_rows - row : kRows;
      table[rows - 1][tokens - 1](problem, row, token);
    }
  }
}

// A table with Tile<r + 1, t + 1>::Run at [r][t].
template <template <size_t, size_t> class Tile, size_t kRows, size_t kTokens, size_t... kIndex>
constexpr TileTable<kRows, kTokens> MakeTileTable(std::index_sequence<kIndex...>) {
  TileTable<kRows, kTokens> table{};
  ((table[kIndex / kTokens][kIndex % kTokens] =
        &Tile<kIndex / kTokens + 1, kIndex % kTokens + 1>::Run),
   ...);
  return table;
}
template <template <size_t, size_t> class Tile, size_t kRows, size_t kTokens>
constexpr TileTable<kRows, kTokens> MakeTileTable() {
  return MakeTileTable<Tile, kRows, kTokens>(std::make_index_sequence<kRows * kTokens>{});
}

// Each path's kernels; nullptr for a type it has none for.
Kernel ScalarKernel(TensorType type);
Kernel Avx2Kernel(TensorType type);
Kernel AvxVnniKernel(TensorType type);
Kernel Avx512Kernel(TensorType type);

}  // namespace troupe::engine::kernels::dot_rows::k_quants
