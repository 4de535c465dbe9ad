#include "engine/kernels/matmul.h"

#include <algorithm>
#include <vector>

#include "engine/error.h"
#include "engine/kernels/row_decoder.h"
#include "engine/kernels/vector_ops.h"

namespace troupe::engine::kernels {

namespace {

// Rows decoded together: enough that one token's activations are reused from L1 across several
// rows, few enough that the decoded tile (rows x cols floats) stays in L2.
constexpr size_t kTileRows = 8;

}  // namespace

WeightMatrix WeightMatrix::FromTensor(const GgufFile& file, const std::string& name) {
  const GgufTensorInfo* tensor = file.FindTensor(name);
  const std::string where = file.label() + ": tensor '" + name + "'";
  if (tensor == nullptr) ThrowInvalid(where + " is missing");
  if (tensor->shape.size() != 2) {
    ThrowInvalid(where + ": expected 2 dimensions, found " + std::to_string(tensor->shape.size()));
  }
  if (!CanDecode(tensor->type)) {
    ThrowUnsupported(where + ": type " + std::string(NameOf(tensor->type)) +
                     " is not supported for computation");
  }
  const TensorTypeTraits traits = TraitsOf(tensor->type);
  const uint64_t cols = tensor->shape[0];
  if (cols % traits.block_elements != 0) {
    ThrowInvalid(where + ": row length " + std::to_string(cols) + " is not a multiple of the " +
                 std::string(traits.name) + " block (" + std::to_string(traits.block_elements) +
                 ")");
  }
  const std::span<const std::byte> bytes = file.TensorData(*tensor);
  WeightMatrix matrix = FromBytes(tensor->type, tensor->shape[1], cols, bytes.data());
  if (matrix.row_bytes * matrix.rows != bytes.size()) {
    ThrowInvalid(where + ": holds " + std::to_string(bytes.size()) + " bytes, expected " +
                 std::to_string(matrix.row_bytes * matrix.rows));
  }
  return matrix;
}

WeightMatrix WeightMatrix::FromBytes(TensorType type, size_t rows, size_t cols,
                                     const std::byte* data) {
  const TensorTypeTraits traits = TraitsOf(type);
  WeightMatrix matrix;
  matrix.type = type;
  matrix.rows = rows;
  matrix.cols = cols;
  matrix.row_bytes = cols / traits.block_elements * traits.block_bytes;
  matrix.data = data;
  return matrix;
}

void DecodeMatrixRow(const WeightMatrix& w, size_t row, float* out) {
  DecodeRow(w.type, w.row(row), w.cols, out);
}

void MatMul(ThreadPool& pool, const WeightMatrix& w, const float* x, size_t n_tokens, float* y) {
  const size_t tiles = (w.rows + kTileRows - 1) / kTileRows;
  pool.ParallelFor(tiles, [&](size_t first_tile, size_t end_tile) {
    thread_local std::vector<float> decoded;
    decoded.resize(kTileRows * w.cols);
    for (size_t tile = first_tile; tile < end_tile; ++tile) {
      const size_t first_row = tile * kTileRows;
      const size_t tile_rows = std::min(kTileRows, w.rows - first_row);
      for (size_t r = 0; r < tile_rows; ++r) {
        DecodeRow(w.type, w.row(first_row + r), w.cols, decoded.data() + r * w.cols);
      }
      for (size_t t = 0; t < n_tokens; ++t) {
        const float* activations = x + t * w.cols;
        float* out = y + t * w.rows + first_row;
        for (size_t r = 0; r < tile_rows; ++r) {
          out[r] = DotF32(decoded.data() + r * w.cols, activations, w.cols);
        }
      }
    }
  });
}

}  // namespace troupe::engine::kernels
