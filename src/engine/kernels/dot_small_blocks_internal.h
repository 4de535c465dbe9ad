// Private to dot_small_blocks*.cpp: the block layouts the kernels read, each path's kernel table
// and the loop that cuts a problem into register tiles.
//
// Every path computes an output element in a tile of its own accumulators, so a tile of 4 rows x
// 2 tokens and a tile of 1 x 1 run the same operations on each element in the same order: that is
// how DotRows keeps its promise that the bits do not depend on the batch.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "engine/kernels/dot_rows_internal.h"

namespace troupe::engine::kernels::dot_small_blocks {

// Elements of one Q8_0 / Q4_0 / Q5_0 block and the bytes of each weight block.
inline constexpr size_t kBlockElements = 32;
inline constexpr size_t kQ8_0Bytes = 34;  // half scale, 32 int8
inline constexpr size_t kQ4_0Bytes = 18;  // half scale, 16 bytes of nibbles
inline constexpr size_t kQ5_0Bytes = 22;  // half scale, 32 fifth bits, 16 bytes of nibbles

// Each path's kernels: nullptr for a type it has no variant of (DotRows then runs a lower path).
dot_rows::Kernel ScalarKernel(TensorType type);
dot_rows::Kernel Avx2Kernel(TensorType type);
dot_rows::Kernel AvxVnniKernel(TensorType type);
dot_rows::Kernel Avx512Kernel(TensorType type);

// Computes the outputs of rows [first_row, first_row + R) x tokens [first_token, first_token + T)
// for the R and T the function was instantiated with.
using TileFunction = void (*)(const DotRowsProblem& problem, size_t first_row, size_t first_token);

// `Tiles` has `template <size_t R, size_t T> static void Run(problem, first_row, first_token)`.
// Runs the problem as tiles of kMaxRows x kMaxTokens and smaller ones at the edges, or one row at a
// time for a single token. Rows are the outer loop: a tile's weight rows stay in L1 while the
// tokens stream past them, and the tokens' activations (at most a few hundred KB) stay in L2
// across row tiles.
template <class Tiles, size_t kMaxRows, size_t kMaxTokens>
void RunTiles(const DotRowsProblem& problem) {
  static constexpr auto kTable = []<size_t... I>(std::index_sequence<I...>) {
    return std::array<TileFunction, sizeof...(I)>{
        &Tiles::template Run<I / kMaxTokens + 1, I % kMaxTokens + 1>...};
  }
  (std::make_index_sequence<kMaxRows * kMaxTokens>());
  if (problem.n_tokens == 1) {
    // Decode reads each weight once, so there is nothing to reuse across rows; one row at a time
    // is one sequential stream the prefetchers follow, where a tile's rows were several
    // interleaved ones (smollm2-135m Q8_0 decode: 139-144 -> 191-198 t/s, 2 threads).
    for (size_t row = 0; row < problem.n_rows; ++row) kTable[0](problem, row, 0);
    return;
  }
  for (size_t row = 0; row < problem.n_rows; row += kMaxRows) {
    const size_t rows = problem.n_rows - row < kMaxRows ? problem.n_rows - row : kMaxRows;
    for (size_t token = 0; token < problem.n_tokens; token += kMaxTokens) {
      const size_t tokens =
          problem.n_tokens - token < kMaxTokens ? problem.n_tokens - token : kMaxTokens;
      kTable[(rows - 1) * kMaxTokens + (tokens - 1)](problem, row, token);
    }
  }
}

}  // namespace troupe::engine::kernels::dot_small_blocks
