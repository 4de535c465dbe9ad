// DotRows for the small-block weight types (F32, F16, BF16, Q8_0, Q4_0, Q5_0) on every kernel path
// this CPU has: against a double-precision product of the dequantized operands, the same bits for
// any tiling of the problem, the scalar kernel against its exact integer formula, and the
// extreme levels that would overflow a careless 8-bit product.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/dot_rows.h"
#include "engine/kernels/quantized_activations.h"
#include "engine/quant.h"
#include "support/random_floats.h"

namespace troupe::engine::kernels {
namespace {

constexpr KernelPath kPaths[] = {KernelPath::kScalar, KernelPath::kAvx2, KernelPath::kAvxVnni,
                                 KernelPath::kAvx512};
constexpr TensorType kTypes[] = {TensorType::kF32,  TensorType::kF16,  TensorType::kBF16,
                                 TensorType::kQ8_0, TensorType::kQ4_0, TensorType::kQ5_0};

constexpr size_t kMaxRows = 13;
constexpr size_t kMaxTokens = 7;

bool IsIntegerType(TensorType type) { return ActivationFormatFor(type) == ActivationFormat::kQ8_0; }

using troupe::testing::RandomFloats;

// Bytes starting one past an aligned address: weight rows come from a mapped file and promise no
// alignment, so the kernels must not assume any (UBSan checks the reads).
class OddBytes {
 public:
  explicit OddBytes(const std::vector<std::byte>& bytes) : storage_(bytes.size() + 1) {
    std::memcpy(storage_.data() + 1, bytes.data(), bytes.size());
  }
  const std::byte* data() const { return storage_.data() + 1; }

 private:
  std::vector<std::byte> storage_;
};

// n_rows weight rows and n_tokens activation rows of `cols`, in stored form and dequantized.
struct Operands {
  TensorType type;
  size_t cols;
  size_t n_rows;
  size_t n_tokens;
  std::vector<std::byte> weights;
  std::vector<float> weight_values;
  std::vector<std::byte> activations;
  std::vector<float> activation_values;

