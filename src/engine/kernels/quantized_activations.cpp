#include "engine/kernels/quantized_activations.h"

#include <cmath>
#include <cstring>

#include "engine/kernels/fp16.h"
#include "engine/quant.h"
#include "engine/quant_blocks.h"

namespace troupe::engine::kernels {

namespace {

void QuantizeQ8_0(const float* x, size_t cols, BlockQ8_0* blocks) {
  for (size_t b = 0; b < cols / kQ8_0BlockElements; ++b, x += kQ8_0BlockElements) {
    float max_magnitude = 0.0f;
    for (size_t j = 0; j < kQ8_0BlockElements; ++j) max_magnitude = std::fmax(max_magnitude, std::fabs(x[j]));
    const float scale = max_magnitude / 127.0f;
    const float inverse = max_magnitude != 0.0f ? 127.0f / max_magnitude : 0.0f;
    blocks[b].scale = FloatToHalf(scale);
    for (size_t j = 0; j < kQ8_0BlockElements; ++j) {
      // nearbyint rounds half to even in the default rounding mode, as the SIMD rounding does.
      blocks[b].levels[j] = static_cast<int8_t>(std::nearbyint(x[j] * inverse));
    }
  }
}

void QuantizeQ8_K(const float* x, size_t cols, BlockQ8_K* blocks) {
  for (size_t b = 0; b < cols / kQ8_KBlockElements; ++b, x += kQ8_KBlockElements) {
    BlockQ8_K& block = blocks[b];
    float extreme = 0.0f;  // the element of largest magnitude, with its sign
    float max_magnitude = 0.0f;
    for (size_t j = 0; j < kQ8_KBlockElements; ++j) {
      const float magnitude = std::fabs(x[j]);
      if (magnitude > max_magnitude) {
        max_magnitude = magnitude;
        extreme = x[j];
      }
    }
    if (max_magnitude == 0.0f) {
      std::memset(&block, 0, sizeof(block));
      continue;
    }
    // -127 / extreme maps the extreme to -127 whatever its sign, so levels stay in [-127, 127].
    const float inverse = -127.0f / extreme;
    for (size_t j = 0; j < kQ8_KBlockElements; ++j) {
      const int level = quant_blocks::NearestInt(inverse * x[j]);
      block.levels[j] = static_cast<int8_t>(level > 127 ? 127 : level);
    }
    for (size_t run = 0; run < kQ8_KBlockElements / 16; ++run) {
      int sum = 0;
      for (size_t j = 0; j < 16; ++j) sum += block.levels[run * 16 + j];
      block.sums[run] = static_cast<int16_t>(sum);
    }
    block.scale = 1.0f / inverse;
  }
}

}  // namespace

ActivationFormat ActivationFormatFor(TensorType weight_type) {
  switch (weight_type) {
    case TensorType::kQ8_0:
    case TensorType::kQ4_0:
    case TensorType::kQ5_0:
      return ActivationFormat::kQ8_0;
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
    case TensorType::kQ6_K:
      return ActivationFormat::kQ8_K;
    default:
      return ActivationFormat::kF32;
  }
}

size_t ActivationRowBytes(ActivationFormat format, size_t cols) {
  switch (format) {
    case ActivationFormat::kQ8_0: return cols / kQ8_0BlockElements * sizeof(BlockQ8_0);
    case ActivationFormat::kQ8_K: return cols / kQ8_KBlockElements * sizeof(BlockQ8_K);
    case ActivationFormat::kF32: break;
  }
  return cols * sizeof(float);
}

void QuantizeActivationRow(ActivationFormat format, const float* x, size_t cols, std::byte* out) {
  switch (format) {
    case ActivationFormat::kQ8_0:
      QuantizeQ8_0(x, cols, reinterpret_cast<BlockQ8_0*>(out));
      return;
    case ActivationFormat::kQ8_K:
      QuantizeQ8_K(x, cols, reinterpret_cast<BlockQ8_K*>(out));
      return;
    case ActivationFormat::kF32:
      std::memcpy(out, x, cols * sizeof(float));
      return;
  }
}

}  // namespace troupe::engine::kernels
