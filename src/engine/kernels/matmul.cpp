#include "engine/kernels/matmul.h"

#include <algorithm>
#include <array>
#include <vector>

#include "engine/error.h"
#include "engine/kernels/dot_rows.h"
#include "engine/kernels/quantized_activations.h"
#include "engine/kernels/row_decoder.h"

namespace troupe::engine::kernels {

namespace {

// Weight rows per unit of work: the pool splits units, and a unit's rows stay in L1 (16 rows of
// a 1536-column Q8_0 matrix are 26 KB) while every token passes over them.
constexpr size_t kTileRows = 16;
// Bytes of quantized activations handed to one DotRows call: L1-sized, beside the weight tile.
constexpr size_t kActivationChunkBytes = 16 * 1024;
// The kernels' register tiles take 2, 4 or 8 tokens (dot_small_blocks*, dot_k_quants*): chunks
// are cut in multiples of 8.
constexpr size_t kTileTokenMultiple = 8;
// Batches from this many tokens quantize their activations on every thread.
constexpr size_t kParallelQuantizeTokens = 16;
// Up to this many tokens a product streams its weights from memory once, with little arithmetic
// per byte: each thread takes one contiguous run of rows (ThreadPool::ParallelFor), which measured
// 10% faster decode than eight shorter runs per thread.
constexpr size_t kStreamingTokens = 4;

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

namespace {

// Activations quantized once per call, one buffer per format, kept by the calling thread so a
// decode step allocates nothing once the buffers have grown to the largest batch.
struct QuantizedInput {
  const std::byte* rows = nullptr;
  size_t row_bytes = 0;
};

QuantizedInput Quantize(ThreadPool& pool, ActivationFormat format, const float* x, size_t cols,
                        size_t n_tokens) {
  if (format == ActivationFormat::kF32) {
    return {reinterpret_cast<const std::byte*>(x), cols * sizeof(float)};
  }
  thread_local std::array<std::vector<std::byte>, 3> buffers;
  std::vector<std::byte>& buffer = buffers[static_cast<size_t>(format)];
  const size_t row_bytes = ActivationRowBytes(format, cols);
  if (buffer.size() < row_bytes * n_tokens) buffer.resize(row_bytes * n_tokens);
  std::byte* rows = buffer.data();
  auto quantize = [&](size_t begin, size_t end) {
    for (size_t t = begin; t < end; ++t) {
      QuantizeActivationRow(format, x + t * cols, cols, rows + t * row_bytes);
    }
  };
  // A prompt's rows are worth a wake of the pool; a decode step's single row is not.
  if (n_tokens >= kParallelQuantizeTokens) {
    pool.ParallelFor(n_tokens, quantize);
  } else {
    quantize(0, n_tokens);
  }
  return {rows, row_bytes};
}

// Multiplies rows [first_row, end_row) of `weight` with every token, a cache tile at a time: the
// tile's weight rows stay in L1 while chunks of tokens small enough for L1 pass over them.
void MultiplyRowTile(const WeightMatrix& weight, const QuantizedInput& input, size_t n_tokens,
                     size_t first_row, size_t end_row, float* out) {
  // Whole register tiles of tokens (kTileTokenMultiple) per chunk: a chunk of 26 tokens ran its
  // last two as narrower, slower tiles, a tenth of a prompt's time.
  const size_t fitting = kActivationChunkBytes / input.row_bytes / kTileTokenMultiple * kTileTokenMultiple;
  const size_t token_chunk = std::clamp<size_t>(fitting, kTileTokenMultiple, std::max<size_t>(n_tokens, 1));
  DotRowsProblem problem;
  problem.weight_type = weight.type;
  problem.cols = weight.cols;
  problem.rows = weight.row(first_row);
  problem.row_bytes = weight.row_bytes;
  problem.n_rows = end_row - first_row;
  problem.activation_row_bytes = input.row_bytes;
  problem.out_stride = weight.rows;
  for (size_t t = 0; t < n_tokens; t += token_chunk) {
    problem.activations = input.rows + t * input.row_bytes;
    problem.n_tokens = std::min(token_chunk, n_tokens - t);
    problem.out = out + t * weight.rows + first_row;
    DotRows(problem);
  }
}

}  // namespace

void MatMul(ThreadPool& pool, std::span<const MatMulTarget> targets, const float* x,
            size_t n_tokens) {
  if (targets.empty() || n_tokens == 0) return;
  constexpr size_t kMaxTargets = 4;
  if (targets.size() > kMaxTargets) ThrowInvalid("MatMul: more than 4 targets share one input");
  const size_t cols = targets[0].weight->cols;
  std::array<QuantizedInput, kMaxTargets> inputs;
  std::array<bool, 3> quantized{};
  std::array<QuantizedInput, 3> by_format;
  std::array<size_t, kMaxTargets + 1> first_tile{};
  for (size_t i = 0; i < targets.size(); ++i) {
    const WeightMatrix& weight = *targets[i].weight;
    if (weight.cols != cols) ThrowInvalid("MatMul: targets sharing one input differ in columns");
    const auto format = ActivationFormatFor(weight.type);
    const auto index = static_cast<size_t>(format);
    if (!quantized[index]) {
      by_format[index] = Quantize(pool, format, x, cols, n_tokens);
      quantized[index] = true;
    }
    inputs[i] = by_format[index];
    first_tile[i + 1] = first_tile[i] + (weight.rows + kTileRows - 1) / kTileRows;
  }
  pool.ParallelFor(first_tile[targets.size()], [&](size_t begin, size_t end) {
    size_t target = 0;
    for (size_t tile = begin; tile < end; ++tile) {
      while (tile >= first_tile[target + 1]) ++target;
      const WeightMatrix& weight = *targets[target].weight;
      const size_t first_row = (tile - first_tile[target]) * kTileRows;
      MultiplyRowTile(weight, inputs[target], n_tokens, first_row,
                      std::min(first_row + kTileRows, weight.rows), targets[target].out);
    }
  }, n_tokens <= kStreamingTokens ? 1 : ThreadPool::kDefaultChunksPerThread);
}

void MatMul(ThreadPool& pool, const WeightMatrix& w, const float* x, size_t n_tokens, float* y) {
  const MatMulTarget target{&w, y};
  MatMul(pool, std::span<const MatMulTarget>(&target, 1), x, n_tokens);
}

}  // namespace troupe::engine::kernels
