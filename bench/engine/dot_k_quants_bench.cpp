// The K-quant dot products (Q4_K, Q5_K, Q6_K) on every kernel path this CPU has, beside the float
// path they replace (decode a tile of rows to floats, then a float dot product per token: what
// kernels::MatMul did before DotRows, kept here as the baseline), registered next to each other
// so one run compares them. bytes_per_second counts weight bytes
// read per second (decode is bound by them); MACs counts multiply-adds per second (prefill).
//
// Shapes (rows x cols): 896 x 4864 (Qwen2.5-0.5B's ffn_down), 4864 x 1024 (tall and narrow: 896,
// the model's real width, is not a whole number of 256-element super-blocks, so llama.cpp stores
// those tensors in other types), and 4096 x 14336 (Llama-3-8B's ffn_down, larger than the L3 of
// this kind of machine: decode from DRAM). Decode is one call over all rows (what one thread of
// a matrix product gets); prefill splits the rows into calls of 64, as a thread's tiles do.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/dot_rows.h"
#include "engine/kernels/row_decoder.h"
#include "engine/kernels/vector_ops.h"
#include "engine/kernels/quantized_activations.h"
#include "engine/quant.h"
#include "engine/tensor_type.h"

namespace troupe::engine::kernels {
namespace {

constexpr size_t kPrefillRowsPerCall = 64;

struct Shape {
  size_t rows;
  size_t cols;
};

// Random bytes with finite half scales: the kernels' speed does not depend on the values, and
// quantizing 58 million floats the llama-quantize way would take minutes.
std::vector<std::byte> RandomWeights(TensorType type, const Shape& shape) {
  const TensorTypeTraits traits = TraitsOf(type);
  std::vector<std::byte> bytes(shape.rows * shape.cols / traits.block_elements *
                               traits.block_bytes);
  std::mt19937 generator(7);
  for (std::byte& byte : bytes) byte = static_cast<std::byte>(generator() & 0xFF);
  const size_t scale_offset = type == TensorType::kQ6_K ? 208 : 0;
  const uint16_t halves[2] = {FloatToHalf(1.0f / 512), FloatToHalf(1.0f / 1024)};
  for (size_t block = 0; block < bytes.size() / traits.block_bytes; ++block) {
    std::memcpy(bytes.data() + block * traits.block_bytes + scale_offset, halves,
                type == TensorType::kQ6_K ? 2 : 4);
  }
  return bytes;
}

std::vector<float> RandomFloats(size_t count) {
  std::mt19937 generator(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(count);
  for (float& value : values) value = normal(generator);
  return values;
}

void SetRates(benchmark::State& state, const Shape& shape, size_t weight_bytes, size_t tokens) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * weight_bytes));
  state.counters["MACs"] = benchmark::Counter(static_cast<double>(shape.rows * shape.cols * tokens),
                                              benchmark::Counter::kIsIterationInvariantRate);
}

void BenchDotRows(benchmark::State& state, TensorType type, KernelPath path, Shape shape,
                  size_t tokens) {
  const std::vector<std::byte> weights = RandomWeights(type, shape);
  const size_t row_bytes = weights.size() / shape.rows;
  const size_t activation_row_bytes = ActivationRowBytes(ActivationFormat::kQ8_K, shape.cols);
  std::vector<BlockQ8_K> activations(tokens * shape.cols / kQ8_KBlockElements);
  const std::vector<float> x = RandomFloats(tokens * shape.cols);
  for (size_t t = 0; t < tokens; ++t) {
    QuantizeActivationRow(
        ActivationFormat::kQ8_K, x.data() + t * shape.cols, shape.cols,
        reinterpret_cast<std::byte*>(activations.data()) + t * activation_row_bytes);
  }
  std::vector<float> out(tokens * shape.rows);
  const size_t rows_per_call = tokens == 1 ? shape.rows : kPrefillRowsPerCall;
  DotRowsProblem problem;
  problem.weight_type = type;
  problem.cols = shape.cols;
  problem.row_bytes = row_bytes;
  problem.activations = reinterpret_cast<const std::byte*>(activations.data());
  problem.activation_row_bytes = activation_row_bytes;
  problem.n_tokens = tokens;
  problem.out_stride = shape.rows;
  for (auto _ : state) {
    for (size_t first = 0; first < shape.rows; first += rows_per_call) {
      problem.rows = weights.data() + first * row_bytes;
      problem.n_rows = std::min(rows_per_call, shape.rows - first);
      problem.out = out.data() + first;
      DotRows(path, problem);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  SetRates(state, shape, weights.size(), tokens);
}

// The old path on one thread: float activations; 8 rows at a time decoded to floats (few enough
// to stay in L2), each decoded tile used for every token.
void BenchFloatPath(benchmark::State& state, TensorType type, Shape shape, size_t tokens) {
  constexpr size_t kTileRows = 8;
  const std::vector<std::byte> weights = RandomWeights(type, shape);
  const size_t row_bytes = weights.size() / shape.rows;
  const std::vector<float> x = RandomFloats(tokens * shape.cols);
  std::vector<float> decoded(kTileRows * shape.cols);
  std::vector<float> out(tokens * shape.rows);
  for (auto _ : state) {
    for (size_t first = 0; first < shape.rows; first += kTileRows) {
      const size_t rows = std::min(kTileRows, shape.rows - first);
      for (size_t r = 0; r < rows; ++r) {
        DecodeRow(type, weights.data() + (first + r) * row_bytes, shape.cols,
                  decoded.data() + r * shape.cols);
      }
      for (size_t t = 0; t < tokens; ++t) {
        for (size_t r = 0; r < rows; ++r) {
          out[t * shape.rows + first + r] =
              DotF32(decoded.data() + r * shape.cols, x.data() + t * shape.cols, shape.cols);
        }
      }
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  SetRates(state, shape, weights.size(), tokens);
}

bool RegisterAll() {
  const TensorType types[] = {TensorType::kQ4_K, TensorType::kQ5_K, TensorType::kQ6_K};
  const Shape shapes[] = {{896, 4864}, {4864, 1024}, {4096, 14336}};
  for (const Shape& shape : shapes) {
    for (size_t tokens : {size_t{1}, size_t{64}}) {
      if (shape.rows * shape.cols > 16'000'000 && tokens > 1) continue;  // decode-only shape
      for (TensorType type : types) {
        const std::string suffix = "/" + std::to_string(shape.rows) + "x" +
                                   std::to_string(shape.cols) + "/tokens:" + std::to_string(tokens);
        const std::string prefix = "KQuant/" + std::string(NameOf(type)) + "/";
        benchmark::RegisterBenchmark((prefix + "old-float" + suffix).c_str(), BenchFloatPath, type,
                                     shape, tokens)
            ->Unit(benchmark::kMicrosecond);
        for (KernelPath path :
             {KernelPath::kScalar, KernelPath::kAvx2, KernelPath::kAvxVnni, KernelPath::kAvx512}) {
          if (!CpuSupports(path)) continue;
          benchmark::RegisterBenchmark((prefix + std::string(NameOf(path)) + suffix).c_str(),
                                       BenchDotRows, type, path, shape, tokens)
              ->Unit(benchmark::kMicrosecond);
        }
      }
    }
  }
  return true;
}

const bool kRegistered = RegisterAll();

}  // namespace
}  // namespace troupe::engine::kernels
