// Dot products of stored weight rows with activation rows (quantized_activations.h): the inner
// kernel of every matrix product. For a group of weight rows and a group of tokens it writes
//   out[t * out_stride + r] = dot(weight row r, activation row t)
// reading the weight blocks as stored (integer products for the quantized types) and reusing
// each loaded weight block for several tokens and each activation block for several rows.
//
// Promise: an output element's bits depend only on the weight row, the activation row, the
// type and the kernel path; not on how many rows or tokens are computed in one call, nor on
// which of them. Different paths (cpu_features.h) sum in different orders and agree to rounding.
#pragma once

#include <cstddef>

#include "engine/kernels/cpu_features.h"
#include "engine/tensor_type.h"

namespace troupe::engine::kernels {

struct DotRowsProblem {
  TensorType weight_type = TensorType::kF32;
  size_t cols = 0;             // elements per row: whole blocks of the weight type
  const std::byte* rows = nullptr;  // n_rows weight rows, row r at rows + r * row_bytes
  size_t row_bytes = 0;
  size_t n_rows = 0;
  const std::byte* activations = nullptr;  // n_tokens rows of ActivationFormatFor(weight_type)
  size_t activation_row_bytes = 0;
  size_t n_tokens = 0;
  float* out = nullptr;
  size_t out_stride = 0;  // floats between one token's outputs and the next's
};

// Runs `problem` on `path`, which the CPU must support (CpuSupports). Every type CanDecode
// accepts has a kernel on every path.
void DotRows(KernelPath path, const DotRowsProblem& problem);

// DotRows on ActiveKernelPath().
inline void DotRows(const DotRowsProblem& problem) { DotRows(ActiveKernelPath(), problem); }

}  // namespace troupe::engine::kernels
