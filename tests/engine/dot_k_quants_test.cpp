// The K-quant dot products (Q4_K, Q5_K, Q6_K weights x Q8_K activations) on every kernel path
// this CPU runs: against a double-precision product of quant.h's Dequantize with the
// activations' level x scale, the scalar path bit for bit against exact integer sums, and every
// output's bits the same whatever the tiling of rows and tokens (dot_rows.h's promise).
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/dot_rows.h"
#include "engine/kernels/dot_rows_internal.h"
#include "engine/kernels/quantized_activations.h"
#include "engine/quant.h"
#include "engine/tensor_type.h"
#include "support/random_floats.h"

namespace troupe::engine::kernels {
namespace {

constexpr size_t kBlock = 256;
constexpr size_t kRows = 13;
constexpr size_t kTokens = 7;
constexpr size_t kZeroToken = 3;  // a token whose activations are all zero
const size_t kColumnCounts[] = {256, 512, 2304};

std::vector<KernelPath> SupportedPaths() {
  std::vector<KernelPath> paths;
  for (KernelPath path :
       {KernelPath::kScalar, KernelPath::kAvx2, KernelPath::kAvxVnni, KernelPath::kAvx512}) {
    if (CpuSupports(path)) paths.push_back(path);
  }
  return paths;
}

bool HasMins(TensorType type) { return type != TensorType::kQ6_K; }
size_t ScaleOffset(TensorType type) { return type == TensorType::kQ6_K ? 208 : 0; }

// Weight rows one byte past an aligned address and a few bytes apart, as a mapped file gives no
// alignment: the kernels must load unaligned.
struct Weights {
  TensorType type = TensorType::kQ4_K;
  size_t rows = 0;
  size_t cols = 0;
  size_t row_bytes = 0;
  std::vector<std::byte> storage;
  const std::byte* row(size_t r) const { return storage.data() + 1 + r * row_bytes; }
  std::byte* mutable_row(size_t r) { return storage.data() + 1 + r * row_bytes; }
};

// Random bytes reach every bit pattern of levels, packed scales, minimums and Q6_K's signed
// scales; only the half scales are set, to finite values of either sign.
Weights RandomWeights(TensorType type, size_t cols, uint32_t seed) {
  const TensorTypeTraits traits = TraitsOf(type);
  Weights weights{type, kRows, cols, cols / kBlock * traits.block_bytes + 5, {}};
  weights.storage.resize(1 + kRows * weights.row_bytes);
  std::mt19937 generator(seed);
  for (std::byte& byte : weights.storage) byte = static_cast<std::byte>(generator() & 0xFF);
  std::uniform_real_distribution<float> magnitude(0.25f, 2.0f);
  for (size_t r = 0; r < kRows; ++r) {
    for (size_t b = 0; b < cols / kBlock; ++b) {
      std::byte* block = weights.mutable_row(r) + b * traits.block_bytes;
      for (size_t half = 0; half < (HasMins(type) ? 2u : 1u); ++half) {
        const float sign = (generator() & 1) != 0 ? -1.0f : 1.0f;
        const uint16_t bits = FloatToHalf(sign * magnitude(generator) / 512.0f);
        std::memcpy(block + ScaleOffset(type) + 2 * half, &bits, sizeof(bits));
      }
    }
  }
  return weights;
}

// Weights as llama-quantize would make them from Gaussian values.
Weights QuantizedWeights(TensorType type, size_t cols, uint32_t seed) {
  const std::vector<std::byte> encoded = Quantize(type, troupe::testing::RandomFloats(kRows * cols, seed));
  const size_t row_bytes = encoded.size() / kRows;
  Weights weights{type, kRows, cols, row_bytes, std::vector<std::byte>(1 + encoded.size())};
  std::memcpy(weights.storage.data() + 1, encoded.data(), encoded.size());
  return weights;
}

struct Activations {
  size_t cols = 0;
  std::vector<BlockQ8_K> blocks;  // kTokens rows of cols / 256 blocks
  const std::byte* data() const { return reinterpret_cast<const std::byte*>(blocks.data()); }
  size_t row_bytes() const { return ActivationRowBytes(ActivationFormat::kQ8_K, cols); }
  const BlockQ8_K& block(size_t token, size_t b) const {
    return blocks[token * (cols / kBlock) + b];
  }
};

Activations RandomActivations(size_t cols, uint32_t seed) {
  std::mt19937 generator(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Activations activations{cols, std::vector<BlockQ8_K>(kTokens * (cols / kBlock))};
  std::vector<float> row(cols);
  for (size_t t = 0; t < kTokens; ++t) {
    for (float& value : row) value = t == kZeroToken ? 0.0f : normal(generator) * (1.0f + t);
    QuantizeActivationRow(ActivationFormat::kQ8_K, row.data(), cols,
                          reinterpret_cast<std::byte*>(&activations.blocks[t * (cols / kBlock)]));
  }
  return activations;
}

// Runs rows [first_row, +n_rows) x tokens [first_token, +n_tokens) with a padded output stride
// and returns out[t * n_rows + r]; the padding must stay untouched.
std::vector<float> RunDotRows(KernelPath path, const Weights& weights, size_t first_row,
                              size_t n_rows, const Activations& activations, size_t first_token,
                              size_t n_tokens) {
  const size_t stride = n_rows + 2;
  std::vector<float> out(n_tokens * stride, std::numeric_limits<float>::quiet_NaN());
  DotRowsProblem problem;
  problem.weight_type = weights.type;
  problem.cols = weights.cols;
  problem.rows = weights.row(first_row);
  problem.row_bytes = weights.row_bytes;
  problem.n_rows = n_rows;
  problem.activations = activations.data() + first_token * activations.row_bytes();
  problem.activation_row_bytes = activations.row_bytes();
  problem.n_tokens = n_tokens;
  problem.out = out.data();
  problem.out_stride = stride;
  DotRows(path, problem);
  std::vector<float> compact(n_tokens * n_rows);
  for (size_t t = 0; t < n_tokens; ++t) {
    for (size_t r = 0; r < n_rows; ++r) compact[t * n_rows + r] = out[t * stride + r];
    EXPECT_TRUE(std::isnan(out[t * stride + n_rows]) && std::isnan(out[t * stride + n_rows + 1]))
        << "wrote past row " << n_rows << " of token " << t;
  }
  return compact;
}

// Dequantize of one row with every block's d and dmin replaced: with (1, 0) each element is
// exactly scale x level (Q6_K: scale x (level - 32)), with (0, 1) exactly -min. So the exact
// integer sums come from quant.h's decoding, not from a second copy of the layouts.
std::vector<float> DequantizeWithScales(const Weights& weights, size_t r, float d, float dmin) {
  const size_t block_bytes = TraitsOf(weights.type).block_bytes;
  const size_t payload = weights.cols / kBlock * block_bytes;
  std::vector<std::byte> row(weights.row(r), weights.row(r) + payload);
  const uint16_t halves[2] = {FloatToHalf(d), FloatToHalf(dmin)};
  for (size_t b = 0; b < weights.cols / kBlock; ++b) {
    std::memcpy(row.data() + b * block_bytes + ScaleOffset(weights.type), halves,
                HasMins(weights.type) ? 4 : 2);
  }
  std::vector<float> values(weights.cols);
  Dequantize(weights.type, row, values);
  return values;
}

float BlockScale(const Weights& weights, size_t r, size_t b, size_t which) {
  const std::byte* block = weights.row(r) + b * TraitsOf(weights.type).block_bytes;
  uint16_t bits;
  std::memcpy(&bits, block + ScaleOffset(weights.type) + 2 * which, sizeof(bits));
  return HalfToFloat(bits);
}

struct Expected {
  float scalar = 0;      // the scalar kernel's documented operations on the exact integer sums
  double value = 0;      // sum of Dequantize(w) * level * activation scale, in double
  double magnitude = 0;  // sum over blocks of |d a| sum |scale level x| + |dmin a| sum |min x|
};

// out[t * kRows + r]. See dot_k_quants.cpp for the scalar kernel's order of operations.
std::vector<Expected> ExpectedResults(const Weights& weights, const Activations& activations) {
  std::vector<Expected> expected(kTokens * kRows);
  const size_t blocks = weights.cols / kBlock;
  for (size_t r = 0; r < kRows; ++r) {
    std::vector<float> dequantized(weights.cols);
    Dequantize(weights.type, std::span(weights.row(r), blocks * TraitsOf(weights.type).block_bytes),
               dequantized);
    const std::vector<float> scaled_levels = DequantizeWithScales(weights, r, 1.0f, 0.0f);
    const std::vector<float> minus_mins = HasMins(weights.type)
                                              ? DequantizeWithScales(weights, r, 0.0f, 1.0f)
                                              : std::vector<float>(weights.cols, 0.0f);
    for (size_t t = 0; t < kTokens; ++t) {
      Expected& result = expected[t * kRows + r];
      for (size_t b = 0; b < blocks; ++b) {
        const BlockQ8_K& block = activations.block(t, b);
        int64_t products = 0, min_products = 0, product_magnitude = 0, min_magnitude = 0;
        for (size_t i = 0; i < kBlock; ++i) {
          const auto level = static_cast<int64_t>(block.levels[i]);
          const auto scaled = static_cast<int64_t>(scaled_levels[b * kBlock + i]);
          const auto min = -static_cast<int64_t>(minus_mins[b * kBlock + i]);
          products += scaled * level;
          min_products += min * level;
          product_magnitude += std::abs(scaled * level);
          min_magnitude += std::abs(min * level);
          result.value += static_cast<double>(dequantized[b * kBlock + i]) * level * block.scale;
        }
        const float d = BlockScale(weights, r, b, 0);
        const float dmin = HasMins(weights.type) ? BlockScale(weights, r, b, 1) : 0.0f;
        result.scalar += (d * block.scale) * static_cast<float>(products);
        if (HasMins(weights.type)) {
          result.scalar -= (dmin * block.scale) * static_cast<float>(min_products);
        }
        const double product_scale = std::abs(static_cast<double>(d) * block.scale);
        const double min_scale = std::abs(static_cast<double>(dmin) * block.scale);
        result.magnitude += product_scale * static_cast<double>(product_magnitude) +
                            min_scale * static_cast<double>(min_magnitude);
      }
    }
  }
  return expected;
}

// How far any path may be from the double reference. A path computes, per block, d*a*P - dmin*a*M
// from exact integers P and M: at most 3 roundings per term (d*a, the integer to float, the FMA),
// then adds 2 terms per block into a lane and sums 8 lanes in 3 steps, every rounding at most one
// unit roundoff u = 2^-24 of a partial sum bounded by `magnitude`. Dequantize's floats carry 3
// roundings each (d*scale, *level, -dmin*min) relative to the same terms. So
// |got - reference| <= (3 + 2 * blocks + 3 + 3) u * magnitude; the bound leaves a few units spare.
double Tolerance(const Expected& expected, size_t cols) {
  const double unit_roundoff = std::ldexp(1.0, -24);
  return (2.0 * static_cast<double>(cols / kBlock) + 16.0) * unit_roundoff * expected.magnitude;
}

uint32_t Bits(float value) { return std::bit_cast<uint32_t>(value); }

class KQuantDotTest : public ::testing::TestWithParam<TensorType> {};

TEST_P(KQuantDotTest, EveryTypeHasAKernelOnEveryPath) {
  for (KernelPath path :
       {KernelPath::kScalar, KernelPath::kAvx2, KernelPath::kAvxVnni, KernelPath::kAvx512}) {
#if !defined(__x86_64__)
    if (path != KernelPath::kScalar) continue;
#endif
    EXPECT_NE(dot_rows::KQuantKernel(GetParam(), path), nullptr) << NameOf(path);
  }
  EXPECT_EQ(dot_rows::KQuantKernel(TensorType::kQ8_0, KernelPath::kAvx2), nullptr);
}

TEST_P(KQuantDotTest, ScalarKernelEqualsTheExactIntegerSumsBitForBit) {
  for (size_t cols : kColumnCounts) {
    SCOPED_TRACE("cols " + std::to_string(cols));
    const Weights weights = RandomWeights(GetParam(), cols, 100 + static_cast<uint32_t>(cols));
    const Activations activations = RandomActivations(cols, 200 + static_cast<uint32_t>(cols));
    const std::vector<Expected> expected = ExpectedResults(weights, activations);
    const std::vector<float> got =
        RunDotRows(KernelPath::kScalar, weights, 0, kRows, activations, 0, kTokens);
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(Bits(got[i]), Bits(expected[i].scalar))
          << "token " << i / kRows << " row " << i % kRows << ": " << got[i] << " vs "
          << expected[i].scalar;
    }
  }
}

TEST_P(KQuantDotTest, EveryPathMatchesTheDoublePrecisionProductOfDequantizedValues) {
  for (KernelPath path : SupportedPaths()) {
    for (size_t cols : kColumnCounts) {
      for (bool quantized : {false, true}) {
        SCOPED_TRACE(std::string(NameOf(path)) + ", cols " + std::to_string(cols) +
                     (quantized ? ", quantized weights" : ", random bytes"));
        const auto seed = static_cast<uint32_t>(cols) + (quantized ? 7u : 0u);
        const Weights weights = quantized ? QuantizedWeights(GetParam(), cols, seed)
                                          : RandomWeights(GetParam(), cols, seed);
        const Activations activations = RandomActivations(cols, seed + 1);
        const std::vector<Expected> expected = ExpectedResults(weights, activations);
        const std::vector<float> got = RunDotRows(path, weights, 0, kRows, activations, 0, kTokens);
        for (size_t i = 0; i < got.size(); ++i) {
          EXPECT_NEAR(got[i], expected[i].value, Tolerance(expected[i], cols))
              << "token " << i / kRows << " row " << i % kRows;
          if (i / kRows == kZeroToken) {
            EXPECT_EQ(got[i], 0.0f);
          }
        }
      }
    }
  }
}

// Every sub-matrix of 1..13 rows x 1..7 tokens, placed at several offsets so each element lands
// at different places in the tiles, and every element alone, give the whole matrix's bits.
TEST_P(KQuantDotTest, OutputBitsDoNotDependOnTheTiling) {
  for (KernelPath path : SupportedPaths()) {
    for (size_t cols : kColumnCounts) {
      SCOPED_TRACE(std::string(NameOf(path)) + ", cols " + std::to_string(cols));
      const Weights weights = RandomWeights(GetParam(), cols, 300 + static_cast<uint32_t>(cols));
      const Activations activations = RandomActivations(cols, 400 + static_cast<uint32_t>(cols));
      const std::vector<float> whole = RunDotRows(path, weights, 0, kRows, activations, 0, kTokens);
      for (size_t n_rows = 1; n_rows <= kRows; ++n_rows) {
        for (size_t n_tokens = 1; n_tokens <= kTokens; ++n_tokens) {
          const size_t first_row = (n_rows * 5) % (kRows - n_rows + 1);
          const size_t first_token = (n_tokens * 3) % (kTokens - n_tokens + 1);
          const std::vector<float> part =
              RunDotRows(path, weights, first_row, n_rows, activations, first_token, n_tokens);
          for (size_t t = 0; t < n_tokens; ++t) {
            for (size_t r = 0; r < n_rows; ++r) {
              ASSERT_EQ(Bits(part[t * n_rows + r]),
                        Bits(whole[(first_token + t) * kRows + first_row + r]))
                  << n_rows << " x " << n_tokens << " from row " << first_row << " token "
                  << first_token << ": element " << t << ", " << r;
            }
          }
        }
      }
      for (size_t t = 0; t < kTokens; ++t) {
        for (size_t r = 0; r < kRows; ++r) {
          ASSERT_EQ(Bits(RunDotRows(path, weights, r, 1, activations, t, 1)[0]),
                    Bits(whole[t * kRows + r]))
              << "token " << t << " row " << r << " alone";
        }
      }
    }
  }
}

// The SIMD paths share one kernel source and differ only in how an exact integer step is
// encoded, so they agree bit for bit; on a CPU with only AVX2 this compares AVX2 with itself.
TEST_P(KQuantDotTest, SimdPathsAgreeBitForBit) {
  if (!CpuSupports(KernelPath::kAvx2)) GTEST_SKIP() << "no AVX2";
  const Weights weights = RandomWeights(GetParam(), 2304, 500);
  const Activations activations = RandomActivations(2304, 501);
  const std::vector<float> avx2 =
      RunDotRows(KernelPath::kAvx2, weights, 0, kRows, activations, 0, kTokens);
  for (KernelPath path : SupportedPaths()) {
    if (path <= KernelPath::kAvx2) continue;
    const std::vector<float> got = RunDotRows(path, weights, 0, kRows, activations, 0, kTokens);
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(Bits(got[i]), Bits(avx2[i])) << NameOf(path) << " " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Types, KQuantDotTest,
                         ::testing::Values(TensorType::kQ4_K, TensorType::kQ5_K, TensorType::kQ6_K),
                         [](const ::testing::TestParamInfo<TensorType>& info) {
                           return std::string(NameOf(info.param));
                         });

}  // namespace
}  // namespace troupe::engine::kernels
