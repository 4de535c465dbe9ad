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

// A weight super-block as exact integers: each of its 256 levels times the scale of its run
// (Q6_K's levels less 32 first; at most 128 x 32 in magnitude, so 16 bits hold it), and the
// minimum of each run of 16 (Q4_K/Q5_K's sub-blocks of 32 give both runs the same). Scaling the
// levels once per block leaves one long int16 x int8 dot product per token, which compilers
// vectorize for any target; per-run sums would each end in a horizontal add.
struct IntegerBlock {
  int16_t scaled_levels[kSuperBlock];
  int16_t mins[kSuperBlock / 16];
  float d;
  float dmin;  // 0 for Q6_K, which has no minimums
};

struct SubBlockScales {
  int16_t scales[8];
};

SubBlockScales SetMins(const uint8_t* packed, IntegerBlock& out) {
  const PackedScales unpacked = UnpackScalesAndMins(packed);
  SubBlockScales scales;
  for (size_t sub = 0; sub < 8; ++sub) {
    scales.scales[sub] = static_cast<int16_t>((unpacked.scales >> (8 * sub)) & 0xFF);
    out.mins[2 * sub] = out.mins[2 * sub + 1] =
        static_cast<int16_t>((unpacked.mins >> (8 * sub)) & 0xFF);
  }
  return scales;
}

// out[l] = scale * (nibble of bytes[l] at `shift` | bit `fifth_bit` of fifth[l] as bit 4), for a
// run of 32. Separate restrict arguments tell the compiler the bytes and the output do not
// overlap, so it vectorizes the loop without a runtime check (which -O2 would refuse).
void ScaleLevels(const uint8_t* __restrict bytes, int shift, const uint8_t* __restrict fifth,
                 int fifth_bit, int scale, int16_t* __restrict out) {
  for (size_t l = 0; l < 32; ++l) {
    const int high = fifth == nullptr ? 0 : ((fifth[l] >> fifth_bit) & 1) << 4;
    out[l] = static_cast<int16_t>(scale * (((bytes[l] >> shift) & 0x0F) | high));
  }
}

// Each 32 bytes of nibbles hold two sub-blocks: the first in the low nibbles, the second high.
// Q5_K adds bit 2*pair (2*pair + 1) of the 32 fifth-bit bytes as bit 4 of sub-block 2*pair (+1).
template <bool kFifthBits>
void UnpackQ4KOrQ5K(const uint8_t* block, IntegerBlock& out) {
  out.d = LoadHalf(block);
  out.dmin = LoadHalf(block + 2);
  const SubBlockScales sub = SetMins(block + 4, out);
  const uint8_t* fifth = kFifthBits ? block + 16 : nullptr;
  const uint8_t* nibbles = block + (kFifthBits ? 48 : 16);
  for (int pair = 0; pair < 4; ++pair, nibbles += 32) {
    int16_t* levels = out.scaled_levels + 64 * pair;
    ScaleLevels(nibbles, 0, fifth, 2 * pair, sub.scales[2 * pair], levels);
    ScaleLevels(nibbles, 4, fifth, 2 * pair + 1, sub.scales[2 * pair + 1], levels + 32);
  }
}
void UnpackQ4K(const uint8_t* block, IntegerBlock& out) { UnpackQ4KOrQ5K<false>(block, out); }
void UnpackQ5K(const uint8_t* block, IntegerBlock& out) { UnpackQ4KOrQ5K<true>(block, out); }

// out[l] = scale * ((nibble of low[l] at `shift` | 2 bits of high[l] at `high_shift`) - 32), for a
// run of 16 (one scale each).
void ScaleQ6Levels(const uint8_t* __restrict low, int shift, const uint8_t* __restrict high,
                   int high_shift, int scale, int16_t* __restrict out) {
  for (size_t l = 0; l < 16; ++l) {
    const int level = (((low[l] >> shift) & 0x0F) | (((high[l] >> high_shift) & 3) << 4)) - 32;
    out[l] = static_cast<int16_t>(scale * level);
  }
}

// Each 128 elements use 64 low-nibble bytes and 32 high bytes: runs of 32 take (low nibble of
// byte l | bits 0-1), (low nibble of byte l + 32 | bits 2-3), (high nibble of l | bits 4-5),
// (high nibble of l + 32 | bits 6-7), less 32; int8 scales, one per 16 elements.
void UnpackQ6K(const uint8_t* block, IntegerBlock& out) {
  out.d = LoadHalf(block + 208);
  out.dmin = 0.0f;
  const auto* scales = reinterpret_cast<const int8_t*>(block + 192);
  for (size_t run = 0; run < kSuperBlock / 16; ++run) out.mins[run] = 0;
  for (int half = 0; half < 2; ++half) {
    const uint8_t* low = block + 64 * half;
    const uint8_t* high = block + 128 + 32 * half;
    for (int run = 0; run < 8; ++run) {  // runs of 16; quarter run / 2 of the 128 elements
      const int quarter = run / 2;
      const int offset = 16 * (run % 2);
      ScaleQ6Levels(low + 32 * (quarter % 2) + offset, 4 * (quarter / 2), high + offset,
                    2 * quarter, scales[8 * half + run], out.scaled_levels + 128 * half + 16 * run);
    }
  }
}

// The scalar kernels' operations for one (row, token) and super-block, in this order (the tests
// repeat them to check the kernels bit for bit):
//   products     = sum of scale x level x activation level                 exact int32
//   min_products = sum over runs of 16 of min x activation run sum         exact int32
//   acc = acc + (d * activation scale) * float(products)
//   acc = acc - (dmin * activation scale) * float(min_products)      (Q4_K, Q5_K only)
template <bool kHasMins>
float AddBlock(float acc, const IntegerBlock& weights, const BlockQ8_K& activations) {
  int32_t products = 0;
  for (size_t i = 0; i < kSuperBlock; ++i) {
    products += weights.scaled_levels[i] * activations.levels[i];
  }
  acc += (weights.d * activations.scale) * static_cast<float>(products);
  if constexpr (kHasMins) {
    int32_t min_products = 0;
    for (size_t run = 0; run < kSuperBlock / 16; ++run) {
      min_products += weights.mins[run] * activations.sums[run];
    }
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
          acc[t] = AddBlock<kHasMins>(acc[t], weights,
                                      *ActivationBlock(problem, first_token + t, block));
        }
      }
      for (size_t t = 0; t < kTokens; ++t) {
        problem.out[(first_token + t) * problem.out_stride + row] = acc[t];
      }
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
