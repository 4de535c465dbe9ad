// The ggml tensor element types a GGUF file may name, with their block layouts. Every known type
// has traits (so a file's tensor sizes can be validated even when the engine cannot compute with
// that type); `IsSupported` says whether quant.h can encode and decode it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace troupe::engine {

// Values are the on-disk ggml_type numbers.
enum class TensorType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ2_XXS = 16,
  kIQ2_XS = 17,
  kIQ3_XXS = 18,
  kIQ1_S = 19,
  kIQ4_NL = 20,
  kIQ3_S = 21,
  kIQ2_S = 22,
  kIQ4_XS = 23,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kIQ1_M = 29,
  kBF16 = 30,
  kTQ1_0 = 34,
  kTQ2_0 = 35,
};

struct TensorTypeTraits {
  std::string_view name;        // "Q4_K", as ggml and llama.cpp print it
  uint32_t block_elements = 0;  // elements per block (1 for plain types)
  uint32_t block_bytes = 0;     // bytes per block
};

// Traits of a known type; nullopt for a number no ggml version assigned.
std::optional<TensorTypeTraits> TraitsOf(uint32_t raw_type);
TensorTypeTraits TraitsOf(TensorType type);
std::string_view NameOf(TensorType type);
// Parses "q4_k", "Q4_K", "f16", "bf16" (case-insensitive) into a type.
std::optional<TensorType> ParseTensorType(std::string_view name);
// True for the types quant.h encodes and decodes: F32 F16 BF16 Q8_0 Q4_0 Q5_0 Q4_K Q5_K Q6_K.
bool IsSupported(TensorType type);

// Bytes needed for `elements` elements of `type`, or nullopt when `elements` is not a whole
// number of blocks or the size overflows 64 bits.
std::optional<uint64_t> ByteSizeOf(TensorType type, uint64_t elements);

}  // namespace troupe::engine