  size_t row_bytes() const { return weights.size() / n_rows; }
  size_t activation_row_bytes() const { return activations.size() / n_tokens; }
};

std::vector<float> DequantizeActivations(ActivationFormat format,
                                         const std::vector<std::byte>& bytes,
                                         const std::vector<float>& floats) {
  if (format == ActivationFormat::kF32) return floats;
  std::vector<float> values(floats.size());
  Dequantize(TensorType::kQ8_0, bytes, values);
  return values;
}

Operands MakeOperands(TensorType type, size_t cols, size_t n_rows, size_t n_tokens, uint32_t seed) {
  Operands operands{type, cols, n_rows, n_tokens, {}, {}, {}, {}};
  operands.weights = Quantize(type, RandomFloats(n_rows * cols, seed));
  operands.weight_values.resize(n_rows * cols);
  Dequantize(type, operands.weights, operands.weight_values);
  const ActivationFormat format = ActivationFormatFor(type);
  const size_t activation_row_bytes = ActivationRowBytes(format, cols);
  const std::vector<float> x = RandomFloats(n_tokens * cols, seed + 1);
  operands.activations.resize(n_tokens * activation_row_bytes);
  for (size_t t = 0; t < n_tokens; ++t) {
    QuantizeActivationRow(format, x.data() + t * cols, cols,
                          operands.activations.data() + t * activation_row_bytes);
  }
  operands.activation_values = DequantizeActivations(format, operands.activations, x);
  return operands;
}

// Runs rows [first_row, first_row + n_rows) x tokens [first_token, first_token + n_tokens) of
// `operands` with one DotRows call, into out (token t's row r at out[t * stride + r], indices of
// the whole operands).
void RunDotRows(KernelPath path, const Operands& operands, const OddBytes& weights,
                const OddBytes& activations, size_t first_row, size_t n_rows, size_t first_token,
                size_t n_tokens, std::vector<float>& out) {
  DotRowsProblem problem;
  problem.weight_type = operands.type;
  problem.cols = operands.cols;
  problem.row_bytes = operands.row_bytes();
  problem.rows = weights.data() + first_row * problem.row_bytes;
  problem.n_rows = n_rows;
  problem.activation_row_bytes = operands.activation_row_bytes();
  problem.activations = activations.data() + first_token * problem.activation_row_bytes;
  problem.n_tokens = n_tokens;
  problem.out_stride = operands.n_rows;
  problem.out = out.data() + first_token * problem.out_stride + first_row;
  DotRows(path, problem);
}

class DotSmallBlocksTest : public ::testing::TestWithParam<std::tuple<TensorType, KernelPath>> {
 protected:
  void SetUp() override {
    if (!CpuSupports(path())) GTEST_SKIP() << "this CPU has no " << NameOf(path());
  }
  TensorType type() const { return std::get<0>(GetParam()); }
  KernelPath path() const { return std::get<1>(GetParam()); }
  // Row lengths from one block to many; the float types (blocks of one element) also take lengths
  // that leave a partial vector step (33 = 32 + 1, 2079 = 8 * 259 + 7, 15 = 16 - 1).
  std::vector<size_t> ColumnCounts() const {
    if (IsIntegerType(type())) return {32, 96, 544, 2080};
    return {1, 15, 33, 544, 2079};
  }
};

// Each path sums in its own order, so the test bounds the rounding rather than fixing the bits.
// Every product the kernels add is exact or rounded once (integer block sums are exact, int32 to
// float is exact below 2^24, the two scales' product rounds once); each output then goes through
// at most cols / 8 + 1 additions per lane (one fused multiply-add, or a multiply and an add in
// the scalar kernel: two roundings) and 3 in the final horizontal sum. So the error is at most
// (2 * (cols / 8 + 1) + 4) * 2^-24 * sum |w_i a_i|, plus second-order terms the margin of 8 ulps
// in the constant covers.
double Tolerance(size_t cols, double magnitude) {
  return (2.0 * (static_cast<double>(cols) / 8.0 + 1.0) + 8.0) * std::ldexp(1.0, -24) * magnitude;
}

TEST_P(DotSmallBlocksTest, EveryTileShapeMatchesTheDequantizedProductInDouble) {
  for (const size_t cols : ColumnCounts()) {
    SCOPED_TRACE("cols " + std::to_string(cols));
    const Operands operands = MakeOperands(type(), cols, kMaxRows, kMaxTokens, 100 + cols);
    const OddBytes weights(operands.weights);
    const OddBytes activations(operands.activations);
    std::vector<double> expected(kMaxTokens * kMaxRows);
    std::vector<double> tolerance(kMaxTokens * kMaxRows);
    for (size_t t = 0; t < kMaxTokens; ++t) {
      for (size_t r = 0; r < kMaxRows; ++r) {
        double sum = 0;
        double magnitude = 0;
        for (size_t c = 0; c < cols; ++c) {
          const double term = static_cast<double>(operands.weight_values[r * cols + c]) *
                              operands.activation_values[t * cols + c];
          sum += term;
          magnitude += std::fabs(term);
        }
        expected[t * kMaxRows + r] = sum;
        tolerance[t * kMaxRows + r] = Tolerance(cols, magnitude);
      }
    }
    for (size_t n_rows = 1; n_rows <= kMaxRows; ++n_rows) {
      for (size_t n_tokens = 1; n_tokens <= kMaxTokens; ++n_tokens) {
        std::vector<float> out(kMaxTokens * kMaxRows, NAN);
        RunDotRows(path(), operands, weights, activations, 0, n_rows, 0, n_tokens, out);
        for (size_t t = 0; t < kMaxTokens; ++t) {
          for (size_t r = 0; r < kMaxRows; ++r) {
            const size_t i = t * kMaxRows + r;
            if (r < n_rows && t < n_tokens) {
              ASSERT_NEAR(out[i], expected[i], tolerance[i])
                  << n_rows << " x " << n_tokens << ", row " << r << " token " << t;
            } else {
              ASSERT_TRUE(std::isnan(out[i]))
                  << "wrote outside the problem at row " << r << " token " << t;
            }
          }
        }
      }
    }
  }
}

// dot_rows.h's promise: an output's bits do not depend on how many rows and tokens one call
// computes nor on where in a tile the output falls.
TEST_P(DotSmallBlocksTest, AnOutputHasTheSameBitsInAnyTiling) {
  for (const size_t cols : ColumnCounts()) {
    SCOPED_TRACE("cols " + std::to_string(cols));
    const Operands operands = MakeOperands(type(), cols, kMaxRows, kMaxTokens, 200 + cols);
    const OddBytes weights(operands.weights);
    const OddBytes activations(operands.activations);
    std::vector<float> whole(kMaxTokens * kMaxRows);
    RunDotRows(path(), operands, weights, activations, 0, kMaxRows, 0, kMaxTokens, whole);

    std::vector<float> alone(whole.size());
    for (size_t t = 0; t < kMaxTokens; ++t) {
      for (size_t r = 0; r < kMaxRows; ++r) {
        RunDotRows(path(), operands, weights, activations, r, 1, t, 1, alone);
      }
    }
    EXPECT_EQ(0, std::memcmp(whole.data(), alone.data(), whole.size() * sizeof(float)))
        << "element by element";

    // Blocks that start off every tile boundary: rows 0-2, 3-8, 9-12 x tokens 0, 1-3, 4-6.
    std::vector<float> pieces(whole.size());
    for (const auto& [first_row, n_rows] : {std::pair{0, 3}, std::pair{3, 6}, std::pair{9, 4}}) {
      for (const auto& [first_token, n_tokens] :
           {std::pair{0, 1}, std::pair{1, 3}, std::pair{4, 3}}) {
        RunDotRows(path(), operands, weights, activations, first_row, n_rows, first_token, n_tokens,
                   pieces);
      }
    }
    EXPECT_EQ(0, std::memcmp(whole.data(), pieces.data(), whole.size() * sizeof(float)))
        << "in uneven pieces";
  }
}

// ---- The integer types' exact arithmetic ----

// A weight block's scale and levels (value = scale * level), read from the ggml layout directly.
struct WeightBlock {
  float scale = 0;
  int levels[32] = {};
};

uint16_t Load16(const std::byte* bytes) {
  return static_cast<uint16_t>(std::to_integer<unsigned>(bytes[0]) |
                               (std::to_integer<unsigned>(bytes[1]) << 8));
}

WeightBlock ReadWeightBlock(TensorType type, const std::byte* block) {
  WeightBlock result;
  result.scale = HalfToFloat(Load16(block));
  for (int j = 0; j < 32; ++j) {
    if (type == TensorType::kQ8_0) {
      result.levels[j] = static_cast<int8_t>(std::to_integer<uint8_t>(block[2 + j]));
      continue;
    }
    const std::byte* nibbles = block + (type == TensorType::kQ4_0 ? 2 : 6);
    const unsigned byte = std::to_integer<unsigned>(nibbles[j % 16]);
    int level = static_cast<int>(j < 16 ? byte & 0x0F : byte >> 4);
    if (type == TensorType::kQ5_0) {
      const uint32_t fifth = Load16(block + 2) | (static_cast<uint32_t>(Load16(block + 4)) << 16);
      level += static_cast<int>(((fifth >> j) & 1u) << 4) - 16;
    } else {
      level -= 8;
    }
    result.levels[j] = level;
  }
  return result;
}

// The formula the scalar kernel promises: per block, in block order,
//   sum += (weight scale * activation scale) * (exact integer dot of the levels).
float ExactIntegerDot(const Operands& operands, size_t row, size_t token) {
  const size_t block_bytes = operands.row_bytes() / (operands.cols / 32);
  float sum = 0;
  for (size_t b = 0; b < operands.cols / 32; ++b) {
    const WeightBlock weight = ReadWeightBlock(
        operands.type, operands.weights.data() + row * operands.row_bytes() + b * block_bytes);
    const std::byte* activation =
        operands.activations.data() + token * operands.activation_row_bytes() + b * 34;
    int32_t dot = 0;
    for (int j = 0; j < 32; ++j) {
      dot += weight.levels[j] * static_cast<int8_t>(std::to_integer<uint8_t>(activation[2 + j]));
    }
    const float scale = weight.scale * HalfToFloat(Load16(activation));
    sum += scale * static_cast<float>(dot);
  }
  return sum;
}

TEST_P(DotSmallBlocksTest, TheScalarKernelIsItsExactIntegerFormula) {
  if (!IsIntegerType(type()) || path() != KernelPath::kScalar) GTEST_SKIP();
  for (const size_t cols : ColumnCounts()) {
    const Operands operands = MakeOperands(type(), cols, 5, 3, 300 + cols);
    const OddBytes weights(operands.weights);
    const OddBytes activations(operands.activations);
    std::vector<float> out(5 * 3);
    RunDotRows(path(), operands, weights, activations, 0, 5, 0, 3, out);
    for (size_t t = 0; t < 3; ++t) {
      for (size_t r = 0; r < 5; ++r) {
        const float expected = ExactIntegerDot(operands, r, t);
        EXPECT_EQ(0, std::memcmp(&out[t * 5 + r], &expected, sizeof(float)))
            << "cols " << cols << " row " << r << " token " << t << ": " << out[t * 5 + r] << " vs "
            << expected;
      }
    }
  }
}

// Stores one block of `type` with the given scale and levels (each in the type's range).
void AppendBlock(TensorType type, float scale, const int* levels, std::vector<std::byte>& out) {
  const uint16_t half = FloatToHalf(scale);
  out.push_back(static_cast<std::byte>(half & 0xFF));
  out.push_back(static_cast<std::byte>(half >> 8));
  if (type == TensorType::kQ8_0) {
    for (int j = 0; j < 32; ++j)
      out.push_back(static_cast<std::byte>(static_cast<int8_t>(levels[j])));
    return;
  }
  const int offset = type == TensorType::kQ4_0 ? 8 : 16;
  if (type == TensorType::kQ5_0) {
    uint32_t fifth = 0;
    for (int j = 0; j < 32; ++j)
      fifth |= static_cast<uint32_t>(((levels[j] + offset) >> 4) & 1) << j;
    for (int k = 0; k < 4; ++k) out.push_back(static_cast<std::byte>((fifth >> (8 * k)) & 0xFF));
  }
  for (int j = 0; j < 16; ++j) {
    const int low = (levels[j] + offset) & 0x0F;
    const int high = (levels[j + 16] + offset) & 0x0F;
    out.push_back(static_cast<std::byte>(low | (high << 4)));
  }
}

// The largest levels each type stores against activations of +-127 with matching and opposing
// signs: the sums a product in 16-bit lanes would saturate if it multiplied the wrong operands.
TEST_P(DotSmallBlocksTest, ExtremeLevelsMultiplyExactly) {
  if (!IsIntegerType(type())) GTEST_SKIP();
  const int lowest = type() == TensorType::kQ8_0 ? -128 : type() == TensorType::kQ4_0 ? -8 : -16;
  const int highest = -lowest - 1;
  constexpr size_t kCols = 64;
  constexpr size_t kRows = 4;
  constexpr size_t kTokens = 4;
  std::mt19937 generator(7);
  std::uniform_int_distribution<int> any_level(lowest, highest);
  Operands operands{type(), kCols, kRows, kTokens, {}, {}, {}, {}};
  for (size_t r = 0; r < kRows; ++r) {
    for (size_t b = 0; b < kCols / 32; ++b) {
      int levels[32];
      for (int j = 0; j < 32; ++j) {
        const int pattern[] = {lowest, highest, j % 2 == 0 ? lowest : highest,
                               any_level(generator)};
        levels[j] = pattern[r];
      }
      AppendBlock(type(), 0.5f + static_cast<float>(b), levels, operands.weights);
    }
  }
  operands.weight_values.resize(kRows * kCols);
  Dequantize(type(), operands.weights, operands.weight_values);
  std::vector<float> x(kTokens * kCols);
  std::uniform_int_distribution<int> any_sign(0, 1);
  for (size_t c = 0; c < kCols; ++c) {
    const float signs[] = {1.0f, -1.0f, c % 2 == 0 ? -1.0f : 1.0f,
                           any_sign(generator) ? 1.0f : -1.0f};
    for (size_t t = 0; t < kTokens; ++t) x[t * kCols + c] = signs[t];
  }
  const size_t activation_row_bytes = ActivationRowBytes(ActivationFormat::kQ8_0, kCols);
  operands.activations.resize(kTokens * activation_row_bytes);
  for (size_t t = 0; t < kTokens; ++t) {
    QuantizeActivationRow(ActivationFormat::kQ8_0, x.data() + t * kCols, kCols,
                          operands.activations.data() + t * activation_row_bytes);
  }
  operands.activation_values =
      DequantizeActivations(ActivationFormat::kQ8_0, operands.activations, x);

  const OddBytes weights(operands.weights);
  const OddBytes activations(operands.activations);
  std::vector<float> out(kTokens * kRows);
  RunDotRows(path(), operands, weights, activations, 0, kRows, 0, kTokens, out);
  for (size_t t = 0; t < kTokens; ++t) {
    for (size_t r = 0; r < kRows; ++r) {
      double expected = 0;
      double magnitude = 0;
      for (size_t c = 0; c < kCols; ++c) {
        const double term = static_cast<double>(operands.weight_values[r * kCols + c]) *
                            operands.activation_values[t * kCols + c];
        expected += term;
        magnitude += std::fabs(term);
      }
      EXPECT_NEAR(out[t * kRows + r], expected, Tolerance(kCols, magnitude))
          << "row " << r << " token " << t;
    }
  }
}

// The AVX-VNNI integer tile runs AVX2's tile with another exact block product, so it must agree
// with it to the bit: a cheap check of a path a machine without it cannot run. (AVX-512's tile
// takes two blocks per step and sums in its own order, like any other path.)
TEST_P(DotSmallBlocksTest, AvxVnniIntegerTilesEqualTheAvx2TileBitForBit) {
  if (!IsIntegerType(type()) || path() != KernelPath::kAvxVnni) GTEST_SKIP();
  for (const size_t cols : ColumnCounts()) {
    const Operands operands = MakeOperands(type(), cols, kMaxRows, kMaxTokens, 400 + cols);
    const OddBytes weights(operands.weights);
    const OddBytes activations(operands.activations);
    std::vector<float> avx2(kMaxTokens * kMaxRows);
    std::vector<float> vnni(kMaxTokens * kMaxRows);
    RunDotRows(KernelPath::kAvx2, operands, weights, activations, 0, kMaxRows, 0, kMaxTokens, avx2);
    RunDotRows(path(), operands, weights, activations, 0, kMaxRows, 0, kMaxTokens, vnni);
    EXPECT_EQ(0, std::memcmp(avx2.data(), vnni.data(), avx2.size() * sizeof(float)))
        << "cols " << cols;
  }
}

std::string TestName(const ::testing::TestParamInfo<std::tuple<TensorType, KernelPath>>& info) {
  std::string name = std::string(NameOf(std::get<0>(info.param))) + "_" +
                     std::string(NameOf(std::get<1>(info.param)));
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(TypesAndPaths, DotSmallBlocksTest,
                         ::testing::Combine(::testing::ValuesIn(kTypes),
                                            ::testing::ValuesIn(kPaths)),
                         TestName);

}  // namespace
}  // namespace troupe::engine::kernels
