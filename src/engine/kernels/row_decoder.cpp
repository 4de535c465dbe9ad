#include "engine/kernels/row_decoder.h"

#include <bit>
#include <cstdint>
#include <cstring>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/fp16.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace troupe::engine::kernels {

namespace {

constexpr size_t kSmallBlock = 32;   // Q8_0, Q4_0, Q5_0
constexpr size_t kSuperBlock = 256;  // K-quants

inline uint16_t Load16(const uint8_t* bytes) {
  return static_cast<uint16_t>(bytes[0] | (bytes[1] << 8));
}
inline float LoadHalf(const uint8_t* bytes) { return HalfBitsToFloat(Load16(bytes)); }

void DecodeF32(const uint8_t* row, size_t count, float* out) {
  std::memcpy(out, row, count * sizeof(float));
}

void DecodeF16(const uint8_t* row, size_t count, float* out) {
  // The mapping gives no 2-byte alignment guarantee for every row start, so copy into halves.
  constexpr size_t kChunk = 256;
  uint16_t halves[kChunk];
  for (size_t start = 0; start < count; start += kChunk) {
    const size_t n = count - start < kChunk ? count - start : kChunk;
    std::memcpy(halves, row + 2 * start, 2 * n);
    HalfRowToFloat(halves, out + start, n);
  }
}

void DecodeBf16(const uint8_t* row, size_t count, float* out) {
  for (size_t i = 0; i < count; ++i) {
    out[i] = std::bit_cast<float>(static_cast<uint32_t>(Load16(row + 2 * i)) << 16);
  }
}

// Q8_0 block: half scale, 32 signed bytes.
void DecodeQ8_0(const uint8_t* row, size_t count, float* out) {
  for (size_t block = 0; block < count / kSmallBlock; ++block, row += 34, out += kSmallBlock) {
    const float scale = LoadHalf(row);
    const auto* levels = reinterpret_cast<const int8_t*>(row + 2);
    for (size_t j = 0; j < kSmallBlock; ++j) out[j] = levels[j] * scale;
  }
}

// Q4_0 block: half scale, 16 bytes of nibbles (element j low, element j + 16 high), offset 8.
void DecodeQ4_0(const uint8_t* row, size_t count, float* out) {
  for (size_t block = 0; block < count / kSmallBlock; ++block, row += 18, out += kSmallBlock) {
    const float scale = LoadHalf(row);
    const uint8_t* nibbles = row + 2;
    for (size_t j = 0; j < kSmallBlock / 2; ++j) {
      out[j] = ((nibbles[j] & 0x0F) - 8) * scale;
      out[j + 16] = ((nibbles[j] >> 4) - 8) * scale;
    }
  }
}

// Q5_0 block: half scale, 32 fifth bits (little-endian word), 16 bytes of nibbles, offset 16.
void DecodeQ5_0(const uint8_t* row, size_t count, float* out) {
  for (size_t block = 0; block < count / kSmallBlock; ++block, row += 22, out += kSmallBlock) {
    const float scale = LoadHalf(row);
    const uint32_t fifth_bits = static_cast<uint32_t>(row[2]) |
                                (static_cast<uint32_t>(row[3]) << 8) |
                                (static_cast<uint32_t>(row[4]) << 16) |
                                (static_cast<uint32_t>(row[5]) << 24);
    const uint8_t* nibbles = row + 6;
    for (size_t j = 0; j < kSmallBlock / 2; ++j) {
      const int low = static_cast<int>((nibbles[j] & 0x0F) | (((fifth_bits >> j) & 1u) << 4));
      const int high = static_cast<int>((nibbles[j] >> 4) | (((fifth_bits >> (j + 16)) & 1u) << 4));
      out[j] = (low - 16) * scale;
      out[j + 16] = (high - 16) * scale;
    }
  }
}

// Q4_K and Q5_K pack eight 6-bit (scale, min) pairs into 12 bytes: pairs 0-3 in the low six
// bits of bytes 0-3 (scales) and 4-7 (mins); pairs 4-7 take their low four bits from the
// nibbles of bytes 8-11 and their top two bits from the spare top bits of bytes 0-7.
struct ScaleMin {
  uint8_t scale;
  uint8_t min;
};
inline ScaleMin UnpackScaleMin(const uint8_t* packed, int index) {
  if (index < 4) {
    return {static_cast<uint8_t>(packed[index] & 63), static_cast<uint8_t>(packed[index + 4] & 63)};
  }
  return {static_cast<uint8_t>((packed[index + 4] & 0x0F) | ((packed[index - 4] >> 6) << 4)),
          static_cast<uint8_t>((packed[index + 4] >> 4) | ((packed[index] >> 6) << 4))};
}

// Q4_K super-block (144 bytes): half d, half dmin, 12 packed scale/min bytes, 128 bytes of
// nibbles; each 64 elements take 32 bytes, low nibbles first.
void DecodeQ4K(const uint8_t* row, size_t count, float* out) {
  for (size_t block = 0; block < count / kSuperBlock; ++block, row += 144) {
    const float d = LoadHalf(row);
    const float dmin = LoadHalf(row + 2);
    const uint8_t* packed = row + 4;
    const uint8_t* nibbles = row + 16;
    for (int pair = 0; pair < 4; ++pair, nibbles += 32) {
      const ScaleMin first = UnpackScaleMin(packed, 2 * pair);
      const ScaleMin second = UnpackScaleMin(packed, 2 * pair + 1);
      const float d1 = d * first.scale;
      const float m1 = dmin * first.min;
      const float d2 = d * second.scale;
      const float m2 = dmin * second.min;
      for (int l = 0; l < 32; ++l) out[l] = d1 * (nibbles[l] & 0x0F) - m1;
      for (int l = 0; l < 32; ++l) out[32 + l] = d2 * (nibbles[l] >> 4) - m2;
      out += 64;
    }
  }
}

// Q5_K super-block (176 bytes): as Q4_K plus 32 bytes holding a fifth bit per element (bit
// 2*pair for the first 32 of each 64, bit 2*pair+1 for the second).
void DecodeQ5K(const uint8_t* row, size_t count, float* out) {
  for (size_t block = 0; block < count / kSuperBlock; ++block, row += 176) {
    const float d = LoadHalf(row);
    const float dmin = LoadHalf(row + 2);
    const uint8_t* packed = row + 4;
    const uint8_t* fifth = row + 16;
    const uint8_t* nibbles = row + 48;
    for (int pair = 0; pair < 4; ++pair, nibbles += 32) {
      const ScaleMin first = UnpackScaleMin(packed, 2 * pair);
      const ScaleMin second = UnpackScaleMin(packed, 2 * pair + 1);
      const float d1 = d * first.scale;
      const float m1 = dmin * first.min;
      const float d2 = d * second.scale;
      const float m2 = dmin * second.min;
      const int first_bit = 2 * pair;
      for (int l = 0; l < 32; ++l) {
        out[l] = d1 * ((nibbles[l] & 0x0F) | (((fifth[l] >> first_bit) & 1) << 4)) - m1;
      }
      for (int l = 0; l < 32; ++l) {
        out[32 + l] = d2 * ((nibbles[l] >> 4) | (((fifth[l] >> (first_bit + 1)) & 1) << 4)) - m2;
      }
      out += 64;
    }
  }
}

// Q6_K super-block (210 bytes): 128 bytes of low nibbles, 64 bytes of 2-bit high parts, 16
// signed 8-bit scales (one per 16 elements), half d. Each 128 elements use 64 low bytes and 32
// high bytes; element groups of 32 take (low nibble of byte l | bits 0-1), (low nibble of byte
// l+32 | bits 2-3), (high nibble of l | bits 4-5), (high nibble of l+32 | bits 6-7).
void DecodeQ6K(const uint8_t* row, size_t count, float* out) {
  for (size_t block = 0; block < count / kSuperBlock; ++block, row += 210) {
    const float d = LoadHalf(row + 208);
    const uint8_t* low = row;
    const uint8_t* high = row + 128;
    const auto* scales = reinterpret_cast<const int8_t*>(row + 192);
    for (int half = 0; half < 2; ++half, low += 64, high += 32, scales += 8, out += 128) {
      for (int l = 0; l < 32; ++l) {
        const int group = l / 16;
        const int q1 = ((low[l] & 0x0F) | (((high[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((low[l + 32] & 0x0F) | (((high[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((low[l] >> 4) | (((high[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((low[l + 32] >> 4) | (((high[l] >> 6) & 3) << 4)) - 32;
        out[l] = d * scales[group] * q1;
        out[l + 32] = d * scales[group + 2] * q2;
        out[l + 64] = d * scales[group + 4] * q3;
        out[l + 96] = d * scales[group + 6] * q4;
      }
    }
  }
}

#if defined(__x86_64__)
// AVX2 versions of the decoders generation spends its time in. Each computes exactly the scalar
// expression (multiply, then subtract; no fused multiply-add), so both paths give the same bits.
#define TROUPE_AVX2 __attribute__((target("avx2,fma,f16c")))

TROUPE_AVX2 inline __m256 BytesToFloats(__m128i eight_bytes_signed) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(eight_bytes_signed));
}

TROUPE_AVX2 void DecodeQ8_0Avx2(const uint8_t* row, size_t count, float* out) {
  for (size_t block = 0; block < count / kSmallBlock; ++block, row += 34, out += kSmallBlock) {
    const __m256 scale = _mm256_set1_ps(LoadHalf(row));
    for (size_t j = 0; j < kSmallBlock; j += 8) {
      const __m128i levels = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(row + 2 + j));
      _mm256_storeu_ps(out + j, _mm256_mul_ps(BytesToFloats(levels), scale));
    }
  }
}

TROUPE_AVX2 void DecodeQ4_0Avx2(const uint8_t* row, size_t count, float* out) {
  const __m128i low_mask = _mm_set1_epi8(0x0F);
  const __m128i offset = _mm_set1_epi8(8);
  for (size_t block = 0; block < count / kSmallBlock; ++block, row += 18, out += kSmallBlock) {
    const __m256 scale = _mm256_set1_ps(LoadHalf(row));
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2));
    const __m128i low = _mm_sub_epi8(_mm_and_si128(packed, low_mask), offset);
    const __m128i high = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(packed, 4), low_mask), offset);
    _mm256_storeu_ps(out, _mm256_mul_ps(BytesToFloats(low), scale));
    _mm256_storeu_ps(out + 8, _mm256_mul_ps(BytesToFloats(_mm_srli_si128(low, 8)), scale));
    _mm256_storeu_ps(out + 16, _mm256_mul_ps(BytesToFloats(high), scale));
    _mm256_storeu_ps(out + 24, _mm256_mul_ps(BytesToFloats(_mm_srli_si128(high, 8)), scale));
  }
}

// Q5_0's fifth bits: element j's bit goes to bit 4 of byte j by copying byte j / 8 of the bit
// word into byte j and testing bit j % 8.
TROUPE_AVX2 inline __m128i FifthBits(uint32_t fifth_bits, __m128i byte_selector) {
  const __m128i bit_of_byte = _mm_set1_epi64x(static_cast<int64_t>(0x8040201008040201ULL));
  const __m128i spread = _mm_shuffle_epi8(_mm_set1_epi32(static_cast<int>(fifth_bits)), byte_selector);
  const __m128i set = _mm_cmpeq_epi8(_mm_and_si128(spread, bit_of_byte), bit_of_byte);
  return _mm_and_si128(set, _mm_set1_epi8(0x10));
}

TROUPE_AVX2 void DecodeQ5_0Avx2(const uint8_t* row, size_t count, float* out) {
  const __m128i low_mask = _mm_set1_epi8(0x0F);
  const __m128i offset = _mm_set1_epi8(16);
  const __m128i first_half = _mm_set_epi64x(0x0101010101010101LL, 0);
  const __m128i second_half = _mm_set_epi64x(0x0303030303030303LL, 0x0202020202020202LL);
  for (size_t block = 0; block < count / kSmallBlock; ++block, row += 22, out += kSmallBlock) {
    const __m256 scale = _mm256_set1_ps(LoadHalf(row));
    uint32_t fifth_bits;
    std::memcpy(&fifth_bits, row + 2, sizeof(fifth_bits));  // little-endian, as stored
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 6));
    const __m128i low = _mm_sub_epi8(
        _mm_or_si128(_mm_and_si128(packed, low_mask), FifthBits(fifth_bits, first_half)), offset);
    const __m128i high = _mm_sub_epi8(
        _mm_or_si128(_mm_and_si128(_mm_srli_epi16(packed, 4), low_mask),
                     FifthBits(fifth_bits, second_half)),
        offset);
    _mm256_storeu_ps(out, _mm256_mul_ps(BytesToFloats(low), scale));
    _mm256_storeu_ps(out + 8, _mm256_mul_ps(BytesToFloats(_mm_srli_si128(low, 8)), scale));
    _mm256_storeu_ps(out + 16, _mm256_mul_ps(BytesToFloats(high), scale));
    _mm256_storeu_ps(out + 24, _mm256_mul_ps(BytesToFloats(_mm_srli_si128(high, 8)), scale));
  }
}

TROUPE_AVX2 void DecodeQ4KAvx2(const uint8_t* row, size_t count, float* out) {
  const __m256i low_mask = _mm256_set1_epi32(0x0F);
  for (size_t block = 0; block < count / kSuperBlock; ++block, row += 144) {
    const float d = LoadHalf(row);
    const float dmin = LoadHalf(row + 2);
    const uint8_t* packed = row + 4;
    const uint8_t* nibbles = row + 16;
    for (int pair = 0; pair < 4; ++pair, nibbles += 32, out += 64) {
      const ScaleMin first = UnpackScaleMin(packed, 2 * pair);
      const ScaleMin second = UnpackScaleMin(packed, 2 * pair + 1);
      const __m256 d1 = _mm256_set1_ps(d * first.scale);
      const __m256 m1 = _mm256_set1_ps(dmin * first.min);
      const __m256 d2 = _mm256_set1_ps(d * second.scale);
      const __m256 m2 = _mm256_set1_ps(dmin * second.min);
      for (int l = 0; l < 32; l += 8) {
        const __m256i bytes = _mm256_cvtepu8_epi32(
            _mm_loadl_epi64(reinterpret_cast<const __m128i*>(nibbles + l)));
        const __m256 low = _mm256_cvtepi32_ps(_mm256_and_si256(bytes, low_mask));
        const __m256 high = _mm256_cvtepi32_ps(_mm256_srli_epi32(bytes, 4));
        _mm256_storeu_ps(out + l, _mm256_sub_ps(_mm256_mul_ps(d1, low), m1));
        _mm256_storeu_ps(out + 32 + l, _mm256_sub_ps(_mm256_mul_ps(d2, high), m2));
      }
    }
  }
}

TROUPE_AVX2 inline __m256i LoadEightBytes(const uint8_t* bytes) {
  return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(bytes)));
}

// (nibble | top << 4) - 32 as floats.
TROUPE_AVX2 inline __m256 Q6Level(__m256i nibble, __m256i top, __m256i offset) {
  return _mm256_cvtepi32_ps(
      _mm256_sub_epi32(_mm256_or_si256(nibble, _mm256_slli_epi32(top, 4)), offset));
}

TROUPE_AVX2 void DecodeQ6KAvx2(const uint8_t* row, size_t count, float* out) {
  const __m256i low_mask = _mm256_set1_epi32(0x0F);
  const __m256i two_bits = _mm256_set1_epi32(3);
  const __m256i offset = _mm256_set1_epi32(32);
  for (size_t block = 0; block < count / kSuperBlock; ++block, row += 210) {
    const float d = LoadHalf(row + 208);
    const uint8_t* low = row;
    const uint8_t* high = row + 128;
    const auto* scales = reinterpret_cast<const int8_t*>(row + 192);
    for (int half = 0; half < 2; ++half, low += 64, high += 32, scales += 8, out += 128) {
      for (int l = 0; l < 32; l += 8) {
        const int group = l / 16;
        const __m256i first = LoadEightBytes(low + l);
        const __m256i second = LoadEightBytes(low + l + 32);
        const __m256i tops = LoadEightBytes(high + l);
        const __m256i top1 = _mm256_and_si256(tops, two_bits);
        const __m256i top2 = _mm256_and_si256(_mm256_srli_epi32(tops, 2), two_bits);
        const __m256i top3 = _mm256_and_si256(_mm256_srli_epi32(tops, 4), two_bits);
        const __m256i top4 = _mm256_and_si256(_mm256_srli_epi32(tops, 6), two_bits);
        const __m256 q1 = Q6Level(_mm256_and_si256(first, low_mask), top1, offset);
        const __m256 q2 = Q6Level(_mm256_and_si256(second, low_mask), top2, offset);
        const __m256 q3 = Q6Level(_mm256_srli_epi32(first, 4), top3, offset);
        const __m256 q4 = Q6Level(_mm256_srli_epi32(second, 4), top4, offset);
        _mm256_storeu_ps(out + l, _mm256_mul_ps(_mm256_set1_ps(d * scales[group]), q1));
        _mm256_storeu_ps(out + l + 32, _mm256_mul_ps(_mm256_set1_ps(d * scales[group + 2]), q2));
        _mm256_storeu_ps(out + l + 64, _mm256_mul_ps(_mm256_set1_ps(d * scales[group + 4]), q3));
        _mm256_storeu_ps(out + l + 96, _mm256_mul_ps(_mm256_set1_ps(d * scales[group + 6]), q4));
      }
    }
  }
}
#undef TROUPE_AVX2
#endif

}  // namespace

bool CanDecode(TensorType type) { return IsSupported(type); }

void DecodeRow(TensorType type, const std::byte* row, size_t count, float* out) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(row);
#if defined(__x86_64__)
  if (HasAvx2()) {
    switch (type) {
      case TensorType::kQ8_0: return DecodeQ8_0Avx2(bytes, count, out);
      case TensorType::kQ4_0: return DecodeQ4_0Avx2(bytes, count, out);
      case TensorType::kQ5_0: return DecodeQ5_0Avx2(bytes, count, out);
      case TensorType::kQ4_K: return DecodeQ4KAvx2(bytes, count, out);
      case TensorType::kQ6_K: return DecodeQ6KAvx2(bytes, count, out);
      default: break;
    }
  }
#endif
  switch (type) {
    case TensorType::kF32: return DecodeF32(bytes, count, out);
    case TensorType::kF16: return DecodeF16(bytes, count, out);
    case TensorType::kBF16: return DecodeBf16(bytes, count, out);
    case TensorType::kQ8_0: return DecodeQ8_0(bytes, count, out);
    case TensorType::kQ4_0: return DecodeQ4_0(bytes, count, out);
    case TensorType::kQ5_0: return DecodeQ5_0(bytes, count, out);
    case TensorType::kQ4_K: return DecodeQ4K(bytes, count, out);
    case TensorType::kQ5_K: return DecodeQ5K(bytes, count, out);
    case TensorType::kQ6_K: return DecodeQ6K(bytes, count, out);
    default: return;  // CanDecode said no; WeightMatrix never gets here
  }
}

}  // namespace troupe::engine::kernels
