// The forward pass's kernels against plain reference arithmetic: every weight type's matrix
// product against quant.h's Dequantize and a dot product in double, the same bits for any batch
// grouping and thread count, and RMSNorm, RoPE, attention and SwiGLU against their formulas.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <optional>
#include <random>
#include <stdexcept>
#include <mutex>
#include <vector>

#include "engine/kernels/activation.h"
#include "engine/kernels/attention.h"
#include "engine/kernels/attention_chunk.h"
#include "engine/kernels/cpu_features.h"
#include "engine/kernels/fp16.h"
#include "engine/kernels/matmul.h"
#include "engine/kernels/norm.h"
#include "engine/kernels/quantized_activations.h"
#include "engine/kernels/rope.h"
#include "engine/kernels/vector_ops.h"
#include "engine/error.h"
#include "engine/kernels/row_decoder.h"
#include "engine/quant.h"
#include "engine/thread_pool.h"
#include "support/random_floats.h"

namespace troupe::engine::kernels {
namespace {

using troupe::testing::RandomFloats;

struct QuantizedMatrix {
  std::vector<std::byte> bytes;
  WeightMatrix view;
  std::vector<float> dequantized;  // what Dequantize makes of the bytes
};

QuantizedMatrix MakeMatrix(TensorType type, size_t rows, size_t cols, uint32_t seed) {
  QuantizedMatrix matrix;
  matrix.bytes = Quantize(type, RandomFloats(rows * cols, seed));
  matrix.view = WeightMatrix::FromBytes(type, rows, cols, matrix.bytes.data());
  matrix.dequantized.resize(rows * cols);
  Dequantize(type, matrix.bytes, matrix.dequantized);
  return matrix;
}

const TensorType kWeightTypes[] = {TensorType::kF32,  TensorType::kF16,  TensorType::kBF16,
                                   TensorType::kQ8_0, TensorType::kQ4_0, TensorType::kQ5_0,
                                   TensorType::kQ4_K, TensorType::kQ5_K, TensorType::kQ6_K};

class WeightTypeTest : public ::testing::TestWithParam<TensorType> {};

TEST_P(WeightTypeTest, DecodedRowsEqualDequantizeBitForBit) {
  const QuantizedMatrix matrix = MakeMatrix(GetParam(), 5, 512, 11);
  std::vector<float> row(512);
  for (size_t r = 0; r < 5; ++r) {
    DecodeMatrixRow(matrix.view, r, row.data());
    EXPECT_EQ(0, std::memcmp(row.data(), matrix.dequantized.data() + r * 512, 512 * sizeof(float)))
        << "row " << r;
  }
}

// The activations as the kernels read them: quantized to 8 bits for the integer weight types
// (quantized_activations.h), then turned back into floats.
std::vector<float> ActivationsAsRead(TensorType weight_type, const std::vector<float>& x, size_t cols) {
  const ActivationFormat format = ActivationFormatFor(weight_type);
  const size_t row_bytes = ActivationRowBytes(format, cols);
  std::vector<float> values(x.size());
  std::vector<std::byte> row(row_bytes);
  for (size_t t = 0; t < x.size() / cols; ++t) {
    QuantizeActivationRow(format, x.data() + t * cols, cols, row.data());
    float* out = values.data() + t * cols;
    if (format == ActivationFormat::kQ8_0) {
      const auto* blocks = reinterpret_cast<const BlockQ8_0*>(row.data());
      for (size_t c = 0; c < cols; ++c) {
        out[c] = HalfBitsToFloat(blocks[c / 32].scale) * blocks[c / 32].levels[c % 32];
      }
    } else if (format == ActivationFormat::kQ8_K) {
      const auto* blocks = reinterpret_cast<const BlockQ8_K*>(row.data());
      for (size_t c = 0; c < cols; ++c) out[c] = blocks[c / 256].scale * blocks[c / 256].levels[c % 256];
    } else {
      std::memcpy(out, row.data(), cols * sizeof(float));
    }
  }
  return values;
}

TEST_P(WeightTypeTest, MatMulEqualsTheDoubleProductOfWhatTheKernelsRead) {
  constexpr size_t kRows = 37;  // not a multiple of the row tile
  constexpr size_t kCols = 768;
  constexpr size_t kTokens = 5;
  const QuantizedMatrix matrix = MakeMatrix(GetParam(), kRows, kCols, 12);
  const std::vector<float> x = RandomFloats(kTokens * kCols, 13);
  const std::vector<float> read = ActivationsAsRead(GetParam(), x, kCols);
  std::vector<float> y(kTokens * kRows);
  ThreadPool pool(2);
  MatMul(pool, matrix.view, x.data(), kTokens, y.data());
  for (size_t t = 0; t < kTokens; ++t) {
    for (size_t r = 0; r < kRows; ++r) {
      double expected = 0;
      double magnitude = 0;  // the scale of the rounding error a float sum may make
      for (size_t c = 0; c < kCols; ++c) {
        const double term = static_cast<double>(matrix.dequantized[r * kCols + c]) * read[t * kCols + c];
        expected += term;
        magnitude += std::fabs(term);
      }
      EXPECT_NEAR(y[t * kRows + r], expected, 1e-5 * magnitude + 1e-6)
          << "token " << t << " row " << r;
    }
  }
}

// Quantizing activations loses at most half a level per element, and Q8_K's run sums add up.
TEST_P(WeightTypeTest, QuantizedActivationsStayWithinHalfALevel) {
  constexpr size_t kCols = 512;
  const std::vector<float> x = RandomFloats(kCols, 31, 3.0f);
  const std::vector<float> read = ActivationsAsRead(GetParam(), x, kCols);
  const ActivationFormat format = ActivationFormatFor(GetParam());
  const size_t block = format == ActivationFormat::kQ8_K ? 256 : 32;
  for (size_t start = 0; start < kCols; start += block) {
    float max_magnitude = 0;
    for (size_t c = start; c < start + block; ++c) max_magnitude = std::max(max_magnitude, std::fabs(x[c]));
    // Q8_0's scale is rounded to a half, which moves every level by up to 2^-11 of itself.
    const float step = max_magnitude / 127.0f;
    const float tolerance = format == ActivationFormat::kF32 ? 0.0f : step * 0.5f * 1.01f + max_magnitude * 1e-3f;
    for (size_t c = start; c < start + block; ++c) EXPECT_NEAR(read[c], x[c], tolerance) << c;
  }
  if (format == ActivationFormat::kQ8_0) {
    // Every path writes exactly the bytes of the documented arithmetic.
    std::vector<std::byte> row(ActivationRowBytes(format, kCols));
    QuantizeActivationRow(format, x.data(), kCols, row.data());
    const auto* blocks = reinterpret_cast<const BlockQ8_0*>(row.data());
    for (size_t b = 0; b < kCols / 32; ++b) {
      float max_magnitude = 0;
      for (size_t j = 0; j < 32; ++j) max_magnitude = std::max(max_magnitude, std::fabs(x[b * 32 + j]));
      EXPECT_EQ(blocks[b].scale, FloatToHalf(max_magnitude / 127.0f)) << b;
      for (size_t j = 0; j < 32; ++j) {
        EXPECT_EQ(blocks[b].levels[j], static_cast<int>(std::nearbyint(x[b * 32 + j] * (127.0f / max_magnitude))))
            << b << "/" << j;
      }
    }
  }
  if (format == ActivationFormat::kQ8_K) {
    std::vector<std::byte> row(ActivationRowBytes(format, kCols));
    QuantizeActivationRow(format, x.data(), kCols, row.data());
    const auto* blocks = reinterpret_cast<const BlockQ8_K*>(row.data());
    for (size_t b = 0; b < kCols / 256; ++b) {
      for (size_t run = 0; run < 16; ++run) {
        int sum = 0;
        for (size_t j = 0; j < 16; ++j) sum += blocks[b].levels[run * 16 + j];
        EXPECT_EQ(blocks[b].sums[run], sum);
      }
    }
  }
}

// q, k and v computed in one call equal three calls of their own, bit for bit.
TEST_P(WeightTypeTest, SeveralTargetsOfOneInputEqualSeparateProducts) {
  constexpr size_t kCols = 512;
  constexpr size_t kTokens = 3;
  const QuantizedMatrix first = MakeMatrix(GetParam(), 19, kCols, 41);
  const QuantizedMatrix second = MakeMatrix(GetParam(), 40, kCols, 42);
  const QuantizedMatrix mixed = MakeMatrix(TensorType::kQ6_K, 9, kCols, 43);
  const std::vector<float> x = RandomFloats(kTokens * kCols, 44);
  ThreadPool pool(2);
  std::vector<float> a(kTokens * 19), b(kTokens * 40), c(kTokens * 9);
  const MatMulTarget targets[] = {{&first.view, a.data()}, {&second.view, b.data()}, {&mixed.view, c.data()}};
  MatMul(pool, targets, x.data(), kTokens);
  std::vector<float> alone_a(a.size()), alone_b(b.size()), alone_c(c.size());
  MatMul(pool, first.view, x.data(), kTokens, alone_a.data());
  MatMul(pool, second.view, x.data(), kTokens, alone_b.data());
  MatMul(pool, mixed.view, x.data(), kTokens, alone_c.data());
  EXPECT_EQ(0, std::memcmp(a.data(), alone_a.data(), a.size() * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(b.data(), alone_b.data(), b.size() * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(c.data(), alone_c.data(), c.size() * sizeof(float)));
}

TEST_P(WeightTypeTest, AnyBatchGroupingAndThreadCountGivesTheSameBits) {
  constexpr size_t kRows = 45;
  constexpr size_t kCols = 512;
  constexpr size_t kTokens = 7;
  const QuantizedMatrix matrix = MakeMatrix(GetParam(), kRows, kCols, 21);
  const std::vector<float> x = RandomFloats(kTokens * kCols, 22);
  std::vector<float> reference(kTokens * kRows);
  ThreadPool single(1);
  MatMul(single, matrix.view, x.data(), kTokens, reference.data());
  for (int threads : {2, 3}) {
    ThreadPool pool(threads);
    std::vector<float> batched(kTokens * kRows);
    MatMul(pool, matrix.view, x.data(), kTokens, batched.data());
    EXPECT_EQ(0, std::memcmp(batched.data(), reference.data(), batched.size() * sizeof(float)))
        << threads << " threads, one batch";
    std::vector<float> one(kRows);
    for (size_t t = 0; t < kTokens; ++t) {
      MatMul(pool, matrix.view, x.data() + t * kCols, 1, one.data());
      EXPECT_EQ(0, std::memcmp(one.data(), reference.data() + t * kRows, kRows * sizeof(float)))
          << threads << " threads, token " << t << " alone";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, WeightTypeTest, ::testing::ValuesIn(kWeightTypes),
                         [](const ::testing::TestParamInfo<TensorType>& info) {
                           return std::string(NameOf(info.param));
                         });

TEST(ThreadPoolTest, EveryIndexRunsExactlyOnceForAnyCountAndThreads) {
  for (int threads : {1, 2, 3, 5}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (size_t count : {0u, 1u, 2u, 3u, 7u, 100u}) {
      std::vector<std::atomic<int>> hits(count);
      for (int repeat = 0; repeat < 3; ++repeat) {
        pool.ParallelFor(count, [&](size_t begin, size_t end) {
          for (size_t i = begin; i < end; ++i) hits[i].fetch_add(1);
        });
      }
      for (size_t i = 0; i < count; ++i) EXPECT_EQ(hits[i].load(), 3) << threads << "/" << count;
    }
  }
}

// Asked for one chunk per thread, a loop is cut into exactly one contiguous range per taking
// thread, still covering every index once.
TEST(ThreadPoolTest, OneChunkPerThreadCutsOneRangePerThread) {
  for (int threads : {2, 3}) {
    ThreadPool pool(threads);
    for (size_t count : {2u, 7u, 100u}) {
      std::mutex mutex;
      std::vector<std::pair<size_t, size_t>> ranges;
      pool.ParallelFor(count, [&](size_t begin, size_t end) {
        std::lock_guard lock(mutex);
        ranges.emplace_back(begin, end);
      }, 1);
      std::sort(ranges.begin(), ranges.end());
      ASSERT_EQ(ranges.size(), std::min<size_t>(count, threads)) << threads << "/" << count;
      size_t next = 0;
      for (const auto& [begin, end] : ranges) {
        EXPECT_EQ(begin, next);
        next = end;
      }
      EXPECT_EQ(next, count);
    }
  }
}

// Workers park after spinning a while; the next loop must still wake every one of them. The
// pauses let them park (a lost wake-up would hang here and fail by the test's timeout).
TEST(ThreadPoolTest, ParkedWorkersWakeForTheNextLoop) {
  ThreadPool pool(3);
  for (int round = 0; round < 20; ++round) {
    std::vector<std::atomic<int>> seen(30);
    pool.ParallelFor(seen.size(), [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) seen[i].fetch_add(1);
    });
    for (const auto& count : seen) ASSERT_EQ(count.load(), 1) << "round " << round;
    if (round % 4 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

TEST(ThreadPoolTest, AnExceptionInAWorkerReachesTheCallerAndThePoolStaysUsable) {
  ThreadPool pool(3);
  EXPECT_THROW(pool.ParallelFor(9,
                                [](size_t begin, size_t) {
                                  if (begin > 0) throw std::runtime_error("worker failed");
                                }),
               std::runtime_error);
  std::atomic<size_t> total{0};
  pool.ParallelFor(9, [&](size_t begin, size_t end) { total += end - begin; });
  EXPECT_EQ(total.load(), 9u);
}

TEST(Fp16Test, RowConversionsAgreeWithQuantHalfConversions) {
  std::vector<float> values = RandomFloats(1000, 5, 100.0f);
  values.push_back(65504.0f);
  values.push_back(1e-7f);  // a half subnormal
  values.push_back(-0.0f);
  values.push_back(1e6f);   // overflows to infinity
  std::vector<uint16_t> halves(values.size());
  FloatRowToHalf(values.data(), halves.data(), values.size());
  std::vector<float> back(values.size());
  HalfRowToFloat(halves.data(), back.data(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(halves[i], FloatToHalf(values[i])) << values[i];
    EXPECT_EQ(std::bit_cast<uint32_t>(back[i]), std::bit_cast<uint32_t>(HalfToFloat(halves[i])));
  }
}

TEST(RmsNormTest, ScalesToUnitRootMeanSquareThenAppliesTheWeight) {
  const float x[] = {1.0f, -2.0f, 3.0f, -4.0f};
  const float weight[] = {1.0f, 0.5f, 2.0f, -1.0f};
  float out[4];
  RmsNorm(x, weight, 4, 1e-5f, out);
  const float scale = 1.0f / std::sqrt(7.5f + 1e-5f);  // mean of squares: 30 / 4
  EXPECT_FLOAT_EQ(out[0], 1.0f * scale);
  EXPECT_FLOAT_EQ(out[1], -1.0f * scale);
  EXPECT_FLOAT_EQ(out[2], 6.0f * scale);
  EXPECT_FLOAT_EQ(out[3], 4.0f * scale);
}

TEST(SwiGluTest, MultipliesSiluOfTheGateByUp) {
  const float gate[] = {0.0f, 1.0f, -2.0f, 20.0f};
  const float up[] = {3.0f, 2.0f, 1.0f, 0.5f};
  float out[4];
  SwiGlu(gate, up, 4, out);
  EXPECT_FLOAT_EQ(out[0], 0.0f);
  EXPECT_FLOAT_EQ(out[1], 2.0f / (1.0f + std::exp(-1.0f)));
  EXPECT_FLOAT_EQ(out[2], -2.0f / (1.0f + std::exp(2.0f)));
  EXPECT_NEAR(out[3], 10.0f, 1e-6);
}

// Vectors of 8 and the rest, over the whole float range: the SIMD exponential's clamp keeps
// silu at its limits (0 far below zero, the gate itself far above) and never makes a NaN.
// The decoder gates a batch's tokens in one call: an element must come out the same wherever the
// batch puts it, the last count % 8 included.
TEST(SwiGluTest, AnElementsBitsDoNotDependOnItsPlaceInTheCall) {
  const std::vector<float> gate = RandomFloats(21, 82, 4.0f);
  const std::vector<float> up = RandomFloats(21, 83);
  std::vector<float> whole(21);
  SwiGlu(gate.data(), up.data(), 21, whole.data());
  for (size_t start : {1u, 5u, 13u, 17u}) {
    std::vector<float> part(21 - start);
    SwiGlu(gate.data() + start, up.data() + start, part.size(), part.data());
    for (size_t i = 0; i < part.size(); ++i) EXPECT_EQ(part[i], whole[start + i]) << start << "+" << i;
  }
}

TEST(SwiGluTest, MatchesStdExpAcrossTheRangeAndLengths) {
  std::vector<float> gate = RandomFloats(37, 80, 6.0f);
  gate[3] = -1000.0f;
  gate[4] = 1000.0f;
  gate[5] = -90.0f;
  gate[6] = 89.0f;
  const std::vector<float> up = RandomFloats(37, 81);
  std::vector<float> out(gate.size());
  SwiGlu(gate.data(), up.data(), gate.size(), out.data());
  for (size_t i = 0; i < gate.size(); ++i) {
    const double g = gate[i];
    const double expected = g / (1.0 + std::exp(-g)) * up[i];
    EXPECT_NEAR(out[i], expected, 1e-6 * std::abs(expected) + 1e-30) << i << ": gate " << g;
  }
}

TEST(RopeTest, AdjacentPairsAndHalfSplitRotateTheDocumentedPairs) {
  RopeParameters rope;
  rope.rotary_dims = 4;  // of a 6-wide head: the last two dimensions stay
  rope.freq_base = 100.0f;
  float cosines[2], sines[2];
  RopeAngles(rope, 3, cosines, sines);
  // Pair i turns by position * base^(-2i / rotary_dims): 3 and 3 / 10.
  EXPECT_FLOAT_EQ(cosines[0], std::cos(3.0f));
  EXPECT_FLOAT_EQ(sines[1], std::sin(0.3f));

  const float head[] = {1, 2, 3, 4, 5, 6};
  float adjacent[6];
  std::memcpy(adjacent, head, sizeof(head));
  rope.mode = RopeMode::kAdjacentPairs;
  ApplyRope(rope, cosines, sines, adjacent, 1, 6);
  EXPECT_FLOAT_EQ(adjacent[0], 1 * cosines[0] - 2 * sines[0]);
  EXPECT_FLOAT_EQ(adjacent[1], 1 * sines[0] + 2 * cosines[0]);
  EXPECT_FLOAT_EQ(adjacent[2], 3 * cosines[1] - 4 * sines[1]);
  EXPECT_FLOAT_EQ(adjacent[3], 3 * sines[1] + 4 * cosines[1]);
  EXPECT_EQ(adjacent[4], 5);
  EXPECT_EQ(adjacent[5], 6);

  float split[6];
  std::memcpy(split, head, sizeof(head));
  rope.mode = RopeMode::kHalfSplit;
  ApplyRope(rope, cosines, sines, split, 1, 6);
  EXPECT_FLOAT_EQ(split[0], 1 * cosines[0] - 3 * sines[0]);
  EXPECT_FLOAT_EQ(split[2], 1 * sines[0] + 3 * cosines[0]);
  EXPECT_FLOAT_EQ(split[1], 2 * cosines[1] - 4 * sines[1]);
  EXPECT_FLOAT_EQ(split[3], 2 * sines[1] + 4 * cosines[1]);
  EXPECT_EQ(split[4], 5);
}

TEST(RopeTest, LinearScalingAndFrequencyFactorsDivideTheAngle) {
  RopeParameters rope;
  rope.rotary_dims = 4;
  rope.freq_base = 100.0f;
  rope.freq_scale = 0.5f;
  rope.freq_factors = {1.0f, 4.0f};
  float cosines[2], sines[2];
  RopeAngles(rope, 8, cosines, sines);
  EXPECT_FLOAT_EQ(sines[0], std::sin(4.0f));         // 8 * 0.5
  EXPECT_FLOAT_EQ(sines[1], std::sin(0.8f / 4 * 0.5f));  // 8 / 10 / 4 * 0.5
}

TEST(AttentionTest, GroupedQueriesMatchASoftmaxComputedInDouble) {
  AttentionShape shape;
  shape.query_heads = 4;
  shape.kv_heads = 2;
  shape.key_dim = 16;
  shape.value_dim = 8;
  shape.scale = 0.25f;
  // Positions already cached before the batch: more than two chunks of the online softmax.
  constexpr uint32_t kFirst = 150;
  constexpr size_t kTokens = 3;
  constexpr size_t kPositions = kFirst + kTokens;
  const std::vector<float> queries = RandomFloats(kTokens * 4 * 16, 31);
  const std::vector<float> key_floats = RandomFloats(kPositions * 2 * 16, 32);
  const std::vector<float> value_floats = RandomFloats(kPositions * 2 * 8, 33);
  std::vector<uint16_t> keys(key_floats.size()), values(value_floats.size());
  FloatRowToHalf(key_floats.data(), keys.data(), keys.size());
  FloatRowToHalf(value_floats.data(), values.data(), values.size());
  std::vector<float> out(kTokens * 4 * 8);
  ThreadPool pool(3);
  CausalAttention(pool, shape, queries.data(), keys.data(), values.data(), kFirst, kTokens,
                  out.data());
  for (size_t t = 0; t < kTokens; ++t) {
    for (size_t h = 0; h < 4; ++h) {
      const size_t kv = h / 2;
      const size_t visible = kFirst + t + 1;
      std::vector<double> weights(visible);
      double total = 0;
      for (size_t p = 0; p < visible; ++p) {
        double dot = 0;
        for (size_t d = 0; d < 16; ++d) {
          dot += queries[(t * 4 + h) * 16 + d] * static_cast<double>(HalfToFloat(keys[(p * 2 + kv) * 16 + d]));
        }
        weights[p] = std::exp(dot * 0.25);
        total += weights[p];
      }
      for (size_t d = 0; d < 8; ++d) {
        double expected = 0;
        for (size_t p = 0; p < visible; ++p) {
          expected += weights[p] / total * HalfToFloat(values[(p * 2 + kv) * 8 + d]);
        }
        EXPECT_NEAR(out[(t * 4 + h) * 8 + d], expected, 1e-5) << t << "/" << h << "/" << d;
      }
    }
  }
  // Each token alone, as decoding runs it, gives the batch's bits.
  for (size_t t = 0; t < kTokens; ++t) {
    std::vector<float> alone(4 * 8);
    CausalAttention(pool, shape, queries.data() + t * 4 * 16, keys.data(), values.data(),
                    kFirst + static_cast<uint32_t>(t), 1, alone.data());
    EXPECT_EQ(0, std::memcmp(alone.data(), out.data() + t * 4 * 8, alone.size() * sizeof(float))) << t;
  }
}

TEST(AttentionTest, ShapesBeyondTheStackBuffersAreRefused) {
  AttentionShape shape;
  shape.query_heads = 6;
  shape.kv_heads = 4;
  shape.key_dim = shape.value_dim = 64;
  EXPECT_THROW(CheckAttentionShape(shape), EngineError);
  shape.kv_heads = 2;
  EXPECT_NO_THROW(CheckAttentionShape(shape));
  shape.key_dim = kMaxAttentionHeadDim + 2;
  EXPECT_THROW(CheckAttentionShape(shape), EngineError);
}

TEST(VectorOpsTest, ExpShiftedMatchesStdExpAndSums) {
  std::vector<float> values = RandomFloats(203, 61, 20.0f);
  values.push_back(-200.0f);  // flushed to zero
  const float shift = *std::max_element(values.begin(), values.end());
  std::vector<float> expected(values.size());
  double expected_sum = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    expected[i] = std::exp(values[i] - shift);
    expected_sum += expected[i];
  }
  const float sum = ExpShiftedInPlace(values.data(), shift, values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_NEAR(values[i], expected[i], 3e-7 * expected[i] + 1e-37) << i;
  }
  EXPECT_NEAR(sum, expected_sum, 1e-5 * expected_sum);
}

TEST(VectorOpsTest, AddScaledAndScaleInPlace) {
  const std::vector<float> values = RandomFloats(37, 62);
  std::vector<float> accumulator = RandomFloats(37, 63);
  const std::vector<float> before = accumulator;
  AddScaled(0.5f, values.data(), accumulator.data(), accumulator.size());
  for (size_t i = 0; i < before.size(); ++i) EXPECT_FLOAT_EQ(accumulator[i], before[i] + 0.5f * values[i]);
  ScaleInPlace(2.0f, accumulator.data(), accumulator.size());
  for (size_t i = 0; i < before.size(); ++i) EXPECT_FLOAT_EQ(accumulator[i], 2.0f * (before[i] + 0.5f * values[i]));
}

// Every count (whole groups of four keys and the rest) and head sizes with and without a tail
// past the last multiple of 8, against the same sums in double.
TEST(VectorOpsTest, ScoreKeysMatchDotProductsInDouble) {
  for (size_t dim : {8, 12, 64, 72}) {
    const std::vector<float> query = RandomFloats(dim, 70);
    const std::vector<float> keys = RandomFloats(12 * dim, 71);
    for (size_t count = 1; count <= 9; ++count) {
      std::vector<float> scores(count + 1, -7.0f);
      ScoreKeys(query.data(), keys.data(), count, dim, 0.25f, scores.data());
      for (size_t j = 0; j < count; ++j) {
        double expected = 0;
        for (size_t i = 0; i < dim; ++i) expected += double(keys[j * dim + i]) * query[i];
        EXPECT_NEAR(scores[j], 0.25 * expected, 1e-5) << "dim " << dim << ", count " << count << ", key " << j;
      }
      EXPECT_EQ(scores[count], -7.0f) << "dim " << dim << ": wrote past count " << count;
    }
  }
}

// A key's score is the same whichever group of four it falls in.
TEST(VectorOpsTest, ScoreKeysGivesAKeyTheSameBitsInEveryGroupPosition) {
  const size_t dim = 64;
  const std::vector<float> query = RandomFloats(dim, 72);
  const std::vector<float> keys = RandomFloats(12 * dim, 73);  // ScoreKeys reads whole groups of 4 rows
  std::vector<float> alone(4);
  ScoreKeys(query.data(), keys.data() + 5 * dim, 1, dim, 0.5f, alone.data());
  std::vector<float> among(8);
  ScoreKeys(query.data(), keys.data(), 8, dim, 0.5f, among.data());
  EXPECT_EQ(alone[0], among[5]);
}

TEST(VectorOpsTest, AccumulateValuesAddsEachPositionInOrder) {
  for (size_t dim : {8, 20, 64, 96}) {
    const std::vector<float> weights = RandomFloats(5, 74);
    const std::vector<float> values = RandomFloats(5 * dim, 75);
    std::vector<float> accumulator = RandomFloats(dim, 76);
    std::vector<float> expected = accumulator;
    for (size_t j = 0; j < 5; ++j) AddScaled(weights[j], values.data() + j * dim, expected.data(), dim);
    AccumulateValues(weights.data(), values.data(), 5, dim, accumulator.data());
    for (size_t i = 0; i < dim; ++i) EXPECT_NEAR(accumulator[i], expected[i], 1e-5) << "dim " << dim << ", " << i;
  }
}

// The kernel path is chosen once per process, so every other path this CPU has runs in a child
// process with TROUPE_ENGINE_KERNELS set (cpu_features.h): the kernel tests and llama.cpp's
// goldens (transformer_test.cpp) must hold on each. The child runs every selected test, whichever
// ctest shard this process is.
TEST(KernelPathsTest, EveryOtherPathOfThisCpuPassesTheKernelTestsAndTheGoldens) {
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  int paths_run = 0;
  for (KernelPath path : {KernelPath::kScalar, KernelPath::kAvx2, KernelPath::kAvxVnni, KernelPath::kAvx512}) {
    if (!CpuSupports(path) || path == ActiveKernelPath()) continue;
    const std::string command =
        "env -u GTEST_TOTAL_SHARDS -u GTEST_SHARD_INDEX TROUPE_ENGINE_KERNELS=" + std::string(NameOf(path)) +
        " '" + self + "' --gtest_brief=1 "
        "'--gtest_filter=AllTypes/*:Fp16Test.*:AttentionTest.*:VectorOpsTest.*:SharedModels/*:"
        "TransformerTest.*:KernelPathsTest.TheChosenPathIsTheOneAskedFor"
        // Not the long prompt's perplexity: it runs the kernels the continuations run over more
        // positions (attention's chunking is AttentionTest's), and on the scalar path under ASan
        // it took as long as everything else here together.
        "-*TeacherForcedPerplexity*' > /dev/null 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    ++paths_run;
  }
  // Every x86-64 CPU this runs on has the scalar path and at least one other.
  EXPECT_GE(paths_run, 1);
}

// What the child processes above rely on: the variable picks the path.
TEST(KernelPathsTest, TheChosenPathIsTheOneAskedFor) {
  const char* requested = std::getenv("TROUPE_ENGINE_KERNELS");
  if (requested != nullptr) {
    const std::optional<KernelPath> path = ParseKernelPath(requested);
    ASSERT_TRUE(path.has_value()) << requested;
    EXPECT_EQ(ActiveKernelPath(), *path);
  } else {
    for (KernelPath path : {KernelPath::kAvx2, KernelPath::kAvxVnni, KernelPath::kAvx512}) {
      if (CpuSupports(path)) {
        EXPECT_GE(ActiveKernelPath(), path) << NameOf(path);
      }
    }
  }
  for (KernelPath path : {KernelPath::kScalar, KernelPath::kAvx2, KernelPath::kAvxVnni, KernelPath::kAvx512}) {
    EXPECT_EQ(ParseKernelPath(NameOf(path)), path);
  }
  EXPECT_FALSE(ParseKernelPath("sse9").has_value());
}

}  // namespace
}  // namespace troupe::engine::kernels
