// Decodes rows of a weight matrix from its stored block format into floats, for the matrix
// kernels. The values equal quant.h's Dequantize for the same bytes; unlike Dequantize these do
// no checking: the caller (matmul.h's WeightMatrix) has checked type and sizes once.
#pragma once

#include <cstddef>

#include "engine/tensor_type.h"

namespace troupe::engine::kernels {

// True for the types DecodeRow handles: F32 F16 BF16 Q8_0 Q4_0 Q5_0 Q4_K Q5_K Q6_K.
bool CanDecode(TensorType type);

// Decodes `count` elements (whole blocks of `type`) starting at `row`.
void DecodeRow(TensorType type, const std::byte* row, size_t count, float* out);

}  // namespace troupe::engine::kernels
