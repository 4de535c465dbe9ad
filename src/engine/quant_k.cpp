// The K-quant super-block formats (Q4_K, Q5_K, Q6_K): 256 values per block, split into
// sub-blocks that each get a scale (and, for Q4_K/Q5_K, a min) which are themselves quantized
// against one half-precision super-scale.
//
// The encoders reproduce ggml's reference quantizers (what llama-quantize runs without an
// importance matrix) operation for operation: the same searches over candidate scales, the same
// float evaluation order and the same round-half-to-even, because a file is only byte-identical
// to llama.cpp's if every tie breaks the same way. That is why the arithmetic below is written
// out in an order that can look arbitrary: do not "simplify" it.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "engine/quant.h"
#include "engine/quant_blocks.h"

namespace troupe::engine::quant_blocks {
namespace {

constexpr int kSubBlockElements = 32;  // Q4_K and Q5_K sub-blocks
constexpr int kQ6SubBlockElements = 16;
constexpr int kSubBlocks = kSuperBlockElements / kSubBlockElements;
constexpr int kQ6SubBlocks = kSuperBlockElements / kQ6SubBlockElements;
// Below this a group counts as all zeros (ggml's GROUP_MAX_EPS).
constexpr float kGroupMaxEpsilon = 1e-15f;

// x ≈ scale * level - min, with min >= 0.
struct ScaleAndMin {
  float scale = 0;
  float min = 0;
};

// Chooses an asymmetric scale and offset for one sub-block, minimising the weighted squared
// error: start from the plain min/max range, then try `steps + 1` stretched ranges
// (max_level + first_stretch + stretch_step * k levels over the same span) and keep the best
// least-squares fit. Writes the chosen levels (0..max_level) to `levels`.
ScaleAndMin FitScaleAndMin(const float* x, const float* weights, int max_level, float first_stretch,
                           float stretch_step, int steps, uint8_t* levels) {
  constexpr int n = kSubBlockElements;
  float min = x[0];
  float max = x[0];
  float sum_w = weights[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    const float w = weights[i];
    sum_w += w;
    sum_x += w * x[i];
  }
  // The offset only ever shifts values up, so a range entirely above zero keeps min at zero.
  if (min > 0) min = 0;
  if (max == min) {
    std::fill(levels, levels + n, uint8_t{0});
    return {0.f, -min};
  }

  float inverse_scale = max_level / (max - min);
  float scale = 1 / inverse_scale;
  float best_error = 0;
  for (int i = 0; i < n; ++i) {
    const int level = NearestInt(inverse_scale * (x[i] - min));
    levels[i] = static_cast<uint8_t>(std::max(0, std::min(max_level, level)));
    float diff = scale * levels[i] + min - x[i];
    diff = diff * diff;
    best_error += weights[i] * diff;
  }

  std::array<uint8_t, n> candidate{};
  for (int step = 0; step <= steps; ++step) {
    inverse_scale = (first_stretch + stretch_step * step + max_level) / (max - min);
    float sum_l = 0;
    float sum_l2 = 0;
    float sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      int level = NearestInt(inverse_scale * (x[i] - min));
      level = std::max(0, std::min(max_level, level));
      candidate[i] = static_cast<uint8_t>(level);
      const float w = weights[i];
      const float l = static_cast<float>(level);
      sum_l += w * l;
      sum_l2 += w * l * l;
      sum_xl += w * l * x[i];
    }
    const float determinant = sum_w * sum_l2 - sum_l * sum_l;
    if (!(determinant > 0)) continue;
    float this_scale = (sum_w * sum_xl - sum_x * sum_l) / determinant;
    float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / determinant;
    if (this_min > 0) {
      this_min = 0;
      this_scale = sum_xl / sum_l2;
    }
    float error = 0;
    for (int i = 0; i < n; ++i) {
      float diff = this_scale * candidate[i] + this_min - x[i];
      diff = diff * diff;
      error += weights[i] * diff;
    }
    if (error < best_error) {
      std::copy(candidate.begin(), candidate.end(), levels);
      best_error = error;
      scale = this_scale;
      min = this_min;
    }
  }
  return {scale, -min};
}

// Chooses a symmetric scale for one 16-value Q6_K sub-block, weighting each value by its square
// (large values matter most): start from max -> -max_level, try 18 nearby scales, keep the best
// least-squares fit. Writes levels offset by max_level (0..2*max_level-1) to `levels`. The
// returned scale is negative when the largest-magnitude value is positive (ggml's convention).
float FitSymmetricScale(const float* x, int max_level, int8_t* levels) {
  constexpr int n = kQ6SubBlockElements;
  float max = 0;
  float abs_max = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > abs_max) {
      abs_max = ax;
      max = x[i];
    }
  }
  if (abs_max < kGroupMaxEpsilon) {
    std::fill(levels, levels + n, int8_t{0});
    return 0.f;
  }
  const auto clamp_level = [max_level](int level) {
    return std::max(-max_level, std::min(max_level - 1, level));
  };

  float inverse_scale = -max_level / max;
  float sum_lx = 0;
  float sum_l2 = 0;
  for (int i = 0; i < n; ++i) {
    const int level = clamp_level(NearestInt(inverse_scale * x[i]));
    levels[i] = static_cast<int8_t>(level + max_level);
    const float w = x[i] * x[i];
    const float l = static_cast<float>(level);
    sum_lx += w * x[i] * l;
    sum_l2 += w * l * l;
  }
  float scale = sum_l2 != 0 ? sum_lx / sum_l2 : 0.0f;
  float best = scale * sum_lx;
  for (int step = -9; step <= 9; ++step) {
    if (step == 0) continue;
    inverse_scale = -(max_level + 0.1f * step) / max;
    sum_lx = 0;
    sum_l2 = 0;
    for (int i = 0; i < n; ++i) {
      const float l = static_cast<float>(clamp_level(NearestInt(inverse_scale * x[i])));
      const float w = x[i] * x[i];
      sum_lx += w * x[i] * l;
      sum_l2 += w * l * l;
    }
    if (sum_l2 > 0 && sum_lx * sum_lx > best * sum_l2) {
      for (int i = 0; i < n; ++i) {
        levels[i] = static_cast<int8_t>(max_level + clamp_level(NearestInt(inverse_scale * x[i])));
      }
      scale = sum_lx / sum_l2;
      best = scale * sum_lx;
    }
  }
  return scale;
}

