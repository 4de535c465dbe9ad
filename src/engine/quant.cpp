// Size checks and dispatch for quant.h, the half/bfloat16 conversions, and the simple 32-value
// block formats (Q8_0, Q4_0, Q5_0). The K-quants live in quant_k.cpp.
//
// The encoders follow ggml's reference quantizers exactly (see quant_k.cpp for why), including
// C's float-to-int8 conversion as x86 compilers emit it.
#include "engine/quant.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <string>

#include "engine/error.h"
#include "engine/quant_blocks.h"

// Blocks are little-endian on disk; F32 tensors are copied as they are.
static_assert(std::endian::native == std::endian::little,
              "the engine assumes a little-endian host");

namespace troupe::engine {
namespace {

using quant_blocks::LoadU16;
using quant_blocks::StoreU16;

constexpr size_t kSmallBlockElements = 32;  // Q8_0, Q4_0, Q5_0

// C's (int8_t)float as gcc and clang compile it on x86: truncate to int32 (cvttss2si, which gives
// INT32_MIN, low byte 0, for NaN and out-of-range values), then keep the low byte. Written out so
// that garbage input is deterministic instead of undefined.
int8_t TruncateToInt8(float value) {
  if (!(value >= -2147483648.f && value < 2147483648.f)) return 0;
  return static_cast<int8_t>(static_cast<int32_t>(value));
}

// Largest magnitude in a block, and the signed value that has it (the first one on ties).
struct SignedMax {
  float magnitude = 0;
  float value = 0;
};

SignedMax FindSignedMax(const float* x, size_t n) {
  SignedMax result;
  for (size_t j = 0; j < n; ++j) {
    if (result.magnitude < std::fabs(x[j])) {
      result.magnitude = std::fabs(x[j]);
      result.value = x[j];
    }
  }
  return result;
}

// Q8_0: {half d; int8 qs[32]}, value = d * q, with d = max|x| / 127.
void QuantizeQ8_0Block(const float* x, uint8_t* block) {
  float abs_max = 0;
  for (size_t j = 0; j < kSmallBlockElements; ++j) {
    // Written as ggml's MAX macro so that a NaN propagates the same way.
    const float magnitude = std::fabs(x[j]);
    abs_max = abs_max > magnitude ? abs_max : magnitude;
  }
  const float d = abs_max / 127;
  const float inverse = d != 0 ? 1.0f / d : 0.0f;
  StoreU16(block, FloatToHalf(d));
  for (size_t j = 0; j < kSmallBlockElements; ++j) {
    block[2 + j] = static_cast<uint8_t>(TruncateToInt8(std::round(x[j] * inverse)));
  }
}

void DequantizeQ8_0Block(const uint8_t* block, float* y) {
  const float d = HalfToFloat(LoadU16(block));
  for (size_t j = 0; j < kSmallBlockElements; ++j) y[j] = static_cast<int8_t>(block[2 + j]) * d;
}

// Q4_0: {half d; uint8 qs[16]}, value = d * (q - 8); value j in the low nibble of byte j, value
// j + 16 in its high nibble. d maps the largest-magnitude value to level -8 exactly, so the
// other extreme can use the whole 0..15 range.
void QuantizeQ4_0Block(const float* x, uint8_t* block) {
  const SignedMax max = FindSignedMax(x, kSmallBlockElements);
  const float d = max.value / -8;
  const float inverse = d != 0 ? 1.0f / d : 0.0f;
  StoreU16(block, FloatToHalf(d));
  for (size_t j = 0; j < kSmallBlockElements / 2; ++j) {
    const int low = std::min(15, static_cast<int>(TruncateToInt8(x[j] * inverse + 8.5f)));
    const int high = std::min(15, static_cast<int>(TruncateToInt8(x[j + 16] * inverse + 8.5f)));
    block[2 + j] =
        static_cast<uint8_t>(static_cast<uint8_t>(low) | (static_cast<uint8_t>(high) << 4));
  }
}

void DequantizeQ4_0Block(const uint8_t* block, float* y) {
  const float d = HalfToFloat(LoadU16(block));
  for (size_t j = 0; j < kSmallBlockElements / 2; ++j) {
    y[j] = ((block[2 + j] & 0x0F) - 8) * d;
    y[j + 16] = ((block[2 + j] >> 4) - 8) * d;
  }
}

// Q5_0: {half d; uint8 qh[4]; uint8 qs[16]}, value = d * (q - 16): Q4_0's nibbles plus a fifth
// bit per value in the little-endian 32-bit qh (bit j for value j).
void QuantizeQ5_0Block(const float* x, uint8_t* block) {
  const SignedMax max = FindSignedMax(x, kSmallBlockElements);
  const float d = max.value / -16;
  const float inverse = d != 0 ? 1.0f / d : 0.0f;
  StoreU16(block, FloatToHalf(d));
  uint32_t high_bits = 0;
  for (size_t j = 0; j < kSmallBlockElements / 2; ++j) {
    const auto low = static_cast<uint8_t>(
        std::min(31, static_cast<int>(TruncateToInt8(x[j] * inverse + 16.5f))));
    const auto high = static_cast<uint8_t>(
        std::min(31, static_cast<int>(TruncateToInt8(x[j + 16] * inverse + 16.5f))));
    block[6 + j] = static_cast<uint8_t>((low & 0x0F) | ((high & 0x0F) << 4));
    high_bits |= ((low & 0x10u) >> 4) << j;
    high_bits |= ((high & 0x10u) >> 4) << (j + 16);
  }
  for (size_t b = 0; b < 4; ++b) block[2 + b] = static_cast<uint8_t>(high_bits >> (8 * b));
}

void DequantizeQ5_0Block(const uint8_t* block, float* y) {
  const float d = HalfToFloat(LoadU16(block));
  const uint32_t high_bits =
      static_cast<uint32_t>(block[2]) | (static_cast<uint32_t>(block[3]) << 8) |
      (static_cast<uint32_t>(block[4]) << 16) | (static_cast<uint32_t>(block[5]) << 24);
  for (size_t j = 0; j < kSmallBlockElements / 2; ++j) {
    const int low = static_cast<int>((block[6 + j] & 0x0F) | (((high_bits >> j) & 1) << 4)) - 16;
    const int high =
        static_cast<int>((block[6 + j] >> 4) | (((high_bits >> (j + 16)) & 1) << 4)) - 16;
    y[j] = low * d;
    y[j + 16] = high * d;
  }
}

using BlockEncoder = void (*)(const float*, uint8_t*);
using BlockDecoder = void (*)(const uint8_t*, float*);

struct BlockCodec {
  BlockEncoder encode = nullptr;
  BlockDecoder decode = nullptr;
};

// Encoders/decoders for the block formats; plain types (F32, F16, BF16) have none and are handled
// element-wise by the callers.
BlockCodec CodecFor(TensorType type) {
  switch (type) {
    case TensorType::kQ8_0: return {QuantizeQ8_0Block, DequantizeQ8_0Block};
    case TensorType::kQ4_0: return {QuantizeQ4_0Block, DequantizeQ4_0Block};
    case TensorType::kQ5_0: return {QuantizeQ5_0Block, DequantizeQ5_0Block};
    case TensorType::kQ4_K:
      return {quant_blocks::QuantizeQ4KBlock, quant_blocks::DequantizeQ4KBlock};
    case TensorType::kQ5_K:
      return {quant_blocks::QuantizeQ5KBlock, quant_blocks::DequantizeQ5KBlock};
    case TensorType::kQ6_K:
      return {quant_blocks::QuantizeQ6KBlock, quant_blocks::DequantizeQ6KBlock};
    default: return {};
  }
}

void RequireSupported(const char* operation, TensorType type) {
  if (!IsSupported(type)) {
    ThrowUnsupported(std::string(operation) + ": tensor type " + std::string(NameOf(type)) + " (" +
                     std::to_string(static_cast<uint32_t>(type)) +
                     ") is not supported; supported: F32 F16 BF16 Q8_0 Q4_0 Q5_0 Q4_K Q5_K Q6_K");
  }
}

// Throws unless `elements` fills whole blocks of `type`; returns the encoded byte size.
size_t RequireWholeBlocks(const char* operation, TensorType type, size_t elements) {
  const TensorTypeTraits traits = TraitsOf(type);
  const std::optional<uint64_t> bytes = ByteSizeOf(type, elements);
  if (!bytes) {
    ThrowInvalid(std::string(operation) + " " + std::string(traits.name) + ": " +
                 std::to_string(elements) + " elements is not a whole number of " +
                 std::to_string(traits.block_elements) + "-element blocks");
  }
  return static_cast<size_t>(*bytes);
}

}  // namespace

uint16_t FloatToHalf(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const uint32_t magnitude = bits & 0x7FFFFFFF;
  if (magnitude > 0x7F800000) {
    // NaN: keep it quiet and keep the top of its payload.
    return static_cast<uint16_t>(sign | 0x7E00 | ((magnitude >> 13) & 0x3FF));
  }
  // 65520 is halfway between the largest half (65504, odd mantissa) and 65536: ties go to even,
  // which is infinity.
  if (magnitude >= 0x477FF000) return static_cast<uint16_t>(sign | 0x7C00);
  if (magnitude >= 0x38800000) {
    // Normal half: rebias the exponent (127 -> 15), then drop 13 mantissa bits rounding to even.
    // A carry out of the mantissa correctly bumps the exponent.
    const uint32_t rebiased = magnitude - (112u << 23);
    return static_cast<uint16_t>(sign | ((rebiased + 0xFFF + ((rebiased >> 13) & 1)) >> 13));
  }
  // At or below 2^-25 (half the smallest subnormal; the tie goes to even, zero).
  if (magnitude <= 0x33000000) return sign;
  // Subnormal half: the value in units of 2^-24, rounded to even. The exponent is 102..112 here,
  // so the shift is 14..24.
  const uint32_t mantissa = (magnitude & 0x7FFFFF) | 0x800000;
  const uint32_t shift = 126 - (magnitude >> 23);
  uint32_t rounded = mantissa >> shift;
  const uint32_t remainder = mantissa & ((1u << shift) - 1);
  const uint32_t halfway = 1u << (shift - 1);
  if (remainder > halfway || (remainder == halfway && (rounded & 1))) ++rounded;
  return static_cast<uint16_t>(sign | rounded);
}

float HalfToFloat(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1F;
  const uint32_t mantissa = bits & 0x3FF;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24 is exact in float.
    const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
    return std::bit_cast<float>(std::bit_cast<uint32_t>(magnitude) | sign);
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7F800000 | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint16_t FloatToBf16(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  if ((bits & 0x7FFFFFFF) > 0x7F800000) {
    // NaN: truncating could leave an all-zero mantissa (infinity), so force the quiet bit.
    return static_cast<uint16_t>((bits >> 16) | 0x40);
  }
  // Round to nearest even on the 16 dropped bits; overflow lands on infinity as it should.
  return static_cast<uint16_t>((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
}

float Bf16ToFloat(uint16_t bits) { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

void Dequantize(TensorType type, std::span<const std::byte> src, std::span<float> dst) {
  RequireSupported("Dequantize", type);
  const size_t expected_bytes = RequireWholeBlocks("Dequantize", type, dst.size());
  if (src.size() != expected_bytes) {
    ThrowInvalid("Dequantize " + std::string(NameOf(type)) + ": " + std::to_string(dst.size()) +
                 " elements need " + std::to_string(expected_bytes) + " bytes, got " +
                 std::to_string(src.size()));
  }
  const auto* bytes = reinterpret_cast<const uint8_t*>(src.data());
  switch (type) {
    case TensorType::kF32:
      if (!src.empty()) std::memcpy(dst.data(), bytes, src.size());
      return;
    case TensorType::kF16:
      for (size_t i = 0; i < dst.size(); ++i) dst[i] = HalfToFloat(LoadU16(bytes + 2 * i));
      return;
    case TensorType::kBF16:
      for (size_t i = 0; i < dst.size(); ++i) dst[i] = Bf16ToFloat(LoadU16(bytes + 2 * i));
      return;
    default: break;
  }
  const TensorTypeTraits traits = TraitsOf(type);
  const BlockDecoder decode = CodecFor(type).decode;
  const size_t blocks = dst.size() / traits.block_elements;
  for (size_t b = 0; b < blocks; ++b) {
    decode(bytes + b * traits.block_bytes, dst.data() + b * traits.block_elements);
  }
}

std::vector<std::byte> Quantize(TensorType type, std::span<const float> src) {
  RequireSupported("Quantize", type);
  const size_t byte_size = RequireWholeBlocks("Quantize", type, src.size());
  std::vector<std::byte> encoded(byte_size);
  auto* bytes = reinterpret_cast<uint8_t*>(encoded.data());
  switch (type) {
    case TensorType::kF32:
      if (!src.empty()) std::memcpy(bytes, src.data(), byte_size);
      return encoded;
    case TensorType::kF16:
      for (size_t i = 0; i < src.size(); ++i) StoreU16(bytes + 2 * i, FloatToHalf(src[i]));
      return encoded;
    case TensorType::kBF16:
      for (size_t i = 0; i < src.size(); ++i) StoreU16(bytes + 2 * i, FloatToBf16(src[i]));
      return encoded;
    default: break;
  }
  const TensorTypeTraits traits = TraitsOf(type);
  const BlockEncoder encode = CodecFor(type).encode;
  const size_t blocks = src.size() / traits.block_elements;
  for (size_t b = 0; b < blocks; ++b) {
    encode(src.data() + b * traits.block_elements, bytes + b * traits.block_bytes);
  }
  return encoded;
}

}  // namespace troupe::engine
