// Tensor block formats: round trips on synthetic data, sizes and errors, the byte layouts, and
// (half and bfloat16 conversions: half_conversion_test.cpp)
// bit-exactness against files llama-quantize produced from the shared F16 master.
#include "engine/quant.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/gguf.h"
#include "support/temp_dir.h"

namespace troupe::engine {
namespace {

using ::troupe::testing::SharedDir;

constexpr std::array kBlockTypes = {TensorType::kQ8_0, TensorType::kQ4_0, TensorType::kQ5_0,
                                    TensorType::kQ4_K, TensorType::kQ5_K, TensorType::kQ6_K};

// The kinds of synthetic data the round-trip tests use.
enum class Shape { kNormal, kUniform, kOutliers };

// Upper bounds on RMS(dequantize(quantize(x)) - x) / RMS(x), per format and data shape.
//
// Where they come from: a format with step d rounds each value by at most d/2, an RMS error of
// about d/sqrt(12). For N(0,1) data in 32-value blocks the largest |x| is about 2.1, so
//   Q8_0: d = 2.1/127 -> ~0.48%    Q5_0: d = 2.1/16 -> ~3.8%    Q4_0: d = 2.1/8 -> ~7.6%
// and the K-quants spread their levels over a sub-block's range (about 4.1 for 32 values, 3.5
// for Q6_K's 16), then search for a better fit:
//   Q4_K: 4.1/15 -> ~7.9%    Q5_K: 4.1/31 -> ~3.8%    Q6_K: 3.5/63 -> ~1.6%
// Measured (worst of 4 seeds, 16384 values each): normal 0.54% 8.7% 4.3% 7.2% 3.6% 1.8% for
// Q8_0 Q4_0 Q5_0 Q4_K Q5_K Q6_K: the step estimates hold to within 15% (the largest |x| varies
// from block to block, and the mean square of d is what counts; the K-quants also round their
// sub-block scales to 6 or 8 bits). Uniform data on [-0.75, 0.25] does better (its range is
// small against its RMS); one value in 97 scaled by 30 ("outliers") does worse, most of all for
// the block formats, whose one scale per block must then reach the outlier. The bounds below
// are the measured values plus about 10%, so a real loss of precision fails.
double ErrorBound(TensorType type, Shape shape) {
  struct Bounds {
    double normal, uniform, outliers;
  };
  Bounds bounds{};
  switch (type) {
    case TensorType::kQ8_0: bounds = {0.0060, 0.0047, 0.0135}; break;
    case TensorType::kQ4_0: bounds = {0.095, 0.075, 0.153}; break;
    case TensorType::kQ5_0: bounds = {0.048, 0.037, 0.099}; break;
    case TensorType::kQ4_K: bounds = {0.080, 0.046, 0.108}; break;
    case TensorType::kQ5_K: bounds = {0.040, 0.0235, 0.056}; break;
    case TensorType::kQ6_K: bounds = {0.020, 0.0165, 0.038}; break;
    default: break;
  }
  switch (shape) {
    case Shape::kNormal: return bounds.normal;
    case Shape::kUniform: return bounds.uniform;
    case Shape::kOutliers: return bounds.outliers;
  }
  return 0;
}

std::vector<float> NormalValues(size_t count, uint32_t seed) {
  std::mt19937 generator(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> values(count);
  for (float& value : values) value = normal(generator);
  return values;
}

std::vector<float> UniformValues(size_t count, uint32_t seed) {
  std::mt19937 generator(seed);
  std::uniform_real_distribution<float> uniform(-0.75f, 0.25f);
  std::vector<float> values(count);
  for (float& value : values) value = uniform(generator);
  return values;
}

// Normal data where one value in 97 is 30 times larger: the case that stretches a block's scale.
std::vector<float> ValuesWithOutliers(size_t count, uint32_t seed) {
  std::vector<float> values = NormalValues(count, seed);
  for (size_t i = 5; i < count; i += 97) values[i] *= 30.f;
  return values;
}

double RelativeRmsError(std::span<const float> reference, std::span<const float> actual) {
  double error = 0;
  double energy = 0;
  for (size_t i = 0; i < reference.size(); ++i) {
    const double diff = static_cast<double>(actual[i]) - reference[i];
    error += diff * diff;
    energy += static_cast<double>(reference[i]) * reference[i];
  }
  return energy == 0 ? std::sqrt(error) : std::sqrt(error / energy);
}

std::vector<float> RoundTrip(TensorType type, std::span<const float> values) {
  const std::vector<std::byte> encoded = Quantize(type, values);
  EXPECT_EQ(encoded.size(), ByteSizeOf(type, values.size()).value());
  std::vector<float> decoded(values.size());
  Dequantize(type, encoded, decoded);
  return decoded;
}

std::vector<std::byte> Bytes(std::initializer_list<int> values) {
  std::vector<std::byte> bytes;
  for (int value : values) bytes.push_back(static_cast<std::byte>(value));
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Round trips on synthetic data

TEST(QuantRoundTrip, PlainTypesAreExactForRepresentableValues) {
  std::vector<float> values = NormalValues(1024, 1);
  values.push_back(-0.0f);
  values.push_back(std::numeric_limits<float>::infinity());
  values.push_back(65504.f);
  values.push_back(0x1p-24f);
  EXPECT_EQ(RoundTrip(TensorType::kF32, values), values);

  std::vector<float> halves(values.size());
  std::vector<float> bfloats(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    halves[i] = HalfToFloat(FloatToHalf(values[i]));
    bfloats[i] = Bf16ToFloat(FloatToBf16(values[i]));
  }
  EXPECT_EQ(RoundTrip(TensorType::kF16, halves), halves);
  EXPECT_EQ(RoundTrip(TensorType::kBF16, bfloats), bfloats);
  EXPECT_EQ(std::bit_cast<uint32_t>(RoundTrip(TensorType::kF16, halves)[1024]), 0x80000000u);
  // F16 and BF16 of arbitrary floats: within half an ulp (2^-11 and 2^-8 relative).
  EXPECT_LT(
      RelativeRmsError(std::span(values).first(1024),
                       std::span<const float>(RoundTrip(TensorType::kF16, values)).first(1024)),
      0x1p-11);
  EXPECT_LT(
      RelativeRmsError(std::span(values).first(1024),
                       std::span<const float>(RoundTrip(TensorType::kBF16, values)).first(1024)),
      0x1p-8);
}

struct Distribution {
  const char* name;
  Shape shape;
  std::vector<float> (*make)(size_t, uint32_t);
};

TEST(QuantRoundTrip, ErrorStaysWithinEachFormatsBound) {
  const std::array<Distribution, 3> distributions = {
      Distribution{"normal", Shape::kNormal, NormalValues},
      Distribution{"uniform", Shape::kUniform, UniformValues},
      Distribution{"outliers", Shape::kOutliers, ValuesWithOutliers}};
  for (TensorType type : kBlockTypes) {
    for (const Distribution& distribution : distributions) {
      double worst = 0;
      for (uint32_t seed = 1; seed <= 4; ++seed) {
        const std::vector<float> values = distribution.make(256 * 64, seed);
        const double error = RelativeRmsError(values, RoundTrip(type, values));
        worst = std::max(worst, error);
      }
      const double bound = ErrorBound(type, distribution.shape);
      std::printf("%-5s %-9s worst relative RMS error %.5f (bound %.4f)\n",
                  std::string(NameOf(type)).c_str(), distribution.name, worst, bound);
      EXPECT_LT(worst, bound) << NameOf(type) << " " << distribution.name;
    }
  }
}

TEST(QuantRoundTrip, ZerosStayZero) {
  const std::vector<float> zeros(512, 0.f);
  for (TensorType type : kBlockTypes) {
    const std::vector<float> decoded = RoundTrip(type, zeros);
    for (float value : decoded) ASSERT_EQ(value, 0.f) << NameOf(type);
  }
}

// A row of one repeated value: every format represents it to within the rounding of its
// half-precision scale (2^-11 relative), as long as that scale stays a normal half: the K-quants'
// super-scale is about value/1000, so below ~0.06 it goes subnormal and loses bits.
TEST(QuantRoundTrip, RepeatedValueSurvives) {
  for (float repeated : {0.37f, -2.5f, 7.f, 1000.f}) {
    const std::vector<float> values(512, repeated);
    for (TensorType type : kBlockTypes) {
      const std::vector<float> decoded = RoundTrip(type, values);
      for (float value : decoded) {
        ASSERT_NEAR(value, repeated, std::fabs(repeated) * 0x1p-11)
            << NameOf(type) << " " << repeated;
      }
    }
  }
}

// Q8_0, Q4_0 and Q5_0 map each block's largest magnitude to an exact level, so decoding and
// encoding again reproduces the same bytes. (The K-quants refit their scales, so they do not
// promise this.)
TEST(QuantRoundTrip, SimpleBlockFormatsAreIdempotent) {
  for (TensorType type : {TensorType::kQ8_0, TensorType::kQ4_0, TensorType::kQ5_0}) {
    for (uint32_t seed = 1; seed <= 3; ++seed) {
      const std::vector<std::byte> encoded = Quantize(type, ValuesWithOutliers(32 * 500, seed));
      std::vector<float> decoded(32 * 500);
      Dequantize(type, encoded, decoded);
      EXPECT_EQ(Quantize(type, decoded), encoded) << NameOf(type);
    }
  }
}

TEST(QuantRoundTrip, EmptyInputIsEmpty) {
  for (TensorType type : kBlockTypes) {
    EXPECT_TRUE(Quantize(type, {}).empty());
    Dequantize(type, {}, {});
  }
}

// Quantize sees whatever a converter feeds it and Dequantize whatever bytes a file holds: NaN,
// infinities, huge and subnormal values and random bytes must give deterministic output of the
// right size and no undefined behaviour (the sanitizer builds run this).
TEST(QuantRoundTrip, ArbitraryInputIsHandledDeterministically) {
  std::mt19937 generator(11);
  std::uniform_int_distribution<uint32_t> any_bits;
  std::vector<float> values(256 * 8);
  for (float& value : values) value = std::bit_cast<float>(any_bits(generator));
  const std::array specials = {std::numeric_limits<float>::quiet_NaN(),
                               std::numeric_limits<float>::infinity(),
                               -std::numeric_limits<float>::infinity(),
                               std::numeric_limits<float>::max(),
                               std::numeric_limits<float>::denorm_min(),
                               -0.0f,
                               1e30f,
                               -1e-30f};
  for (size_t i = 0; i < values.size(); i += 7) values[i] = specials[(i / 7) % specials.size()];
  for (TensorType type : kBlockTypes) {
    const std::vector<std::byte> first = Quantize(type, values);
    EXPECT_EQ(Quantize(type, values), first) << NameOf(type);
    std::vector<float> decoded(values.size());
    Dequantize(type, first, decoded);

    std::vector<std::byte> random_bytes(first.size());
    for (std::byte& byte : random_bytes) byte = static_cast<std::byte>(any_bits(generator) & 0xFF);
    Dequantize(type, random_bytes, decoded);
  }
}

// ---------------------------------------------------------------------------------------------
// Sizes and types

EngineError::Kind ErrorKindOf(const std::function<void()>& call, std::string* message) {
  try {
    call();
  } catch (const EngineError& error) {
    *message = error.what();
    return error.kind();
  }
  ADD_FAILURE() << "no EngineError thrown";
  return EngineError::Kind::kIo;
}

TEST(QuantErrors, PartialBlocksAreRejectedWithTypeAndSize) {
  std::string message;
  const std::vector<float> values(300, 1.f);
  EXPECT_EQ(ErrorKindOf([&] { (void)Quantize(TensorType::kQ4_K, values); }, &message),
            EngineError::Kind::kInvalidInput);
  EXPECT_NE(message.find("Q4_K"), std::string::npos) << message;
  EXPECT_NE(message.find("300"), std::string::npos) << message;
  EXPECT_NE(message.find("256"), std::string::npos) << message;

  std::vector<float> out(33);
  const std::vector<std::byte> bytes(34 * 2);
  EXPECT_EQ(ErrorKindOf([&] { Dequantize(TensorType::kQ8_0, bytes, out); }, &message),
            EngineError::Kind::kInvalidInput);
  EXPECT_NE(message.find("Q8_0"), std::string::npos) << message;
  EXPECT_NE(message.find("33"), std::string::npos) << message;
}

TEST(QuantErrors, WrongByteCountIsRejected) {
  std::string message;
  std::vector<float> out(512);
  const std::vector<std::byte> short_by_one(2 * 144 - 1);
  EXPECT_EQ(ErrorKindOf([&] { Dequantize(TensorType::kQ4_K, short_by_one, out); }, &message),
            EngineError::Kind::kInvalidInput);
  EXPECT_NE(message.find("Q4_K: 512 elements need 288 bytes, got 287"), std::string::npos)
      << message;

  std::vector<float> two(2);
  const std::vector<std::byte> five(5);
  EXPECT_EQ(ErrorKindOf([&] { Dequantize(TensorType::kF16, five, two); }, &message),
            EngineError::Kind::kInvalidInput);
  EXPECT_NE(message.find("F16: 2 elements need 4 bytes, got 5"), std::string::npos) << message;
}

TEST(QuantErrors, UnsupportedTypesAreNamed) {
  std::string message;
  const std::vector<float> values(256, 1.f);
  EXPECT_EQ(ErrorKindOf([&] { (void)Quantize(TensorType::kQ2_K, values); }, &message),
            EngineError::Kind::kUnsupported);
  EXPECT_NE(message.find("Q2_K"), std::string::npos) << message;
  std::vector<float> out(32);
  const std::vector<std::byte> bytes(18);
  EXPECT_EQ(ErrorKindOf([&] { Dequantize(TensorType::kIQ4_NL, bytes, out); }, &message),
            EngineError::Kind::kUnsupported);
  EXPECT_NE(message.find("IQ4_NL"), std::string::npos) << message;
}

// ---------------------------------------------------------------------------------------------
// Byte layouts, from hand-built blocks (independent of the encoders)

TEST(QuantLayout, Q8_0) {
  std::vector<std::byte> block = Bytes({0x00, 0x38});  // d = 0.5
  for (int j = 0; j < 32; ++j) block.push_back(static_cast<std::byte>(static_cast<int8_t>(j - 16)));
  std::vector<float> out(32);
  Dequantize(TensorType::kQ8_0, block, out);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(out[j], 0.5f * (j - 16)) << j;
}

TEST(QuantLayout, Q4_0LowNibblesFirstThenHigh) {
  std::vector<std::byte> block = Bytes({0x00, 0x40});  // d = 2
  for (int j = 0; j < 16; ++j) block.push_back(static_cast<std::byte>(j | ((15 - j) << 4)));
  std::vector<float> out(32);
  Dequantize(TensorType::kQ4_0, block, out);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(out[j], 2.f * (j - 8)) << j;
    EXPECT_EQ(out[j + 16], 2.f * (7 - j)) << j;
  }
}

TEST(QuantLayout, Q5_0HighBitsAreLittleEndian) {
  // d = 1; qh sets the fifth bit for values 0, 9 and 31 only.
  std::vector<std::byte> block = Bytes({0x00, 0x3C, 0x01, 0x02, 0x00, 0x80});
  for (int j = 0; j < 16; ++j) block.push_back(static_cast<std::byte>(0x33));
  std::vector<float> out(32);
  Dequantize(TensorType::kQ5_0, block, out);
  for (int j = 0; j < 32; ++j) {
    const bool high = j == 0 || j == 9 || j == 31;
    EXPECT_EQ(out[j], (high ? 19.f : 3.f) - 16.f) << j;
  }
}

TEST(QuantLayout, Q4_KScalesAndMins) {
  // d = 1, dmin = 0.5; sub-block j has scale j + 1 and min 2 * j, split across the 12 bytes the
  // way ggml packs them (six bits each, top two bits of sub-blocks 4-7 in bytes 0-7).
  std::vector<std::byte> block = Bytes({0x00, 0x3C, 0x00, 0x38});
  std::array<uint8_t, 12> scales{};
  for (int j = 0; j < 8; ++j) {
    const int scale = j + 1 + (j >= 4 ? 32 : 0);  // exercise the top bits too
    const int min = 2 * j + (j >= 4 ? 16 : 0);
    if (j < 4) {
      scales[j] = static_cast<uint8_t>(scale);
      scales[j + 4] = static_cast<uint8_t>(min);
    } else {
      scales[j + 4] = static_cast<uint8_t>((scale & 0xF) | ((min & 0xF) << 4));
      scales[j - 4] |= static_cast<uint8_t>((scale >> 4) << 6);
      scales[j] |= static_cast<uint8_t>((min >> 4) << 6);
    }
  }
  for (uint8_t byte : scales) block.push_back(static_cast<std::byte>(byte));
  for (int i = 0; i < 128; ++i)
    block.push_back(static_cast<std::byte>((i % 16) | (((i + 3) % 16) << 4)));
  std::vector<float> out(256);
  Dequantize(TensorType::kQ4_K, block, out);
  for (int i = 0; i < 256; ++i) {
    const int sub = i / 32;
    const int byte = (i / 64) * 32 + i % 32;
    const int level = (sub % 2 == 0) ? byte % 16 : (byte + 3) % 16;
    const float scale = static_cast<float>(sub + 1 + (sub >= 4 ? 32 : 0));
    const float min = 0.5f * static_cast<float>(2 * sub + (sub >= 4 ? 16 : 0));
    EXPECT_EQ(out[i], scale * level - min) << i;
  }
}

TEST(QuantLayout, Q5_KHighBitPlanes) {
  // d = 0.5, dmin = 1; every sub-block has scale 2 and min 3 (so value = level - 3). Level i % 32
  // for value i: the low nibble in qs (sub-blocks paired as in Q4_K), the fifth bit in qh, bit
  // plane 2p for the first sub-block of pair p and 2p + 1 for the second.
  std::vector<std::byte> block = Bytes({0x00, 0x38, 0x00, 0x3C});
  for (int j = 0; j < 4; ++j) block.push_back(static_cast<std::byte>(2));
  for (int j = 0; j < 4; ++j) block.push_back(static_cast<std::byte>(3));
  for (int j = 0; j < 4; ++j) block.push_back(static_cast<std::byte>(2 | (3 << 4)));
  std::array<uint8_t, 32> high_bits{};
  std::array<uint8_t, 128> low_bits{};
  for (int i = 0; i < 256; ++i) {
    const int level = i % 32;
    const int pair = i / 64;
    const bool second = (i / 32) % 2 == 1;
    const int l = i % 32;
    if (level > 15) high_bits[l] |= static_cast<uint8_t>(1 << (2 * pair + (second ? 1 : 0)));
    low_bits[32 * pair + l] |= static_cast<uint8_t>((level & 0xF) << (second ? 4 : 0));
  }
  for (uint8_t byte : high_bits) block.push_back(static_cast<std::byte>(byte));
  for (uint8_t byte : low_bits) block.push_back(static_cast<std::byte>(byte));
  std::vector<float> out(256);
  Dequantize(TensorType::kQ5_K, block, out);
  for (int i = 0; i < 256; ++i) EXPECT_EQ(out[i], static_cast<float>(i % 32) - 3.f) << i;
}

TEST(QuantLayout, Q6_KInterleavesLowAndHighBits) {
  // All values at level 32 + k for k = value index % 32 - 16, scale j + 1 for sub-block j, d = 1.
  std::array<int, 256> levels{};
  for (int i = 0; i < 256; ++i) levels[i] = 32 + (i % 32) - 16;
  std::array<uint8_t, 210> block{};
  for (int half = 0; half < 2; ++half) {
    for (int l = 0; l < 32; ++l) {
      const int* q = levels.data() + 128 * half + l;
      block[64 * half + l] = static_cast<uint8_t>((q[0] & 0xF) | ((q[64] & 0xF) << 4));
      block[64 * half + l + 32] = static_cast<uint8_t>((q[32] & 0xF) | ((q[96] & 0xF) << 4));
      block[128 + 32 * half + l] = static_cast<uint8_t>((q[0] >> 4) | ((q[32] >> 4) << 2) |
                                                        ((q[64] >> 4) << 4) | ((q[96] >> 4) << 6));
    }
  }
  for (int j = 0; j < 16; ++j) block[192 + j] = static_cast<uint8_t>(j % 2 ? -(j + 1) : j + 1);
  block[208] = 0x00;
  block[209] = 0x3C;
  std::vector<float> out(256);
  Dequantize(TensorType::kQ6_K, std::as_bytes(std::span(block)), out);
  for (int i = 0; i < 256; ++i) {
    const int j = i / 16;
    const float scale = static_cast<float>(j % 2 ? -(j + 1) : j + 1);
    EXPECT_EQ(out[i], scale * static_cast<float>(levels[i] - 32)) << i;
  }
}

// ---------------------------------------------------------------------------------------------
// Against llama-quantize (shared/models/synthetic, made from the F16 master without imatrix)

std::filesystem::path SyntheticModel(const std::string& name) {
  return SharedDir() / "models" / "synthetic" / name;
}

std::vector<float> DequantizeTensor(const GgufFile& file, const GgufTensorInfo& info) {
  std::vector<float> values(info.element_count);
  Dequantize(info.type, file.TensorData(info), values);
  return values;
}

struct ExactnessReport {
  std::map<TensorType, int> tensors_checked;
  int differing_tensors = 0;
};

// For every tensor of `quantized_name`: encode the master's values with our Quantize and
// compare with llama-quantize's bytes, block by block.
ExactnessReport CompareWithLlamaQuantize(const std::string& quantized_name) {
  const GgufFile master = GgufFile::Open(SyntheticModel("tiny-llama-spm-F16.gguf"));
  const GgufFile quantized = GgufFile::Open(SyntheticModel(quantized_name));
  ExactnessReport report;
  for (const GgufTensorInfo& info : quantized.tensors()) {
    const GgufTensorInfo* master_info = master.FindTensor(info.name);
    EXPECT_NE(master_info, nullptr) << info.name;
    if (master_info == nullptr) continue;
    EXPECT_EQ(master_info->shape, info.shape) << info.name;
    EXPECT_TRUE(IsSupported(info.type)) << info.name << " " << NameOf(info.type);
    const std::vector<float> source = DequantizeTensor(master, *master_info);
    const std::vector<std::byte> ours = Quantize(info.type, source);
    const std::span<const std::byte> theirs = quantized.TensorData(info);
    EXPECT_EQ(ours.size(), theirs.size()) << info.name;
    if (ours.size() != theirs.size()) continue;
    const size_t block_bytes = TraitsOf(info.type).block_bytes;
    size_t differing_blocks = 0;
    size_t differing_bytes = 0;
    for (size_t block = 0; block < ours.size() / block_bytes; ++block) {
      size_t differing_here = 0;
      for (size_t b = block * block_bytes; b < (block + 1) * block_bytes; ++b) {
        differing_here += ours[b] != theirs[b];
      }
      differing_bytes += differing_here;
      differing_blocks += differing_here != 0;
    }
    EXPECT_EQ(differing_blocks, 0u)
        << quantized_name << " " << info.name << " (" << NameOf(info.type)
        << "): " << differing_blocks << " of " << ours.size() / block_bytes << " blocks differ, "
        << differing_bytes << " bytes";
    report.differing_tensors += differing_blocks != 0;
    ++report.tensors_checked[info.type];
  }
  return report;
}

TEST(QuantMatchesLlamaQuantize, Q8_0) {
  const ExactnessReport report = CompareWithLlamaQuantize("tiny-llama-spm-Q8_0.gguf");
  EXPECT_EQ(report.tensors_checked.at(TensorType::kQ8_0), 30);
  EXPECT_EQ(report.tensors_checked.at(TensorType::kF32), 9);
  EXPECT_EQ(report.differing_tensors, 0);
}

TEST(QuantMatchesLlamaQuantize, Q4_0WithQ6_KOutput) {
  const ExactnessReport report = CompareWithLlamaQuantize("tiny-llama-spm-Q4_0.gguf");
  EXPECT_EQ(report.tensors_checked.at(TensorType::kQ4_0), 29);
  EXPECT_EQ(report.tensors_checked.at(TensorType::kQ6_K), 1);
  EXPECT_EQ(report.differing_tensors, 0);
}

TEST(QuantMatchesLlamaQuantize, Q4_K_M) {
  const ExactnessReport report = CompareWithLlamaQuantize("tiny-llama-spm-Q4_K_M.gguf");
  EXPECT_EQ(report.tensors_checked.at(TensorType::kQ4_K), 25);
  EXPECT_EQ(report.tensors_checked.at(TensorType::kQ6_K), 5);
  EXPECT_EQ(report.differing_tensors, 0);
}

// Every quantized tensor of the tiny-llama-spm files decodes close to the F16 master it was made
// from (weights there are normal draws, so the normal-data bounds apply); F32 tensors are copies.
TEST(QuantSharedModels, QuantizedTensorsDecodeCloseToTheF16Master) {
  const GgufFile master = GgufFile::Open(SyntheticModel("tiny-llama-spm-F16.gguf"));
  for (const char* name :
       {"tiny-llama-spm-Q8_0.gguf", "tiny-llama-spm-Q4_0.gguf", "tiny-llama-spm-Q4_K_M.gguf"}) {
    const GgufFile quantized = GgufFile::Open(SyntheticModel(name));
    for (const GgufTensorInfo& info : quantized.tensors()) {
      const GgufTensorInfo* master_info = master.FindTensor(info.name);
      ASSERT_NE(master_info, nullptr) << name << " " << info.name;
      const std::vector<float> expected = DequantizeTensor(master, *master_info);
      const std::vector<float> actual = DequantizeTensor(quantized, info);
      if (info.type == TensorType::kF32) {
        EXPECT_EQ(actual, expected) << name << " " << info.name;
        continue;
      }
      const double error = RelativeRmsError(expected, actual);
      EXPECT_LT(error, ErrorBound(info.type, Shape::kNormal)) << name << " " << info.name;
      EXPECT_GT(error, 0.0) << name << " " << info.name;  // it really is the quantized copy
    }
  }
}

// Every tensor of every shared model decodes to finite values, and for the formats that promise
// it, encoding the decoded values gives back llama.cpp's bytes (this covers tiny-qwen2-bpe's Q5_0
// tensors and the models with no master in shared/).
TEST(QuantSharedModels, EveryTensorDecodesAndSimpleFormatsReencodeExactly) {
  const std::vector<std::filesystem::path> models = {
      SharedDir() / "models" / "stories260K.gguf",  SyntheticModel("tiny-llama-spm-F16.gguf"),
      SyntheticModel("tiny-llama-spm-Q8_0.gguf"),   SyntheticModel("tiny-llama-spm-Q4_0.gguf"),
      SyntheticModel("tiny-llama-spm-Q4_K_M.gguf"), SyntheticModel("tiny-qwen2-bpe-Q4_K_M.gguf"),
      SyntheticModel("tiny-llama3-bpe-Q8_0.gguf")};
  std::map<std::string, std::map<TensorType, int>> types_seen;
  for (const std::filesystem::path& path : models) {
    const GgufFile file = GgufFile::Open(path);
    auto& seen = types_seen[path.filename().string()];
    for (const GgufTensorInfo& info : file.tensors()) {
      ++seen[info.type];
      const std::vector<float> values = DequantizeTensor(file, info);
      const size_t non_finite = static_cast<size_t>(
          std::count_if(values.begin(), values.end(), [](float v) { return !std::isfinite(v); }));
      EXPECT_EQ(non_finite, 0u) << path.filename() << " " << info.name;
      switch (info.type) {
        case TensorType::kF32:
        case TensorType::kF16:
        case TensorType::kQ8_0:
        case TensorType::kQ4_0:
        case TensorType::kQ5_0: {
          const std::span<const std::byte> original = file.TensorData(info);
          const std::vector<std::byte> reencoded = Quantize(info.type, values);
          EXPECT_TRUE(
              std::equal(reencoded.begin(), reencoded.end(), original.begin(), original.end()))
              << path.filename() << " " << info.name << " " << NameOf(info.type);
          break;
        }
        default: break;
      }
    }
  }
  // The files hold what models/README.md says, so each format above really was exercised.
  EXPECT_EQ(types_seen["stories260K.gguf"].size(), 1u);
  EXPECT_GT(types_seen["stories260K.gguf"][TensorType::kF32], 0);
  EXPECT_EQ(types_seen["tiny-qwen2-bpe-Q4_K_M.gguf"][TensorType::kQ5_0], 12);
  EXPECT_EQ(types_seen["tiny-qwen2-bpe-Q4_K_M.gguf"][TensorType::kQ8_0], 3);
  EXPECT_EQ(types_seen["tiny-llama3-bpe-Q8_0.gguf"][TensorType::kQ8_0], 15);
  EXPECT_EQ(types_seen["tiny-llama-spm-F16.gguf"][TensorType::kF16], 30);
}

}  // namespace
}  // namespace troupe::engine