// Q4_K and Q5_K keep eight 6-bit scales and eight 6-bit mins in 12 bytes: sub-blocks 0-3 use the
// low 6 bits of bytes 0-3 (scale) and 4-7 (min); sub-blocks 4-7 put their low 4 bits in bytes
// 8-11 and their top 2 bits in the spare top bits of bytes 0-7.
void PackScalesAndMins(const std::array<uint8_t, kSubBlocks>& scales,
                       const std::array<uint8_t, kSubBlocks>& mins, uint8_t* packed) {
  for (int j = 0; j < kSubBlocks; ++j) {
    const uint8_t scale = scales[j];
    const uint8_t min = mins[j];
    if (j < 4) {
      packed[j] = scale;
      packed[j + 4] = min;
    } else {
      packed[j + 4] = static_cast<uint8_t>((scale & 0xF) | ((min & 0xF) << 4));
      packed[j - 4] |= static_cast<uint8_t>((scale >> 4) << 6);
      packed[j] |= static_cast<uint8_t>((min >> 4) << 6);
    }
  }
}

struct SubBlockScale {
  uint8_t scale;
  uint8_t min;
};

SubBlockScale UnpackScaleAndMin(int j, const uint8_t* packed) {
  if (j < 4)
    return {static_cast<uint8_t>(packed[j] & 63), static_cast<uint8_t>(packed[j + 4] & 63)};
  return {static_cast<uint8_t>((packed[j + 4] & 0xF) | ((packed[j - 4] >> 6) << 4)),
          static_cast<uint8_t>((packed[j + 4] >> 4) | ((packed[j] >> 6) << 4))};
}

