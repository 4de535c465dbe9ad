// Half and bfloat16 conversions: every half decodes exactly and encodes back, floats round to the
// nearest half or bfloat16 with ties to even, and the special values survive.
#include "engine/quant.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>

namespace troupe::engine {
namespace {


// The exact value of a half, computed independently of HalfToFloat.
double HalfValue(uint16_t bits) {
  const int exponent = (bits >> 10) & 0x1F;
  const int mantissa = bits & 0x3FF;
  const double sign = (bits & 0x8000) ? -1 : 1;
  if (exponent == 0) return sign * std::ldexp(mantissa, -24);
  if (exponent == 31) return mantissa ? std::nan("") : sign * HUGE_VAL;
  return sign * std::ldexp(1024 + mantissa, exponent - 25);
}

TEST(HalfConversion, EveryHalfDecodesExactlyAndEncodesBack) {
  for (uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
    const auto half = static_cast<uint16_t>(bits);
    const float value = HalfToFloat(half);
    const double expected = HalfValue(half);
    if (std::isnan(expected)) {
      ASSERT_TRUE(std::isnan(value)) << std::hex << bits;
      const uint16_t again = FloatToHalf(value);
      ASSERT_EQ(again & 0x7C00, 0x7C00) << std::hex << bits;
      ASSERT_NE(again & 0x03FF, 0) << std::hex << bits;  // still NaN, not infinity
      continue;
    }
    ASSERT_EQ(static_cast<double>(value), expected) << std::hex << bits;
    ASSERT_EQ(std::signbit(value), (bits & 0x8000) != 0) << std::hex << bits;
    ASSERT_EQ(FloatToHalf(value), half) << std::hex << bits;
  }
}

TEST(HalfConversion, RoundsToNearestEven) {
  EXPECT_EQ(FloatToHalf(1.0f), 0x3C00);
  EXPECT_EQ(FloatToHalf(1.0f + 0x1p-11f), 0x3C00);      // tie, even stays
  EXPECT_EQ(FloatToHalf(1.0f + 3 * 0x1p-11f), 0x3C02);  // tie, odd rounds up
  EXPECT_EQ(FloatToHalf(1.0f + 0x1p-11f + 0x1p-20f), 0x3C01);
  EXPECT_EQ(FloatToHalf(65504.f), 0x7BFF);  // largest half
  EXPECT_EQ(FloatToHalf(65519.f), 0x7BFF);
  EXPECT_EQ(FloatToHalf(65520.f), 0x7C00);  // tie to even is infinity
  EXPECT_EQ(FloatToHalf(1e10f), 0x7C00);
  EXPECT_EQ(FloatToHalf(-1e10f), 0xFC00);
  EXPECT_EQ(FloatToHalf(std::numeric_limits<float>::infinity()), 0x7C00);
  EXPECT_EQ(FloatToHalf(-std::numeric_limits<float>::infinity()), 0xFC00);
  EXPECT_EQ(FloatToHalf(0x1p-14f), 0x0400);             // smallest normal
  EXPECT_EQ(FloatToHalf(0x1p-14f - 0x1p-25f), 0x0400);  // tie between 0x3FF and 0x400
  EXPECT_EQ(FloatToHalf(0x1p-24f), 0x0001);             // smallest subnormal
  EXPECT_EQ(FloatToHalf(0x1p-25f), 0x0000);             // tie to even is zero
  EXPECT_EQ(FloatToHalf(0x1p-25f * 1.0001f), 0x0001);
  EXPECT_EQ(FloatToHalf(3 * 0x1p-25f), 0x0002);  // 1.5 units: tie to even
  EXPECT_EQ(FloatToHalf(5 * 0x1p-25f), 0x0002);  // 2.5 units: tie to even
  EXPECT_EQ(FloatToHalf(-5 * 0x1p-25f), 0x8002);
  EXPECT_EQ(FloatToHalf(1e-30f), 0x0000);
  EXPECT_EQ(FloatToHalf(-0.0f), 0x8000);
  EXPECT_TRUE(std::isnan(HalfToFloat(FloatToHalf(std::nanf("")))));
}

// For random floats across the whole range, the encoded half is the nearest one, ties to even.
TEST(HalfConversion, RandomFloatsRoundToTheNearestHalf) {
  std::mt19937 generator(7);
  std::uniform_int_distribution<uint32_t> any_bits;
  for (int i = 0; i < 200000; ++i) {
    // Bias exponents into the half range (and a little beyond) half of the time.
    uint32_t bits = any_bits(generator);
    if (i % 2) bits = (bits & 0x807FFFFF) | ((100u + bits % 50) << 23);
    const float value = std::bit_cast<float>(bits);
    if (std::isnan(value)) continue;
    const uint16_t half = FloatToHalf(value);
    const double chosen = HalfValue(half);
    const double exact = value;
    if (std::fabs(exact) >= 65520.0) {
      ASSERT_TRUE(std::isinf(chosen)) << value;
      continue;
    }
    // Neighbours one step either way in magnitude (same sign), where they are finite.
    for (int step : {-1, 1}) {
      const int magnitude = (half & 0x7FFF) + step;
      if (magnitude < 0 || magnitude > 0x7BFF) continue;
      const uint16_t neighbour = static_cast<uint16_t>((half & 0x8000) | magnitude);
      const double other = HalfValue(neighbour);
      const double chosen_distance = std::fabs(chosen - exact);
      const double other_distance = std::fabs(other - exact);
      ASSERT_LE(chosen_distance, other_distance) << value;
      if (chosen_distance == other_distance) {
        ASSERT_EQ(half & 1, 0) << value;
      }
    }
  }
}

TEST(Bf16Conversion, RoundsToNearestEvenAndKeepsSpecials) {
  EXPECT_EQ(FloatToBf16(1.0f), 0x3F80);
  EXPECT_EQ(FloatToBf16(1.0f + 0x1p-8f), 0x3F80);      // tie, even stays
  EXPECT_EQ(FloatToBf16(1.0f + 3 * 0x1p-8f), 0x3F82);  // tie, odd rounds up
  EXPECT_EQ(FloatToBf16(1.0f + 0x1p-8f + 0x1p-20f), 0x3F81);
  EXPECT_EQ(FloatToBf16(std::numeric_limits<float>::max()), 0x7F80);  // rounds up to infinity
  EXPECT_EQ(FloatToBf16(-std::numeric_limits<float>::infinity()), 0xFF80);
  EXPECT_EQ(FloatToBf16(std::numeric_limits<float>::denorm_min()), 0x0000);
  EXPECT_EQ(FloatToBf16(0x1p-133f), 0x0001);  // subnormals are kept, not flushed
  EXPECT_EQ(FloatToBf16(-0.0f), 0x8000);
  // A NaN whose payload sits only in the dropped bits must not turn into infinity.
  const uint16_t nan = FloatToBf16(std::bit_cast<float>(0x7F800001u));
  EXPECT_TRUE(std::isnan(Bf16ToFloat(nan)));
  for (uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
    const float value = Bf16ToFloat(static_cast<uint16_t>(bits));
    ASSERT_EQ(std::bit_cast<uint32_t>(value), bits << 16);
    if (!std::isnan(value)) {
      ASSERT_EQ(FloatToBf16(value), bits);
    }
  }
}

}  // namespace
}  // namespace troupe::engine
