// DotRows for F32, F16, BF16, Q8_0, Q4_0 and Q5_0: which variant runs on which path, and the
// portable (scalar) variants every other path is checked against.
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#include "engine/kernels/dot_small_blocks_internal.h"
#include "engine/kernels/fp16.h"
#include "engine/kernels/quantized_activations.h"

namespace troupe::engine::kernels::dot_rows {

Kernel SmallBlockKernel(TensorType type, KernelPath path) {
  switch (path) {
    case KernelPath::kScalar:
      return dot_small_blocks::ScalarKernel(type);
    case KernelPath::kAvx2:
      return dot_small_blocks::Avx2Kernel(type);
    case KernelPath::kAvxVnni:
      return dot_small_blocks::AvxVnniKernel(type);
    case KernelPath::kAvx512:
      return dot_small_blocks::Avx512Kernel(type);
  }
  return nullptr;
}

}  // namespace troupe::engine::kernels::dot_rows

namespace troupe::engine::kernels::dot_small_blocks {

namespace {

// Weight rows come from a mapped file and activation rows from any caller's buffer: nothing
// promises even 2-byte alignment, so every multi-byte field is read byte by byte.
inline uint16_t Load16(const uint8_t* bytes) {
  return static_cast<uint16_t>(bytes[0] | (bytes[1] << 8));
}

// ---- Float weights: eight partial sums per output, element i in sum i % 8 ----

inline float LoadFloat(const uint8_t* row, size_t i) {
  float value;
  std::memcpy(&value, row + 4 * i, sizeof(value));
  return value;
}

struct F32Weights {
  static float Load(const uint8_t* row, size_t i) { return LoadFloat(row, i); }
};
struct F16Weights {
  static float Load(const uint8_t* row, size_t i) { return HalfBitsToFloat(Load16(row + 2 * i)); }
};
struct Bf16Weights {
  static float Load(const uint8_t* row, size_t i) {
    return std::bit_cast<float>(static_cast<uint32_t>(Load16(row + 2 * i)) << 16);
  }
};

constexpr size_t kLanes = 8;

// The fixed order in which the eight partial sums meet (the SIMD paths' horizontal sum).
float SumLanes(const float* partial) {
  return ((partial[0] + partial[4]) + (partial[2] + partial[6])) +
         ((partial[1] + partial[5]) + (partial[3] + partial[7]));
}

template <class Weights>
struct FloatTiles {
  // One weight row against T tokens, eight elements at a time: each weight is converted once and
  // used T times, and the loop over the eight lanes is one the compiler can vectorize without
  // reordering any sum. The last partial step adds the elements that exist to the first lanes.
  template <size_t R, size_t T>
  static void Run(const DotRowsProblem& p, size_t first_row, size_t first_token) {
    static_assert(R == 1);
    const auto* row = reinterpret_cast<const uint8_t*>(p.rows + first_row * p.row_bytes);
    const uint8_t* tokens[T];
    for (size_t t = 0; t < T; ++t) {
      tokens[t] = reinterpret_cast<const uint8_t*>(p.activations +
                                                   (first_token + t) * p.activation_row_bytes);
    }
    float partial[T][kLanes] = {};
    size_t i = 0;
    for (; i + kLanes <= p.cols; i += kLanes) {
      float weights[kLanes];
      for (size_t l = 0; l < kLanes; ++l) weights[l] = Weights::Load(row, i + l);
      for (size_t t = 0; t < T; ++t) {
        for (size_t l = 0; l < kLanes; ++l)
          partial[t][l] += weights[l] * LoadFloat(tokens[t], i + l);
      }
    }
    for (size_t l = 0; i + l < p.cols; ++l) {
      const float weight = Weights::Load(row, i + l);
      for (size_t t = 0; t < T; ++t) partial[t][l] += weight * LoadFloat(tokens[t], i + l);
    }
    for (size_t t = 0; t < T; ++t)
      p.out[(first_token + t) * p.out_stride + first_row] = SumLanes(partial[t]);
  }
};

// ---- Integer weights: an exact integer sum per block, scaled once ----

struct Q8_0Weights {
  static constexpr size_t kBytes = kQ8_0Bytes;
  static void Levels(const uint8_t* block, int8_t* levels) {
    std::memcpy(levels, block + 2, kBlockElements);
  }
};
struct Q4_0Weights {
  static constexpr size_t kBytes = kQ4_0Bytes;
  static void Levels(const uint8_t* block, int8_t* levels) {
    const uint8_t* nibbles = block + 2;
    for (size_t j = 0; j < kBlockElements / 2; ++j) {
      levels[j] = static_cast<int8_t>((nibbles[j] & 0x0F) - 8);
      levels[j + 16] = static_cast<int8_t>((nibbles[j] >> 4) - 8);
    }
  }
};
// kFifthBitBytes[b][k] = 16 if bit k of b is set, else 0: one byte of Q5_0's fifth-bit word
// becomes eight bytes to add at once, where testing bit by bit would stop the compiler from
// vectorizing the unpacking.
constexpr auto kFifthBitBytes = [] {
  std::array<std::array<uint8_t, 8>, 256> table{};
  for (size_t byte = 0; byte < 256; ++byte) {
    for (size_t k = 0; k < 8; ++k) table[byte][k] = ((byte >> k) & 1u) != 0 ? 16 : 0;
  }
  return table;
}();

struct Q5_0Weights {
  static constexpr size_t kBytes = kQ5_0Bytes;
  static void Levels(const uint8_t* block, int8_t* levels) {
    uint8_t fifth[kBlockElements];
    for (size_t k = 0; k < 4; ++k)
      std::memcpy(fifth + 8 * k, kFifthBitBytes[block[2 + k]].data(), 8);
    const uint8_t* nibbles = block + 6;
    for (size_t j = 0; j < kBlockElements / 2; ++j) {
      levels[j] = static_cast<int8_t>(((nibbles[j] & 0x0F) | fifth[j]) - 16);
      levels[j + 16] = static_cast<int8_t>(((nibbles[j] >> 4) | fifth[j + 16]) - 16);
    }
  }
};

template <class Weights>
struct IntTiles {
  // One weight row against T tokens: each block is unpacked once and used T times. Per block,
  // out += (weight scale * activation scale) * exact integer dot, in block order.
  template <size_t R, size_t T>
  static void Run(const DotRowsProblem& p, size_t first_row, size_t first_token) {
    static_assert(R == 1);
    const auto* block = reinterpret_cast<const uint8_t*>(p.rows + first_row * p.row_bytes);
    const uint8_t* tokens[T];
    for (size_t t = 0; t < T; ++t) {
      tokens[t] = reinterpret_cast<const uint8_t*>(p.activations +
                                                   (first_token + t) * p.activation_row_bytes);
    }
    float sums[T] = {};
    int8_t levels[kBlockElements];
    const size_t blocks = p.cols / kBlockElements;
    for (size_t b = 0; b < blocks; ++b, block += Weights::kBytes) {
      Weights::Levels(block, levels);
      const float weight_scale = HalfBitsToFloat(Load16(block));
      for (size_t t = 0; t < T; ++t) {
        const uint8_t* activation = tokens[t] + b * sizeof(BlockQ8_0);
        const auto* activation_levels = reinterpret_cast<const int8_t*>(activation + 2);
        int32_t dot = 0;
        for (size_t j = 0; j < kBlockElements; ++j) dot += levels[j] * activation_levels[j];
        const float scale = weight_scale * HalfBitsToFloat(Load16(activation));
        sums[t] += scale * static_cast<float>(dot);
      }
    }
    for (size_t t = 0; t < T; ++t) p.out[(first_token + t) * p.out_stride + first_row] = sums[t];
  }
};

constexpr size_t kScalarTokens = 4;

}  // namespace

dot_rows::Kernel ScalarKernel(TensorType type) {
  switch (type) {
    case TensorType::kF32:
      return &RunTiles<FloatTiles<F32Weights>, 1, kScalarTokens>;
    case TensorType::kF16:
      return &RunTiles<FloatTiles<F16Weights>, 1, kScalarTokens>;
    case TensorType::kBF16:
      return &RunTiles<FloatTiles<Bf16Weights>, 1, kScalarTokens>;
    case TensorType::kQ8_0:
      return &RunTiles<IntTiles<Q8_0Weights>, 1, kScalarTokens>;
    case TensorType::kQ4_0:
      return &RunTiles<IntTiles<Q4_0Weights>, 1, kScalarTokens>;
    case TensorType::kQ5_0:
      return &RunTiles<IntTiles<Q5_0Weights>, 1, kScalarTokens>;
    default:
      return nullptr;
  }
}

}  // namespace troupe::engine::kernels::dot_small_blocks