// The part Q4_K and Q5_K share: fit each sub-block, quantize the fitted scales and mins to 6 bits
// against two half-precision super-scales, then requantize every value against the scale and
// min it will actually be decoded with. Fills `header` (d, dmin, 12 scale bytes) and `levels`.
void QuantizeScaleMinSuperBlock(const float* x, int max_level, float first_stretch, int steps,
                                uint8_t* header, std::array<uint8_t, kSuperBlockElements>& levels) {
  std::array<float, kSubBlocks> scales{};
  std::array<float, kSubBlocks> mins{};
  std::array<float, kSubBlockElements> weights{};
  float max_scale = 0;  // scales are positive once the min is taken out
  float max_min = 0;
  for (int j = 0; j < kSubBlocks; ++j) {
    const float* sub = x + kSubBlockElements * j;
    float sum_x2 = 0;
    for (int l = 0; l < kSubBlockElements; ++l) sum_x2 += sub[l] * sub[l];
    const float average = std::sqrt(sum_x2 / kSubBlockElements);
    for (int l = 0; l < kSubBlockElements; ++l) weights[l] = average + std::fabs(sub[l]);
    const ScaleAndMin fit = FitScaleAndMin(sub, weights.data(), max_level, first_stretch, 0.1f,
                                           steps, levels.data() + kSubBlockElements * j);
    scales[j] = fit.scale;
    mins[j] = fit.min;
    if (fit.scale > max_scale) max_scale = fit.scale;
    if (fit.min > max_min) max_min = fit.min;
  }

  const float inverse_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inverse_min = max_min > 0 ? 63.f / max_min : 0.f;
  std::array<uint8_t, kSubBlocks> scale_levels{};
  std::array<uint8_t, kSubBlocks> min_levels{};
  for (int j = 0; j < kSubBlocks; ++j) {
    // ggml stores the rounded int straight into a uint8_t before clamping: keep the wrap.
    scale_levels[j] =
        std::min<uint8_t>(63, static_cast<uint8_t>(NearestInt(inverse_scale * scales[j])));
    min_levels[j] = std::min<uint8_t>(63, static_cast<uint8_t>(NearestInt(inverse_min * mins[j])));
  }
  StoreU16(header, FloatToHalf(max_scale / 63.f));
  StoreU16(header + 2, FloatToHalf(max_min / 63.f));
  uint8_t* packed = header + 4;
  PackScalesAndMins(scale_levels, min_levels, packed);

  const float super_scale = HalfToFloat(LoadU16(header));
  const float super_min = HalfToFloat(LoadU16(header + 2));
  for (int j = 0; j < kSubBlocks; ++j) {
    const SubBlockScale stored = UnpackScaleAndMin(j, packed);
    const float d = super_scale * stored.scale;
    // A zero scale decodes every value to -min whatever its level: keep the fit's levels.
    if (d == 0) continue;
    const float dm = super_min * stored.min;
    for (int i = 0; i < kSubBlockElements; ++i) {
      const int level = NearestInt((x[kSubBlockElements * j + i] + dm) / d);
      levels[kSubBlockElements * j + i] =
          static_cast<uint8_t>(std::max(0, std::min(max_level, level)));
    }
  }
}

}  // namespace

void QuantizeQ4KBlock(const float* values, uint8_t* block) {
  std::array<uint8_t, kSuperBlockElements> levels{};
  QuantizeScaleMinSuperBlock(values, 15, -1.f, 20, block, levels);
  // Each 32-byte group holds two sub-blocks: the first in the low nibbles, the second high.
  uint8_t* packed = block + 16;
  for (size_t j = 0; j < kSuperBlockElements; j += 64) {
    for (size_t l = 0; l < 32; ++l) {
      packed[l] = static_cast<uint8_t>(levels[j + l] | (levels[j + l + 32] << 4));
    }
    packed += 32;
  }
}

