// DotRows for the small-block weight types on every kernel path this CPU has, beside the float
// path it replaces (decode each tile of 8 weight rows to floats with DecodeRow, then DotF32 for
// every token: what kernels::MatMul did before DotRows, rebuilt here so the comparison outlives
// it), both on one thread, in two shapes of SmolLM2-135M:
//   decode:  the output projection, 49152 rows x 576 columns against 1 token (memory bound)
//   prefill: the FFN up projection, 1536 rows x 576 columns against 64 tokens (compute bound)
// The DotRows timings include quantizing the activations, which a matrix product must do. The
// bytes/s figure is of weight bytes; "flops" counts 2 * rows * cols * tokens per second.
//
// Run with e.g. --benchmark_repetitions=3 --benchmark_filter=Q8_0: registration order puts the
// old path and each new one for a type side by side, so a shared machine's drift hits them alike.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/dot_rows.h"
#include "engine/kernels/quantized_activations.h"
#include "engine/kernels/row_decoder.h"
#include "engine/kernels/vector_ops.h"
#include "engine/quant.h"

namespace troupe::engine::kernels {
namespace {

struct Shape {
  const char* name;
  size_t rows;
  size_t cols;
  size_t tokens;
};

constexpr Shape kShapes[] = {{"decode", 49152, 576, 1}, {"prefill", 1536, 576, 64}};
constexpr TensorType kTypes[] = {TensorType::kQ8_0, TensorType::kQ4_0, TensorType::kQ5_0,
                                 TensorType::kF16,  TensorType::kBF16, TensorType::kF32};
constexpr KernelPath kPaths[] = {KernelPath::kScalar, KernelPath::kAvx2, KernelPath::kAvxVnni,
                                 KernelPath::kAvx512};

std::vector<float> RandomFloats(size_t count, uint32_t seed) {
  std::mt19937 generator(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(count);
  for (float& value : values) value = normal(generator);
  return values;
}

// A shape's weights in one type and its float activations, made once per process.
struct Operands {
  std::vector<std::byte> weights;
  size_t row_bytes = 0;
  std::vector<float> x;
};

const Operands& OperandsFor(TensorType type, const Shape& shape) {
  static std::map<std::pair<TensorType, const Shape*>, std::unique_ptr<Operands>> cache;
  std::unique_ptr<Operands>& slot = cache[{type, &shape}];
  if (!slot) {
    slot = std::make_unique<Operands>();
    slot->weights = Quantize(type, RandomFloats(shape.rows * shape.cols, 1));
    slot->row_bytes = slot->weights.size() / shape.rows;
    slot->x = RandomFloats(shape.tokens * shape.cols, 2);
  }
  return *slot;
}

void SetCounters(benchmark::State& state, const Operands& operands, const Shape& shape) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * operands.weights.size()));
  state.counters["flops"] =
      benchmark::Counter(2.0 * static_cast<double>(shape.rows * shape.cols * shape.tokens),
                         benchmark::Counter::kIsIterationInvariantRate);
}

void BenchDotRows(benchmark::State& state, TensorType type, const Shape& shape, KernelPath path) {
  const Operands& operands = OperandsFor(type, shape);
  const ActivationFormat format = ActivationFormatFor(type);
  const size_t activation_row_bytes = ActivationRowBytes(format, shape.cols);
  std::vector<std::byte> activations(shape.tokens * activation_row_bytes);
  std::vector<float> out(shape.tokens * shape.rows);
  DotRowsProblem problem;
  problem.weight_type = type;
  problem.cols = shape.cols;
  problem.rows = operands.weights.data();
  problem.row_bytes = operands.row_bytes;
  problem.n_rows = shape.rows;
  problem.activations = activations.data();
  problem.activation_row_bytes = activation_row_bytes;
  problem.n_tokens = shape.tokens;
  problem.out = out.data();
  problem.out_stride = shape.rows;
  for (auto _ : state) {
    for (size_t t = 0; t < shape.tokens; ++t) {
      QuantizeActivationRow(format, operands.x.data() + t * shape.cols, shape.cols,
                            activations.data() + t * activation_row_bytes);
    }
    DotRows(path, problem);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  SetCounters(state, operands, shape);
}

// The old path: rows decoded a tile at a time, the tile reused for every token.
void BenchDecodeThenDot(benchmark::State& state, TensorType type, const Shape& shape) {
  constexpr size_t kTileRows = 8;
  const Operands& operands = OperandsFor(type, shape);
  std::vector<float> decoded(kTileRows * shape.cols);
  std::vector<float> out(shape.tokens * shape.rows);
  for (auto _ : state) {
    for (size_t first_row = 0; first_row < shape.rows; first_row += kTileRows) {
      const size_t tile_rows = std::min(kTileRows, shape.rows - first_row);
      for (size_t r = 0; r < tile_rows; ++r) {
        DecodeRow(type, operands.weights.data() + (first_row + r) * operands.row_bytes, shape.cols,
                  decoded.data() + r * shape.cols);
      }
      for (size_t t = 0; t < shape.tokens; ++t) {
        for (size_t r = 0; r < tile_rows; ++r) {
          out[t * shape.rows + first_row + r] = DotF32(
              decoded.data() + r * shape.cols, operands.x.data() + t * shape.cols, shape.cols);
        }
      }
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  SetCounters(state, operands, shape);
}

int RegisterAll() {
  for (const Shape& shape : kShapes) {
    for (const TensorType type : kTypes) {
      const std::string suffix = std::string(NameOf(type)) + "/" + shape.name;
      benchmark::RegisterBenchmark(("DecodeThenDot/" + suffix).c_str(), BenchDecodeThenDot, type,
                                   shape)
          ->Unit(benchmark::kMillisecond);
      for (const KernelPath path : kPaths) {
        if (!CpuSupports(path)) continue;
        benchmark::RegisterBenchmark(
            ("DotRows/" + suffix + "/" + std::string(NameOf(path))).c_str(), BenchDotRows, type,
            shape, path)
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
  return 0;
}

[[maybe_unused]] const int kRegistered = RegisterAll();

}  // namespace
}  // namespace troupe::engine::kernels
