// Activations (a token's input to a matrix product) in the form the weight type's dot product
// reads. Integer weight types multiply against 8-bit activations, as llama.cpp does, so each
// block product is an exact integer sum scaled once:
//   Q8_0, Q4_0, Q5_0 weights -> Q8_0 activations: blocks of 32, an IEEE-half scale, 32 int8
//   Q4_K, Q5_K, Q6_K weights -> Q8_K activations: blocks of 256, a float scale, 256 int8 and
//                               the 16 sums of each run of 16 (the K-quants' minimums use them)
//   F32, F16, BF16 weights   -> the floats themselves
// The rounding is llama.cpp's (Q8_0: scale = max|x| / 127, levels rounded half to even; Q8_K:
// scale from the element of largest magnitude, levels -127..127 with its sign), so both engines
// see the same activations. Quantizing is cheap beside the product: a token's row is quantized
// once per matrix and read by every row of the weight.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/tensor_type.h"

namespace troupe::engine::kernels {

enum class ActivationFormat { kF32, kQ8_0, kQ8_K };

inline constexpr size_t kQ8_0BlockElements = 32;
inline constexpr size_t kQ8_KBlockElements = 256;

// Q8_0's stored layout, shared by the weight type and the activations (34 bytes, unaligned).
struct BlockQ8_0 {
  uint16_t scale;  // IEEE half bits
  int8_t levels[kQ8_0BlockElements];
};
static_assert(sizeof(BlockQ8_0) == 34);

// 292 bytes; rows of these start 4-byte aligned in buffers the kernels allocate.
struct BlockQ8_K {
  float scale;
  int8_t levels[kQ8_KBlockElements];
  int16_t sums[kQ8_KBlockElements / 16];  // sums[j] = levels[16j] + ... + levels[16j + 15]
};
static_assert(sizeof(BlockQ8_K) == 292);

// The activation format `weight_type`'s dot product reads (any type CanDecode accepts).
ActivationFormat ActivationFormatFor(TensorType weight_type);

// Bytes of one row of `cols` activations (`cols` a multiple of the format's block for Q8_0/Q8_K).
size_t ActivationRowBytes(ActivationFormat format, size_t cols);

// Writes `cols` floats of `x` as one row of `format` into `out` (ActivationRowBytes bytes). The
// result depends only on the inputs: every kernel path quantizes the same way.
void QuantizeActivationRow(ActivationFormat format, const float* x, size_t cols, std::byte* out);

}  // namespace troupe::engine::kernels