void QuantizeQ5KBlock(const float* values, uint8_t* block) {
  std::array<uint8_t, kSuperBlockElements> levels{};
  QuantizeScaleMinSuperBlock(values, 31, -0.5f, 15, block, levels);
  // Low nibbles as in Q4_K; the fifth bits go to qh, two bit planes per pair of sub-blocks.
  uint8_t* high_bits = block + 16;
  uint8_t* low_bits = block + 48;
  std::memset(high_bits, 0, 32);
  uint8_t first_mask = 1;
  uint8_t second_mask = 2;
  for (size_t n = 0; n < kSuperBlockElements; n += 64) {
    for (size_t j = 0; j < 32; ++j) {
      int first = levels[n + j];
      if (first > 15) {
        first -= 16;
        high_bits[j] |= first_mask;
      }
      int second = levels[n + j + 32];
      if (second > 15) {
        second -= 16;
        high_bits[j] |= second_mask;
      }
      low_bits[j] = static_cast<uint8_t>(first | (second << 4));
    }
    first_mask = static_cast<uint8_t>(first_mask << 2);
    second_mask = static_cast<uint8_t>(second_mask << 2);
    low_bits += 32;
  }
}

void QuantizeQ6KBlock(const float* values, uint8_t* block) {
  std::array<int8_t, kSuperBlockElements> levels{};
  std::array<float, kQ6SubBlocks> scales{};
  float max_scale = 0;
  float max_abs_scale = 0;
  for (int j = 0; j < kQ6SubBlocks; ++j) {
    const float scale = FitSymmetricScale(values + kQ6SubBlockElements * j, 32,
                                          levels.data() + kQ6SubBlockElements * j);
    scales[j] = scale;
    const float abs_scale = std::fabs(scale);
    if (abs_scale > max_abs_scale) {
      max_abs_scale = abs_scale;
      max_scale = scale;
    }
  }
  if (max_abs_scale < kGroupMaxEpsilon) {
    std::memset(block, 0, kQ6KBlockBytes);
    return;
  }

  uint8_t* low_bits = block;
  uint8_t* high_bits = block + 128;
  int8_t stored_scales[kQ6SubBlocks];
  const float inverse_scale = -128.f / max_scale;
  StoreU16(block + 208, FloatToHalf(1 / inverse_scale));
  for (int j = 0; j < kQ6SubBlocks; ++j) {
    stored_scales[j] = static_cast<int8_t>(std::min(127, NearestInt(inverse_scale * scales[j])));
  }
  std::memcpy(block + 192, stored_scales, sizeof(stored_scales));

  const float super_scale = HalfToFloat(LoadU16(block + 208));
  for (int j = 0; j < kQ6SubBlocks; ++j) {
    const float d = super_scale * stored_scales[j];
    if (d == 0) continue;
    for (int i = 0; i < kQ6SubBlockElements; ++i) {
      const int level = NearestInt(values[kQ6SubBlockElements * j + i] / d);
      levels[kQ6SubBlockElements * j + i] =
          static_cast<int8_t>(std::max(-32, std::min(31, level)) + 32);
    }
  }

  // Per 128 values: low nibbles of values 0-31 and 64-95 share ql[0..31], those of 32-63 and
  // 96-127 share ql[32..63]; the two high bits of all four go to one qh byte.
  for (size_t j = 0; j < kSuperBlockElements; j += 128) {
    for (size_t l = 0; l < 32; ++l) {
      const int q1 = levels[j + l];
      const int q2 = levels[j + l + 32];
      const int q3 = levels[j + l + 64];
      const int q4 = levels[j + l + 96];
      low_bits[l] = static_cast<uint8_t>((q1 & 0xF) | ((q3 & 0xF) << 4));
      low_bits[l + 32] = static_cast<uint8_t>((q2 & 0xF) | ((q4 & 0xF) << 4));
      high_bits[l] =
          static_cast<uint8_t>((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
    }
    low_bits += 64;
    high_bits += 32;
  }
}

void DequantizeQ4KBlock(const uint8_t* block, float* values) {
  const float super_scale = HalfToFloat(LoadU16(block));
  const float super_min = HalfToFloat(LoadU16(block + 2));
  const uint8_t* packed_scales = block + 4;
  const uint8_t* levels = block + 16;
  for (int pair = 0; pair < kSubBlocks / 2; ++pair) {
    const SubBlockScale first = UnpackScaleAndMin(2 * pair, packed_scales);
    const SubBlockScale second = UnpackScaleAndMin(2 * pair + 1, packed_scales);
    const float d1 = super_scale * first.scale;
    const float m1 = super_min * first.min;
    const float d2 = super_scale * second.scale;
    const float m2 = super_min * second.min;
    for (int l = 0; l < 32; ++l) *values++ = d1 * (levels[l] & 0xF) - m1;
    for (int l = 0; l < 32; ++l) *values++ = d2 * (levels[l] >> 4) - m2;
    levels += 32;
  }
}

void DequantizeQ5KBlock(const uint8_t* block, float* values) {
  const float super_scale = HalfToFloat(LoadU16(block));
  const float super_min = HalfToFloat(LoadU16(block + 2));
  const uint8_t* packed_scales = block + 4;
  const uint8_t* high_bits = block + 16;
  const uint8_t* low_bits = block + 48;
  for (int pair = 0; pair < kSubBlocks / 2; ++pair) {
    const SubBlockScale first = UnpackScaleAndMin(2 * pair, packed_scales);
    const SubBlockScale second = UnpackScaleAndMin(2 * pair + 1, packed_scales);
    const float d1 = super_scale * first.scale;
    const float m1 = super_min * first.min;
    const float d2 = super_scale * second.scale;
    const float m2 = super_min * second.min;
    const int first_mask = 1 << (2 * pair);
    const int second_mask = 2 << (2 * pair);
    for (int l = 0; l < 32; ++l) {
      *values++ = d1 * ((low_bits[l] & 0xF) + ((high_bits[l] & first_mask) ? 16 : 0)) - m1;
    }
    for (int l = 0; l < 32; ++l) {
      *values++ = d2 * ((low_bits[l] >> 4) + ((high_bits[l] & second_mask) ? 16 : 0)) - m2;
    }
    low_bits += 32;
  }
}

void DequantizeQ6KBlock(const uint8_t* block, float* values) {
  const float super_scale = HalfToFloat(LoadU16(block + 208));
  const uint8_t* low_bits = block;
  const uint8_t* high_bits = block + 128;
  int8_t scales[kQ6SubBlocks];
  std::memcpy(scales, block + 192, sizeof(scales));
  for (int half = 0; half < 2; ++half) {
    const int8_t* scale = scales + 8 * half;
    for (int l = 0; l < 32; ++l) {
      const int s = l / 16;
      const int q1 = ((low_bits[l] & 0xF) | (((high_bits[l] >> 0) & 3) << 4)) - 32;
      const int q2 = ((low_bits[l + 32] & 0xF) | (((high_bits[l] >> 2) & 3) << 4)) - 32;
      const int q3 = ((low_bits[l] >> 4) | (((high_bits[l] >> 4) & 3) << 4)) - 32;
      const int q4 = ((low_bits[l + 32] >> 4) | (((high_bits[l] >> 6) & 3) << 4)) - 32;
      values[l] = super_scale * scale[s] * q1;
      values[l + 32] = super_scale * scale[s + 2] * q2;
      values[l + 64] = super_scale * scale[s + 4] * q3;
      values[l + 96] = super_scale * scale[s + 6] * q4;
    }
    values += 128;
    low_bits += 64;
    high_bits += 32;
  }
}

}  // namespace troupe::engine::quant_blocks
