// Products of stored weight matrices with float activations: y = x W^T for a batch of tokens.
//
// The weight stays in its block format (any type row_decoder.h decodes) and is read by the dot
// product kernels of dot_rows.h: each token's activations are quantized once per call
// (quantized_activations.h), then tiles of weight rows are multiplied with tiles of tokens, so
// a prompt of n tokens reads each weight from memory once, not n times. Tiles are split across
// the thread pool; every output element is computed by the same code whatever the split, so the
// result is identical for any thread count and for any grouping of tokens into batches.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "engine/gguf.h"
#include "engine/tensor_type.h"
#include "engine/thread_pool.h"

namespace troupe::engine::kernels {

// A view of a 2-D weight: `rows` rows of `cols` elements, row r at data + r * row_bytes.
struct WeightMatrix {
  TensorType type = TensorType::kF32;
  size_t rows = 0;
  size_t cols = 0;
  size_t row_bytes = 0;
  const std::byte* data = nullptr;

  // A view of tensor `name` in `file`. Throws EngineError: kInvalidInput when the tensor is
  // missing or not 2-D, or its rows are not whole blocks; kUnsupported for a type the kernels do
  // not decode. Messages name the file and the tensor.
  static WeightMatrix FromTensor(const GgufFile& file, const std::string& name);
  // A view of bytes already checked by the caller (tests, synthetic data).
  static WeightMatrix FromBytes(TensorType type, size_t rows, size_t cols, const std::byte* data);

  const std::byte* row(size_t index) const { return data + index * row_bytes; }
};

// One product of a shared input: `out` receives n_tokens rows of weight->rows floats.
struct MatMulTarget {
  const WeightMatrix* weight = nullptr;
  float* out = nullptr;
};

// x: n_tokens rows of cols floats, every target's weight having `cols` columns. The targets
// (q, k and v; gate and up) run in one parallel loop: one wake of the pool, one quantization of
// the input per activation format.
void MatMul(ThreadPool& pool, std::span<const MatMulTarget> targets, const float* x,
            size_t n_tokens);

// x: n_tokens rows of w.cols floats; y: n_tokens rows of w.rows floats (both row-major).
void MatMul(ThreadPool& pool, const WeightMatrix& w, const float* x, size_t n_tokens, float* y);

// Decodes one row (an embedding lookup).
void DecodeMatrixRow(const WeightMatrix& w, size_t row, float* out);

}  // namespace troupe::engine::kernels
