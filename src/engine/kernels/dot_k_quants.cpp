// The K-quant dot products: which kernel each path runs, and the portable (scalar) kernels that
// every other path must agree with to rounding.
#include <cstddef>
#include <cstdint>

#include "engine/kernels/dot_k_quants_internal.h"
#include "engine/kernels/fp16.h"

namespace troupe::engine::kernels::dot_rows {

namespace k_quants {

namespace {

inline float LoadHalf(const uint8_t* bytes) {
  return HalfBitsToFloat(static_cast<uint16_t>(bytes[0] | (bytes[1] << 8)));
}

// A weight super-block as exact integers: its 256 levels (Q6_K's already less 32) and, per run
// of 16 elements, a scale and a minimum (a Q4_K/Q5_K sub-block of 32 gives both its runs the
// same). Runs of 16 are where the activation's sums are, so the minimums cost 16 products.
struct IntegerBlock {
  int8_t levels[kSuperBlock];
  int16_t scales[kSuperBlock / 16];
  int16_t mins[kSuperBlock / 16];
  float d;
  float dmin;  // 0 for Q6_K, which has no minimums
};

void SetScalesAndMins(const uint8_t* packed, IntegerBlock& out) {
  const PackedScales unpacked = UnpackScalesAndMins(packed);
  for (size_t sub = 0; sub < 8; ++sub) {
    const auto scale = static_cast<int16_t>((unpacked.scales >> (8 * sub)) & 0xFF);
    const auto min = static_cast<int16_t>((unpacked.mins >> (8 * sub)) & 0xFF);
    out.scales[2 * sub] = out.scales[2 * sub + 1] = scale;
    out.mins[2 * sub] = out.mins[2 * sub + 1] = min;
  }
}

// Each 32 bytes of nibbles hold two sub-blocks: the first in the low nibbles, the second high.
void UnpackQ4K(const uint8_t* block, IntegerBlock& out) {
  out.d = LoadHalf(block);
  out.dmin = LoadHalf(block + 2);
  SetScalesAndMins(block + 4, out);
  const uint8_t* nibbles = block + 16;
  for (size_t pair = 0; pair < 4; ++pair, nibbles += 32) {
    for (size_t l = 0; l < 32; ++l) {
      out.levels[64 * pair + l] = static_cast<int8_t>(nibbles[l] & 0x0F);
      out.levels[64 * pair + 32 + l] = static_cast<int8_t>(nibbles[l] >> 4);
    }
  }
}

// As Q4_K; element l of sub-block 2*pair (2*pair + 1) takes bit 2*pair (2*pair + 1) of byte l of
// the fifth bits as its bit 4.
void UnpackQ5K(const uint8_t* block, IntegerBlock& out) {
  out.d = LoadHalf(block);
  out.dmin = LoadHalf(block + 2);
  SetScalesAndMins(block + 4, out);
  const uint8_t* fifth = block + 16;
  const uint8_t* nibbles = block + 48;
  for (size_t pair = 0; pair < 4; ++pair, nibbles += 32) {
    for (size_t l = 0; l < 32; ++l) {
      const int low_bit = (fifth[l] >> (2 * pair)) & 1;
      const int high_bit = (fifth[l] >> (2 * pair + 1)) & 1;
      out.levels[64 * pair + l] = static_cast<int8_t>((nibbles[l] & 0x0F) | (low_bit << 4));
      out.levels[64 * pair + 32 + l] = static_cast<int8_t>((nibbles[l] >> 4) | (high_bit << 4));
    }
  }
}

// Each 128 elements use 64 low-nibble bytes and 32 high bytes: runs of 32 take (low nibble of
// byte l | bits 0-1), (low nibble of byte l + 32 | bits 2-3), (high nibble of l | bits 4-5),
// (high nibble of l + 32 | bits 6-7), less 32.
void UnpackQ6K(const uint8_t* block, IntegerBlock& out) {
  out.d = LoadHalf(block + 208);
  out.dmin = 0.0f;
  const uint8_t* low = block;
  const uint8_t* high = block + 128;
  for (size_t run = 0; run < kSuperBlock / 16; ++run) {
    out.scales[run] = static_cast<int8_t>(block[192 + run]);
    out.mins[run] = 0;
  }
  for (size_t half = 0; half < 2; ++half, low += 64, high += 32) {
    int8_t* levels = out.levels + 128 * half;
    for (size_t l = 0; l < 32; ++l) {
      levels[l] = static_cast<int8_t>(((low[l] & 0x0F) | ((high[l] & 3) << 4)) - 32);
      levels[l + 32] = static_cast<int8_t>(((low[l + 32] & 0x0F) | (((high[l] >> 2) & 3) << 4)) - 32);
      levels[l + 64] = static_cast<int8_t>(((low[l] >> 4) | (((high[l] >> 4) & 3) << 4)) - 32);
      levels[l + 96] = static_cast<int8_t>(((low[l + 32] >> 4) | (((high[l] >> 6) & 3) << 4)) - 32);
    }
  }
}

// The scalar kernels' operations for one (row, token) and super-block, in this order (the tests
// repeat them to check the kernels bit for bit):
//   products     = sum over runs of scale * (sum of level * activation level)   exact int32
//   min_products = sum over runs of min * activation run sum                     exact int32
//   acc = acc + (d * activation scale) * float(products)
//   acc = acc - (dmin * activation scale) * float(min_products)      (Q4_K, Q5_K only)
template <bool kHasMins>
float AddBlock(float acc, const IntegerBlock& weights, const BlockQ8_K& activations) {
  int32_t products = 0;
  for (size_t run = 0; run < kSuperBlock / 16; ++run) {
    int32_t run_sum = 0;
    for (size_t i = 16 * run; i < 16 * run + 16; ++i) run_sum += weights.levels[i] * activations.levels[i];
    products += weights.scales[run] * run_sum;
  }
  acc += (weights.d * activations.scale) * static_cast<float>(products);
  if constexpr (kHasMins) {
    int32_t min_products = 0;
    for (size_t run = 0; run < kSuperBlock / 16; ++run) min_products += weights.mins[run] * activations.sums[run];
    acc -= (weights.dmin * activations.scale) * static_cast<float>(min_products);
  }
  return acc;
}

// One row at a time: each weight block is unpacked once and used for the tile's tokens.
template <void (*kUnpack)(const uint8_t*, IntegerBlock&), size_t kBlockBytes, bool kHasMins,
          size_t kRows, size_t kTokens>
struct ScalarTile {
  static void Run(const DotRowsProblem& problem, size_t first_row, size_t first_token) {
    const size_t blocks = problem.cols / kSuperBlock;
    for (size_t row = first_row; row < first_row + kRows; ++row) {
      float acc[kTokens] = {};
      for (size_t block = 0; block < blocks; ++block) {
        IntegerBlock weights;
        kUnpack(WeightBlock(problem, row, block, kBlockBytes), weights);
        for (size_t t = 0; t < kTokens; ++t) {
          acc[t] = AddBlock<kHasMins>(acc[t], weights, *ActivationBlock(problem, first_token + t, block));
        }
      }
      for (size_t t = 0; t < kTokens; ++t) problem.out[(first_token + t) * problem.out_stride + row] = acc[t];
    }
  }
};

template <size_t kRows, size_t kTokens>
using Q4KTile = ScalarTile<UnpackQ4K, kQ4KBytes, true, kRows, kTokens>;
template <size_t kRows, size_t kTokens>
using Q5KTile = ScalarTile<UnpackQ5K, kQ5KBytes, true, kRows, kTokens>;
template <size_t kRows, size_t kTokens>
using Q6KTile = ScalarTile<UnpackQ6K, kQ6KBytes, false, kRows, kTokens>;

constexpr size_t kTileTokens = 4;

template <template <size_t, size_t> class Tile>
void RunScalar(const DotRowsProblem& problem) {
  static constexpr TileTable<1, kTileTokens> kTable = MakeTileTable<Tile, 1, kTileTokens>();
  RunTiles(problem, kTable);
}

}  // namespace

Kernel ScalarKernel(TensorType type) {
  switch (type) {
    case TensorType::kQ4_K: return RunScalar<Q4KTile>;
    case TensorType::kQ5_K: return RunScalar<Q5KTile>;
    case TensorType::kQ6_K: return RunScalar<Q6KTile>;
    default: return nullptr;
  }
}

}  // namespace k_quants

Kernel KQuantKernel(TensorType type, KernelPath path) {
  switch (path) {
    case KernelPath::kScalar: return k_quants::ScalarKernel(type);
    case KernelPath::kAvx2: return k_quants::Avx2Kernel(type);
    case KernelPath::kAvxVnni: return k_quants::AvxVnniKernel(type);
    case KernelPath::kAvx512: return k_quants::Avx512Kernel(type);
  }
  return nullptr;
}

}  // namespace troupe::engine::kernels::dot_rows
