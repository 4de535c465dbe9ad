#include "engine/tensor_type.h"

#include <array>
#include <cctype>
#include <limits>
#include <string>

namespace troupe::engine {
namespace {

struct KnownType {
  TensorType type;
  TensorTypeTraits traits;
};

// Block layouts as ggml defines them (ggml-common.h): elements per block, bytes per block.
constexpr std::array kKnownTypes = {
    KnownType{TensorType::kF32, {"F32", 1, 4}},
    KnownType{TensorType::kF16, {"F16", 1, 2}},
    KnownType{TensorType::kQ4_0, {"Q4_0", 32, 18}},
    KnownType{TensorType::kQ4_1, {"Q4_1", 32, 20}},
    KnownType{TensorType::kQ5_0, {"Q5_0", 32, 22}},
    KnownType{TensorType::kQ5_1, {"Q5_1", 32, 24}},
    KnownType{TensorType::kQ8_0, {"Q8_0", 32, 34}},
    KnownType{TensorType::kQ8_1, {"Q8_1", 32, 36}},
    KnownType{TensorType::kQ2_K, {"Q2_K", 256, 84}},
    KnownType{TensorType::kQ3_K, {"Q3_K", 256, 110}},
    KnownType{TensorType::kQ4_K, {"Q4_K", 256, 144}},
    KnownType{TensorType::kQ5_K, {"Q5_K", 256, 176}},
    KnownType{TensorType::kQ6_K, {"Q6_K", 256, 210}},
    KnownType{TensorType::kQ8_K, {"Q8_K", 256, 292}},
    KnownType{TensorType::kIQ2_XXS, {"IQ2_XXS", 256, 66}},
    KnownType{TensorType::kIQ2_XS, {"IQ2_XS", 256, 74}},
    KnownType{TensorType::kIQ3_XXS, {"IQ3_XXS", 256, 98}},
    KnownType{TensorType::kIQ1_S, {"IQ1_S", 256, 50}},
    KnownType{TensorType::kIQ4_NL, {"IQ4_NL", 32, 18}},
    KnownType{TensorType::kIQ3_S, {"IQ3_S", 256, 110}},
    KnownType{TensorType::kIQ2_S, {"IQ2_S", 256, 82}},
    KnownType{TensorType::kIQ4_XS, {"IQ4_XS", 256, 136}},
    KnownType{TensorType::kI8, {"I8", 1, 1}},
    KnownType{TensorType::kI16, {"I16", 1, 2}},
    KnownType{TensorType::kI32, {"I32", 1, 4}},
    KnownType{TensorType::kI64, {"I64", 1, 8}},
    KnownType{TensorType::kF64, {"F64", 1, 8}},
    KnownType{TensorType::kIQ1_M, {"IQ1_M", 256, 56}},
    KnownType{TensorType::kBF16, {"BF16", 1, 2}},
    KnownType{TensorType::kTQ1_0, {"TQ1_0", 256, 54}},
    KnownType{TensorType::kTQ2_0, {"TQ2_0", 256, 66}},
};

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) !=
        std::toupper(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<TensorTypeTraits> TraitsOf(uint32_t raw_type) {
  for (const KnownType& known : kKnownTypes) {
    if (static_cast<uint32_t>(known.type) == raw_type) return known.traits;
  }
  return std::nullopt;
}

TensorTypeTraits TraitsOf(TensorType type) {
  // Every enumerator is in the table, so this always finds one.
  return TraitsOf(static_cast<uint32_t>(type)).value_or(TensorTypeTraits{"?", 1, 1});
}

std::string_view NameOf(TensorType type) { return TraitsOf(type).name; }

std::optional<TensorType> ParseTensorType(std::string_view name) {
  for (const KnownType& known : kKnownTypes) {
    if (EqualsIgnoringCase(known.traits.name, name)) return known.type;
  }
  return std::nullopt;
}

bool IsSupported(TensorType type) {
  switch (type) {
    case TensorType::kF32:
    case TensorType::kF16:
    case TensorType::kBF16:
    case TensorType::kQ8_0:
    case TensorType::kQ4_0:
    case TensorType::kQ5_0:
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
    case TensorType::kQ6_K:
      return true;
    default:
      return false;
  }
}

std::optional<uint64_t> ByteSizeOf(TensorType type, uint64_t elements) {
  const TensorTypeTraits traits = TraitsOf(type);
  if (elements % traits.block_elements != 0) return std::nullopt;
  const uint64_t blocks = elements / traits.block_elements;
  if (blocks > std::numeric_limits<uint64_t>::max() / traits.block_bytes) return std::nullopt;
  return blocks * traits.block_bytes;
}

}  // namespace troupe::engine
