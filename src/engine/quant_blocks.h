// Private to quant.cpp and quant_k.cpp: one-block encoders and decoders and the small numeric
// helpers they share. Sizes are the caller's business here: quant.cpp checks them once per call,
// then hands each block to these functions, which never fail and never allocate.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

namespace troupe::engine::quant_blocks {

inline constexpr size_t kSuperBlockElements = 256;  // ggml's QK_K
inline constexpr size_t kQ4KBlockBytes = 144;
inline constexpr size_t kQ5KBlockBytes = 176;
inline constexpr size_t kQ6KBlockBytes = 210;

// Rounds to the nearest integer, ties to even, with the float-add trick ggml's reference
// quantizers use. Beyond |value| > 2^22 the answer is meaningless, but it is the same meaningless
// answer ggml gets, and such values are always clamped afterwards.
inline int NearestInt(float value) {
  const float shifted =
      value + 12582912.f;  // 1.5 * 2^23: the integer lands in the low mantissa bits
  return (std::bit_cast<int32_t>(shifted) & 0x007FFFFF) - 0x00400000;
}

// Little-endian 16-bit loads and stores: block scales are stored as IEEE halves.
inline uint16_t LoadU16(const uint8_t* bytes) {
  return static_cast<uint16_t>(bytes[0] | (bytes[1] << 8));
}
inline void StoreU16(uint8_t* bytes, uint16_t value) {
  bytes[0] = static_cast<uint8_t>(value & 0xFF);
  bytes[1] = static_cast<uint8_t>(value >> 8);
}

// Each encoder reads kSuperBlockElements floats and writes one block; each decoder does the
// reverse.
void QuantizeQ4KBlock(const float* values, uint8_t* block);
void QuantizeQ5KBlock(const float* values, uint8_t* block);
void QuantizeQ6KBlock(const float* values, uint8_t* block);
void DequantizeQ4KBlock(const uint8_t* block, float* values);
void DequantizeQ5KBlock(const uint8_t* block, float* values);
void DequantizeQ6KBlock(const uint8_t* block, float* values);

}  // namespace troupe::engine::quant_blocks
