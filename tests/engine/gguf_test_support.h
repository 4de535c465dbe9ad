// Helpers of the GGUF tests (gguf_test.cpp, gguf_corruption_test.cpp): files as bytes, reading
// and patching fields in place, and a writer's worth of every value kind.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "engine/error.h"
#include "engine/gguf.h"

namespace troupe::engine::gguf_testing {

using Bytes = std::vector<std::byte>;

inline Bytes ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Bytes bytes(chars.size());
  std::memcpy(bytes.data(), chars.data(), chars.size());
  return bytes;
}

inline Bytes Pattern(size_t size, uint32_t seed) {
  std::mt19937 random(seed);
  Bytes bytes(size);
  for (std::byte& b : bytes) b = static_cast<std::byte>(random() & 0xFF);
  return bytes;
}

// Offset of the first occurrence of `text` in `bytes`; fails the test when absent.
inline uint64_t Locate(const Bytes& bytes, std::string_view text) {
  const auto* begin = reinterpret_cast<const char*>(bytes.data());
  const std::string_view haystack(begin, bytes.size());
  const size_t at = haystack.find(text);
  EXPECT_NE(at, std::string_view::npos) << text;
  return at;
}

template <typename T>
void Put(Bytes& bytes, uint64_t at, T value) {
  ASSERT_LE(at + sizeof(T), bytes.size());
  std::memcpy(bytes.data() + at, &value, sizeof(T));  // the test host is little-endian
}

template <typename T>
T Get(const Bytes& bytes, uint64_t at) {
  T value{};
  std::memcpy(&value, bytes.data() + at, sizeof(T));
  return value;
}

// Parses `bytes`, expecting EngineError(kInvalidInput); returns its message.
inline std::string InvalidMessage(const Bytes& bytes) {
  try {
    GgufFile::FromBytes(bytes, "bad.gguf");
  } catch (const EngineError& error) {
    EXPECT_EQ(error.kind(), EngineError::Kind::kInvalidInput) << error.what();
    return error.what();
  }
  ADD_FAILURE() << "parsed without error";
  return "";
}

// Reads every value and every tensor byte, so a view past the end would trip ASan.
inline uint64_t TouchEverything(const GgufFile& file) {
  uint64_t sum = 0;
  for (const GgufKeyValue& entry : file.metadata()) {
    sum += entry.key.size() + entry.value.Describe(200).size();
  }
  for (const GgufTensorInfo& tensor : file.tensors()) {
    for (std::byte b : file.TensorData(tensor)) sum += static_cast<uint8_t>(b);
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------

inline GgufArray ArrayOf(GgufType type, std::vector<GgufValue> items) {
  return GgufArray{type, std::move(items)};
}

inline std::vector<GgufKeyValue> EveryKindOfValue() {
  const std::string with_nuls("a\0b\0\0c", 6);
  const float float_nan = std::bit_cast<float>(uint32_t{0x7FC01234});  // NaN with a payload
  const double double_nan = std::bit_cast<double>(uint64_t{0xFFF8000000ABCDEF});
  return {
      {"u8.max", uint8_t{255}},
      {"i8.min", int8_t{-128}},
      {"u16.max", uint16_t{65535}},
      {"i16.min", int16_t{-32768}},
      {"u32.max", std::numeric_limits<uint32_t>::max()},
      {"i32.min", std::numeric_limits<int32_t>::min()},
      {"f32.value", 0.15625f},
      {"bool.true", true},
      {"bool.false", false},
      {"string.utf8", "h\xC3\xA9llo \xE2\x9C\x93 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80"},
      {"string.nuls", with_nuls},
      {"string.empty", ""},
      {"u64.max", std::numeric_limits<uint64_t>::max()},
      {"i64.min", std::numeric_limits<int64_t>::min()},
      {"i64.max", std::numeric_limits<int64_t>::max()},
      {"f64.value", -1.0e300},
      {"f32.nan", float_nan},
      {"f32.inf", std::numeric_limits<float>::infinity()},
      {"f32.minus_inf", -std::numeric_limits<float>::infinity()},
      {"f32.minus_zero", -0.0f},
      {"f32.denormal", std::numeric_limits<float>::denorm_min()},
      {"f64.nan", double_nan},
      {"f64.inf", std::numeric_limits<double>::infinity()},
      {"array.empty_u8", ArrayOf(GgufType::kUint8, {})},
      {"array.empty_string", ArrayOf(GgufType::kString, {})},
      {"array.empty_array", ArrayOf(GgufType::kArray, {})},
      {"array.i32", ArrayOf(GgufType::kInt32, {int32_t{-1}, int32_t{0}, int32_t{2147483647}})},
      {"array.f32", ArrayOf(GgufType::kFloat32, {1.5f, float_nan, -0.0f})},
      {"array.bool", ArrayOf(GgufType::kBool, {true, false, true})},
      {"array.u64", ArrayOf(GgufType::kUint64, {std::numeric_limits<uint64_t>::max(), uint64_t{0}})},
      {"array.string", ArrayOf(GgufType::kString, {"<s>", "", with_nuls, "\xE2\x96\x81the"})},
      {"array.nested",
       ArrayOf(GgufType::kArray,
               {ArrayOf(GgufType::kInt16, {int16_t{1}, int16_t{-2}}),
                ArrayOf(GgufType::kString, {"x"}),
                ArrayOf(GgufType::kArray, {ArrayOf(GgufType::kFloat64, {2.5, -0.0})}),
                ArrayOf(GgufType::kUint8, {})})},
  };
}

}  // namespace troupe::engine::gguf_testing
