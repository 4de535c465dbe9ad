// Encoding and decoding of tensor data in the supported ggml block formats, bit-compatible with
// the GGUF layouts (so data written here loads in other GGUF tools and theirs decode here):
// F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q5_K, Q6_K.
//
// All functions are pure and thread-safe. Sizes are checked: a wrong size or an unsupported type
// throws EngineError(kInvalidInput / kUnsupported) saying which.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/tensor_type.h"

namespace troupe::engine {

// Decodes `src` (exactly ByteSizeOf(type, dst.size()) bytes) into dst.size() floats.
void Dequantize(TensorType type, std::span<const std::byte> src, std::span<float> dst);

// Encodes `src` (a whole number of blocks of `type`) the way llama-quantize does without an
// importance matrix.
std::vector<std::byte> Quantize(TensorType type, std::span<const float> src);

// IEEE half and bfloat16 conversions (round to nearest even; NaN stays NaN).
uint16_t FloatToHalf(float value);
float HalfToFloat(uint16_t bits);
uint16_t FloatToBf16(float value);
float Bf16ToFloat(uint16_t bits);

}  // namespace troupe::engine
