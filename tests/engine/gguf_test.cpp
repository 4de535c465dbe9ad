// GGUF: the writer's layout byte for byte, write-then-read of every value type, the shared model
// files as the README describes them, and corrupt files, which must fail with an error naming
// the byte offset (and the key or tensor) rather than crash.
#include <gtest/gtest.h>

#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/gguf.h"
#include "support/temp_dir.h"

namespace troupe::engine {
namespace {

using troupe::testing::SharedDir;
using troupe::testing::TempDir;
using Bytes = std::vector<std::byte>;

Bytes ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Bytes bytes(chars.size());
  std::memcpy(bytes.data(), chars.data(), chars.size());
  return bytes;
}

Bytes Pattern(size_t size, uint32_t seed) {
  std::mt19937 random(seed);
  Bytes bytes(size);
  for (std::byte& b : bytes) b = static_cast<std::byte>(random() & 0xFF);
  return bytes;
}

// Offset of the first occurrence of `text` in `bytes`; fails the test when absent.
uint64_t Locate(const Bytes& bytes, std::string_view text) {
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
std::string InvalidMessage(const Bytes& bytes) {
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
uint64_t TouchEverything(const GgufFile& file) {
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
// The writer's layout, checked against the specification rather than against our own reader.

TEST(GgufWriterTest, LaysOutHeaderMetadataInfosAndAlignedData) {
  GgufWriter writer;
  writer.Set("a", uint32_t{7});
  writer.AddTensor("t", TensorType::kF32, {2}, Bytes{std::byte{1}, std::byte{2}, std::byte{3},
                                                     std::byte{4}, std::byte{5}, std::byte{6},
                                                     std::byte{7}, std::byte{8}});
  const Bytes bytes = writer.Serialize();

  Bytes expected;
  auto append = [&expected](std::initializer_list<uint8_t> values) {
    for (uint8_t v : values) expected.push_back(std::byte{v});
  };
  append({'G', 'G', 'U', 'F', 3, 0, 0, 0});                    // magic, version 3
  append({1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0});   // 1 tensor, 1 key
  append({1, 0, 0, 0, 0, 0, 0, 0, 'a', 4, 0, 0, 0, 7, 0, 0, 0});  // "a": uint32 7
  append({1, 0, 0, 0, 0, 0, 0, 0, 't', 1, 0, 0, 0});          // "t", 1 dimension
  append({2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});                // [2], F32
  append({0, 0, 0, 0, 0, 0, 0, 0});                            // offset 0
  expected.resize(96, std::byte{0});                           // 70 bytes padded to 96
  append({1, 2, 3, 4, 5, 6, 7, 8});
  expected.resize(128, std::byte{0});                          // data padded too
  EXPECT_EQ(bytes, expected);
}

TEST(GgufWriterTest, WritesGeneralAlignmentOnlyWhenNot32) {
  GgufWriter writer;
  writer.Set("x", uint8_t{1});
  EXPECT_EQ(GgufFile::FromBytes(writer.Serialize()).Find("general.alignment"), nullptr);
  writer.SetAlignment(64);
  const GgufFile file = GgufFile::FromBytes(writer.Serialize());
  ASSERT_NE(file.Find("general.alignment"), nullptr);
  EXPECT_EQ(*file.Find("general.alignment"), GgufValue(uint32_t{64}));
  EXPECT_EQ(file.alignment(), 64u);
  // Setting the key is the same as SetAlignment, and 32 drops it again.
  writer.Set("general.alignment", uint32_t{32});
  EXPECT_EQ(GgufFile::FromBytes(writer.Serialize()).Find("general.alignment"), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Write, then read back: every value type.

GgufArray ArrayOf(GgufType type, std::vector<GgufValue> items) {
  return GgufArray{type, std::move(items)};
}

std::vector<GgufKeyValue> EveryKindOfValue() {
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

TEST(GgufRoundTripTest, EveryValueTypeReadsBackIdenticallyAndInOrder) {
  GgufWriter writer;
  const std::vector<GgufKeyValue> values = EveryKindOfValue();
  for (const GgufKeyValue& entry : values) writer.Set(entry.key, entry.value);
  const GgufFile file = GgufFile::FromBytes(writer.Serialize());

  EXPECT_EQ(file.version(), 3u);
  ASSERT_EQ(file.metadata().size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(file.metadata()[i].key, values[i].key);
    EXPECT_EQ(file.metadata()[i].value.type(), values[i].value.type()) << values[i].key;
    EXPECT_TRUE(file.metadata()[i].value == values[i].value) << values[i].key;
  }
  // A few checks spelled out, so a bug in operator== cannot hide a wrong value.
  EXPECT_EQ(file.OptionalUint("u64.max"), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(file.Find("i64.min")->AsInt(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(file.RequireString("string.nuls"), std::string("a\0b\0\0c", 6));
  EXPECT_EQ(file.RequireString("string.utf8").size(), 22u);
  EXPECT_EQ(std::bit_cast<uint32_t>(std::get<float>(file.Find("f32.nan")->storage())),
            0x7FC01234u);
  EXPECT_EQ(std::bit_cast<uint64_t>(std::get<double>(file.Find("f64.nan")->storage())),
            0xFFF8000000ABCDEFu);
  EXPECT_TRUE(std::isinf(*file.OptionalDouble("f32.minus_inf")));
  EXPECT_TRUE(std::signbit(std::get<float>(file.Find("f32.minus_zero")->storage())));
  EXPECT_EQ(file.OptionalBool("bool.false"), false);
  const std::vector<std::string_view> strings = file.StringArray("array.string");
  ASSERT_EQ(strings.size(), 4u);
  EXPECT_EQ(strings[2], std::string_view("a\0b\0\0c", 6));
  EXPECT_EQ(file.IntArray("array.i32"), (std::vector<int64_t>{-1, 0, 2147483647}));
  const GgufArray& nested = *file.Find("array.nested")->AsArray();
  ASSERT_EQ(nested.items.size(), 4u);
  EXPECT_EQ(nested.items[2].AsArray()->items[0].AsArray()->items[0], GgufValue(2.5));
  EXPECT_TRUE(file.tensors().empty());
}

TEST(GgufRoundTripTest, SettingAKeyAgainReplacesItInPlace) {
  GgufWriter writer;
  writer.Set("first", uint32_t{1});
  writer.Set("second", "two");
  writer.Set("first", "one");
  const GgufFile file = GgufFile::FromBytes(writer.Serialize());
  ASSERT_EQ(file.metadata().size(), 2u);
  EXPECT_EQ(file.metadata()[0].key, "first");
  EXPECT_EQ(file.RequireString("first"), "one");
}

struct TensorCase {
  std::string name;
  TensorType type;
  std::vector<uint64_t> shape;
  uint64_t bytes;
};

// Several element types; sizes chosen so that most tensors end off the alignment.
const std::vector<TensorCase> kTensorCases = {
    {"f32.vector", TensorType::kF32, {5}, 20},
    {"f16.matrix", TensorType::kF16, {3, 7}, 42},
    {"bf16.matrix", TensorType::kBF16, {2, 2, 2}, 16},
    {"q8_0.matrix", TensorType::kQ8_0, {64, 3}, 6 * 34},
    {"q4_0.matrix", TensorType::kQ4_0, {32, 1}, 18},
    {"q5_0.matrix", TensorType::kQ5_0, {96, 1}, 66},
    {"q4_k.matrix", TensorType::kQ4_K, {256, 2}, 288},
    {"q5_k.matrix", TensorType::kQ5_K, {256, 1}, 176},
    {"q6_k.matrix", TensorType::kQ6_K, {512, 1, 1, 1}, 420},
    {"i32.vector", TensorType::kI32, {3}, 12},
};

void CheckTensorsAt(uint64_t alignment) {
  SCOPED_TRACE("alignment " + std::to_string(alignment));
  GgufWriter writer;
  writer.SetAlignment(alignment);
  writer.Set("general.architecture", "test");
  for (size_t i = 0; i < kTensorCases.size(); ++i) {
    const TensorCase& c = kTensorCases[i];
    writer.AddTensor(c.name, c.type, c.shape, Pattern(c.bytes, static_cast<uint32_t>(i)));
  }
  const Bytes bytes = writer.Serialize();
  const GgufFile file = GgufFile::FromBytes(bytes);
  EXPECT_EQ(file.alignment(), alignment);
  EXPECT_EQ(file.data_offset() % alignment, 0u);
  EXPECT_EQ(file.file_size(), bytes.size());
  EXPECT_EQ(file.file_size() % alignment, 0u);
  ASSERT_EQ(file.tensors().size(), kTensorCases.size());
  uint64_t expected_offset = 0;
  for (size_t i = 0; i < kTensorCases.size(); ++i) {
    const TensorCase& c = kTensorCases[i];
    const GgufTensorInfo& tensor = file.tensors()[i];
    EXPECT_EQ(tensor.name, c.name);
    EXPECT_EQ(tensor.type, c.type);
    EXPECT_EQ(tensor.shape, c.shape);
    EXPECT_EQ(tensor.byte_size, c.bytes);
    EXPECT_EQ(tensor.offset, expected_offset) << c.name;
    const std::span<const std::byte> data = file.TensorData(tensor);
    EXPECT_TRUE(std::equal(data.begin(), data.end(), Pattern(c.bytes, static_cast<uint32_t>(i)).begin()))
        << c.name;
    expected_offset += (c.bytes + alignment - 1) / alignment * alignment;
    EXPECT_EQ(file.FindTensor(c.name), &tensor);
  }
  EXPECT_EQ(file.data_offset() + expected_offset, bytes.size());
}

TEST(GgufRoundTripTest, TensorsOfSeveralTypesAtAlignment32And64) {
  CheckTensorsAt(32);
  CheckTensorsAt(64);
  CheckTensorsAt(1);
  CheckTensorsAt(4096);
}

TEST(GgufRoundTripTest, TensorSourcesProduceTheSameFileAsInMemoryData) {
  GgufWriter eager;
  GgufWriter lazy;
  int calls = 0;
  for (size_t i = 0; i < kTensorCases.size(); ++i) {
    const TensorCase& c = kTensorCases[i];
    const Bytes data = Pattern(c.bytes, static_cast<uint32_t>(i));
    eager.AddTensor(c.name, c.type, c.shape, data);
    lazy.AddTensor(c.name, c.type, c.shape, [data, &calls] {
      ++calls;
      return data;
    });
  }
  EXPECT_EQ(calls, 0);  // nothing is produced before the write
  EXPECT_EQ(lazy.Serialize(), eager.Serialize());

  TempDir dir;
  lazy.WriteFile(dir / "lazy.gguf");
  EXPECT_EQ(ReadAll(dir / "lazy.gguf"), eager.Serialize());
  EXPECT_EQ(calls, 2 * static_cast<int>(kTensorCases.size()));
}

TEST(GgufRoundTripTest, WriteFileMatchesSerializeAndOpensMapped) {
  GgufWriter writer;
  for (const GgufKeyValue& entry : EveryKindOfValue()) writer.Set(entry.key, entry.value);
  writer.AddTensor("weights", TensorType::kQ8_0, {32, 4}, Pattern(4 * 34, 9));
  TempDir dir;
  const auto path = dir / "model.gguf";
  writer.WriteFile(path);
  writer.WriteFile(path);  // replacing an existing file works too
  EXPECT_EQ(ReadAll(path), writer.Serialize());
  const GgufFile file = GgufFile::Open(path);
  EXPECT_EQ(file.label(), path.string());
  EXPECT_EQ(file.tensors().at(0).byte_size, 4u * 34);
  // Only the file itself is left: the temporary was renamed, not copied.
  size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1u);
}

// ---------------------------------------------------------------------------------------------
// Writer errors.

template <typename Function>
EngineError CatchEngineError(Function&& function) {
  try {
    function();
  } catch (const EngineError& error) {
    return error;
  }
  ADD_FAILURE() << "no EngineError";
  return EngineError(EngineError::Kind::kInvalidInput, "");
}

TEST(GgufWriterTest, RejectsTensorsWhoseDataDoesNotMatchShapeAndType) {
  GgufWriter writer;
  EngineError error = CatchEngineError(
      [&] { writer.AddTensor("blk.0.attn_q.weight", TensorType::kQ8_0, {64, 2}, Bytes(100)); });
  EXPECT_EQ(error.kind(), EngineError::Kind::kInvalidInput);
  EXPECT_NE(std::string(error.what()).find("'blk.0.attn_q.weight'"), std::string::npos) << error.what();
  EXPECT_NE(std::string(error.what()).find("needs 136 bytes, got 100"), std::string::npos) << error.what();

  error = CatchEngineError([&] { writer.AddTensor("rows", TensorType::kQ4_K, {128, 2}, Bytes(144)); });
  EXPECT_NE(std::string(error.what()).find("'rows'"), std::string::npos) << error.what();
  error = CatchEngineError([&] { writer.AddTensor("none", TensorType::kF32, {}, Bytes()); });
  EXPECT_NE(std::string(error.what()).find("'none'"), std::string::npos) << error.what();
  error = CatchEngineError([&] { writer.AddTensor("five", TensorType::kF32, {1, 1, 1, 1, 1}, Bytes(4)); });
  EXPECT_NE(std::string(error.what()).find("'five'"), std::string::npos) << error.what();
  error = CatchEngineError([&] { writer.AddTensor("zero", TensorType::kF32, {4, 0}, Bytes()); });
  EXPECT_NE(std::string(error.what()).find("'zero'"), std::string::npos) << error.what();
  error = CatchEngineError([&] {
    writer.AddTensor("huge", TensorType::kF32, {uint64_t{1} << 40, uint64_t{1} << 40}, Bytes());
  });
  EXPECT_NE(std::string(error.what()).find("'huge'"), std::string::npos) << error.what();
  error = CatchEngineError([&] { writer.AddTensor(std::string(64, 'n'), TensorType::kF32, {1}, Bytes(4)); });
  EXPECT_EQ(error.kind(), EngineError::Kind::kInvalidInput);

  writer.AddTensor("once", TensorType::kF32, {1}, Bytes(4));
  error = CatchEngineError([&] { writer.AddTensor("once", TensorType::kF32, {1}, Bytes(4)); });
  EXPECT_NE(std::string(error.what()).find("'once': added twice"), std::string::npos) << error.what();
}

TEST(GgufWriterTest, RejectsBadMetadataAndAlignment) {
  GgufWriter writer;
  EngineError error = CatchEngineError([&] {
    writer.Set("mixed", ArrayOf(GgufType::kInt32, {int32_t{1}, "two"}));
  });
  EXPECT_NE(std::string(error.what()).find("'mixed': array item 1 is string"), std::string::npos)
      << error.what();
  error = CatchEngineError([&] { writer.Set("general.alignment", uint64_t{64}); });
  EXPECT_NE(std::string(error.what()).find("general.alignment"), std::string::npos) << error.what();
  EXPECT_THROW(writer.SetAlignment(48), EngineError);
  EXPECT_THROW(writer.SetAlignment(0), EngineError);
  EXPECT_THROW(writer.Set("", uint8_t{0}), EngineError);
}

TEST(GgufWriterTest, ASourceOfTheWrongSizeFailsTheWriteAndLeavesNoFile) {
  GgufWriter writer;
  writer.AddTensor("short", TensorType::kF32, {4}, GgufWriter::TensorSource([] { return Bytes(12); }));
  TempDir dir;
  const EngineError error = CatchEngineError([&] { writer.WriteFile(dir / "out.gguf"); });
  EXPECT_EQ(error.kind(), EngineError::Kind::kInvalidInput);
  EXPECT_NE(std::string(error.what()).find("'short': source produced 12 bytes, expected 16"),
            std::string::npos)
      << error.what();
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  EXPECT_THROW(writer.Serialize(), EngineError);
}

TEST(GgufWriterTest, IoErrorsNameThePath) {
  GgufWriter writer;
  writer.Set("x", uint8_t{1});
  TempDir dir;
  const auto path = dir / "missing-dir" / "out.gguf";
  const EngineError error = CatchEngineError([&] { writer.WriteFile(path); });
  EXPECT_EQ(error.kind(), EngineError::Kind::kIo);
  EXPECT_NE(std::string(error.what()).find((dir / "missing-dir").string()), std::string::npos)
      << error.what();

  const EngineError open_error =
      CatchEngineError([&] { GgufFile::Open(dir / "nothing-here.gguf"); });
  EXPECT_EQ(open_error.kind(), EngineError::Kind::kIo);
  EXPECT_NE(std::string(open_error.what()).find("nothing-here.gguf"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// The shared model and vocabulary files, as shared/models/README.md describes them.

struct SharedModel {
  std::string path;  // under shared/
  std::string architecture;
  uint64_t embedding_length;
  uint64_t block_count;
  uint64_t head_count;
  uint64_t head_count_kv;
  uint64_t vocab_size;
  std::map<std::string, int> tensor_types;  // type name -> count
  uint64_t file_size;
};

const std::vector<SharedModel> kSharedModels = {
    {"models/stories260K.gguf", "llama", 64, 5, 8, 4, 512, {{"F32", 48}}, 1185376},
    {"models/synthetic/tiny-llama-spm-F16.gguf", "llama", 256, 4, 8, 4, 32000,
     {{"F16", 30}, {"F32", 9}}, 39796000},
    {"models/synthetic/tiny-llama-spm-Q8_0.gguf", "llama", 256, 4, 8, 4, 32000,
     {{"Q8_0", 30}, {"F32", 9}}, 21486912},
    {"models/synthetic/tiny-llama-spm-Q4_0.gguf", "llama", 256, 4, 8, 4, 32000,
     {{"Q4_0", 29}, {"Q6_K", 1}, {"F32", 9}}, 13834048},
    {"models/synthetic/tiny-llama-spm-Q4_K_M.gguf", "llama", 256, 4, 8, 4, 32000,
     {{"Q4_K", 25}, {"Q6_K", 5}, {"F32", 9}}, 13952320},
    {"models/synthetic/tiny-qwen2-bpe-Q4_K_M.gguf", "qwen2", 64, 2, 4, 2, 151936,
     {{"Q5_0", 12}, {"Q8_0", 3}, {"F32", 11}}, 16392576},
    {"models/synthetic/tiny-llama3-bpe-Q8_0.gguf", "llama", 64, 2, 4, 1, 128256,
     {{"Q8_0", 15}, {"F32", 5}}, 16668768},
};

TEST(GgufSharedFilesTest, EveryModelOpensWithTheShapeTheReadmeGives) {
  for (const SharedModel& model : kSharedModels) {
    SCOPED_TRACE(model.path);
    const GgufFile file = GgufFile::Open(SharedDir() / model.path);
    EXPECT_EQ(file.version(), 3u);
    EXPECT_EQ(file.file_size(), model.file_size);
    EXPECT_EQ(file.alignment(), 32u);
    const std::string arch = model.architecture;
    EXPECT_EQ(file.RequireString("general.architecture"), arch);
    EXPECT_EQ(file.RequireUint(arch + ".embedding_length"), model.embedding_length);
    EXPECT_EQ(file.RequireUint(arch + ".block_count"), model.block_count);
    EXPECT_EQ(file.RequireUint(arch + ".attention.head_count"), model.head_count);
    EXPECT_EQ(file.RequireUint(arch + ".attention.head_count_kv"), model.head_count_kv);
    EXPECT_EQ(file.StringArray("tokenizer.ggml.tokens").size(), model.vocab_size);
    std::map<std::string, int> types;
    uint64_t data_end = 0;
    for (const GgufTensorInfo& tensor : file.tensors()) {
      ++types[std::string(NameOf(tensor.type))];
      EXPECT_EQ(file.TensorData(tensor).size(), tensor.byte_size);
      data_end = std::max(data_end, file.data_offset() + tensor.offset + tensor.byte_size);
    }
    EXPECT_EQ(types, model.tensor_types);
    EXPECT_LE(data_end, file.file_size());
    EXPECT_GT(data_end + file.alignment(), file.file_size());  // no unexplained trailing bytes
    const GgufTensorInfo* embedding = file.FindTensor("token_embd.weight");
    ASSERT_NE(embedding, nullptr);
    EXPECT_EQ(embedding->shape, (std::vector<uint64_t>{model.embedding_length, model.vocab_size}));
  }
}

TEST(GgufSharedFilesTest, Stories260KDetails) {
  const GgufFile file = GgufFile::Open(SharedDir() / "models/stories260K.gguf");
  EXPECT_EQ(file.metadata().size(), 19u);
  EXPECT_EQ(file.data_offset(), 14176u);
  EXPECT_EQ(file.RequireUint("llama.feed_forward_length"), 172u);
  EXPECT_EQ(file.RequireUint("llama.rope.dimension_count"), 8u);
  EXPECT_FLOAT_EQ(static_cast<float>(*file.OptionalDouble("llama.attention.layer_norm_rms_epsilon")),
                  1e-5f);
  EXPECT_EQ(file.OptionalUint("tokenizer.ggml.seperator_token_id"), 4294967295u);
  EXPECT_EQ(file.StringArray("tokenizer.ggml.tokens")[1], "<s>");
  EXPECT_EQ(file.FloatArray("tokenizer.ggml.scores").size(), 512u);
  EXPECT_EQ(file.IntArray("tokenizer.ggml.token_type")[0], 2);
  const GgufTensorInfo& down = *file.FindTensor("blk.0.ffn_down.weight");
  EXPECT_EQ(down.shape, (std::vector<uint64_t>{172, 64}));
  EXPECT_EQ(down.offset, 355840u);
  // First weight of token_embd, as a plain float.
  float first = 0;
  std::memcpy(&first, file.TensorData(*file.FindTensor("token_embd.weight")).data(), sizeof first);
  EXPECT_TRUE(std::isfinite(first));
}

struct SharedVocab {
  std::string name;
  std::string architecture;
  std::string tokenizer_model;
  uint64_t tokens;
};

const std::vector<SharedVocab> kSharedVocabs = {
    {"baichuan", "baichuan", "llama", 64000},       {"bert-bge", "bert", "bert", 30522},
    {"deepseek-coder", "llama", "gpt2", 32256},     {"deepseek-llm", "llama", "gpt2", 102400},
    {"falcon", "falcon", "gpt2", 65024},            {"gpt-2", "gpt2", "gpt2", 50257},
    {"gpt-neox", "gptneox", "gpt2", 50432},         {"llama-bpe", "llama", "gpt2", 128256},
    {"llama-spm", "llama", "llama", 32000},         {"mpt", "mpt", "gpt2", 50432},
    {"phi-3", "phi3", "llama", 32064},              {"qwen2", "qwen2", "gpt2", 151936},
    {"refact", "refact", "gpt2", 49216},            {"starcoder", "starcoder2", "gpt2", 49152},
};

TEST(GgufSharedFilesTest, EveryVocabularyFileOpens) {
  size_t seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(SharedDir() / "testdata/tokenizer")) {
    if (entry.path().extension() == ".gguf") ++seen;
  }
  EXPECT_EQ(seen, kSharedVocabs.size());  // a new file here needs a row in the table
  for (const SharedVocab& vocab : kSharedVocabs) {
    SCOPED_TRACE(vocab.name);
    const GgufFile file =
        GgufFile::Open(SharedDir() / "testdata/tokenizer" / ("ggml-vocab-" + vocab.name + ".gguf"));
    EXPECT_EQ(file.RequireString("general.architecture"), vocab.architecture);
    EXPECT_EQ(file.RequireString("tokenizer.ggml.model"), vocab.tokenizer_model);
    EXPECT_EQ(file.StringArray("tokenizer.ggml.tokens").size(), vocab.tokens);
    EXPECT_TRUE(file.tensors().empty());
    EXPECT_GT(TouchEverything(file), 0u);
  }
}

// Re-serializing a file with our writer gives back the very same bytes: the layout matches
// gguf-py's, which wrote the synthetic models.
void ExpectRewriteIsIdentical(const std::filesystem::path& path) {
  SCOPED_TRACE(path.string());
  const GgufFile file = GgufFile::Open(path);
  GgufWriter writer;
  for (const GgufKeyValue& entry : file.metadata()) writer.Set(entry.key, entry.value);
  for (const GgufTensorInfo& tensor : file.tensors()) {
    const std::span<const std::byte> data = file.TensorData(tensor);
    writer.AddTensor(tensor.name, tensor.type, tensor.shape, Bytes(data.begin(), data.end()));
  }
  const Bytes rewritten = writer.Serialize();
  const Bytes original = ReadAll(path);
  ASSERT_EQ(rewritten.size(), original.size());
  EXPECT_TRUE(rewritten == original);
}

TEST(GgufSharedFilesTest, RewritingGivesIdenticalBytes) {
  ExpectRewriteIsIdentical(SharedDir() / "models/stories260K.gguf");
  ExpectRewriteIsIdentical(SharedDir() / "models/synthetic/tiny-qwen2-bpe-Q4_K_M.gguf");
  ExpectRewriteIsIdentical(SharedDir() / "testdata/tokenizer/ggml-vocab-llama-spm.gguf");
}

// ---------------------------------------------------------------------------------------------
// Corrupt files.

TEST(GgufCorruptionTest, TruncatingARealModelAnywhereFailsWithAnOffset) {
  const Bytes original = ReadAll(SharedDir() / "models/stories260K.gguf");
  const GgufFile file = GgufFile::FromBytes(original);
  const uint64_t data_offset = file.data_offset();
  uint64_t data_end = 0;
  for (const GgufTensorInfo& tensor : file.tensors()) {
    data_end = std::max(data_end, data_offset + tensor.offset + tensor.byte_size);
  }
  auto check = [&](uint64_t size) {
    const std::string message =
        InvalidMessage(Bytes(original.begin(), original.begin() + static_cast<ptrdiff_t>(size)));
    EXPECT_NE(message.find("bad.gguf: byte "), std::string::npos) << size << ": " << message;
  };
  for (uint64_t size = 0; size <= data_offset; ++size) check(size);  // every cut in the header
  for (uint64_t size = data_offset; size < data_end; size += 4093) check(size);
  check(data_end - 1);
}

TEST(GgufCorruptionTest, TruncatingAVocabularyFileFailsUntilTheMetadataIsWhole) {
  const Bytes original = ReadAll(SharedDir() / "testdata/tokenizer/ggml-vocab-llama-spm.gguf");
  for (uint64_t size = 0; size < original.size(); size += (size < 4096 ? 1 : 4999)) {
    const std::string message =
        InvalidMessage(Bytes(original.begin(), original.begin() + static_cast<ptrdiff_t>(size)));
    EXPECT_NE(message.find("byte "), std::string::npos) << size << ": " << message;
  }
  EXPECT_NO_THROW(GgufFile::FromBytes(original));
}

// A small file whose every field's offset the tests locate by the names around it.
struct Specimen {
  Bytes bytes;
  uint64_t Record(std::string_view name) const { return Locate(bytes, name) - 8; }
  uint64_t After(std::string_view name) const { return Locate(bytes, name) + name.size(); }
};

Specimen MakeSpecimen(uint64_t alignment = 32) {
  GgufWriter writer;
  writer.SetAlignment(alignment);
  writer.Set("test.number", uint32_t{7});
  writer.Set("test.text", "hello");
  writer.Set("test.list", ArrayOf(GgufType::kInt32, {int32_t{1}, int32_t{2}, int32_t{3}}));
  writer.Set("test.flag", true);
  writer.Set("dup.a", uint8_t{1});
  writer.Set("dup.b", uint8_t{2});
  writer.AddTensor("blk.0.a", TensorType::kF32, {16, 2}, Pattern(128, 1));
  writer.AddTensor("blk.0.b", TensorType::kQ8_0, {32, 2}, Pattern(68, 2));
  return Specimen{writer.Serialize()};
}

void ExpectInvalidAt(const Bytes& bytes, uint64_t offset, const std::string& subject,
                     const std::string& what) {
  const std::string message = InvalidMessage(bytes);
  EXPECT_NE(message.find("bad.gguf: byte " + std::to_string(offset) + ":"), std::string::npos)
      << "want byte " << offset << ", got: " << message;
  EXPECT_NE(message.find(subject), std::string::npos) << "want " << subject << ": " << message;
  EXPECT_NE(message.find(what), std::string::npos) << "want " << what << ": " << message;
}

TEST(GgufCorruptionTest, HeaderFields) {
  const Specimen good = MakeSpecimen();
  ASSERT_NO_THROW(GgufFile::FromBytes(good.bytes));
  Bytes bytes = good.bytes;
  bytes[0] = std::byte{'X'};
  ExpectInvalidAt(bytes, 0, "", "not a GGUF file");
  for (uint32_t version : {0u, 1u, 4u, 0x03000000u}) {
    bytes = good.bytes;
    Put<uint32_t>(bytes, 4, version);
    ExpectInvalidAt(bytes, 4, "", "not supported");
  }
  bytes = good.bytes;
  Put<uint32_t>(bytes, 4, 2);  // version 2 has the same layout as 3
  EXPECT_EQ(GgufFile::FromBytes(bytes).version(), 2u);

  bytes = good.bytes;
  Put<uint64_t>(bytes, 8, uint64_t{1} << 62);
  ExpectInvalidAt(bytes, 8, "tensor count", "cannot fit");
  bytes = good.bytes;
  Put<uint64_t>(bytes, 16, std::numeric_limits<uint64_t>::max());
  ExpectInvalidAt(bytes, 16, "metadata count", "cannot fit");
  bytes = good.bytes;
  Put<uint64_t>(bytes, 16, 7);  // one key more than there is: the first tensor info is read as one
  EXPECT_NE(InvalidMessage(bytes).find("byte "), std::string::npos);
  EXPECT_NE(InvalidMessage(Bytes()).find("byte 0"), std::string::npos);
  EXPECT_NE(InvalidMessage(Bytes(good.bytes.begin(), good.bytes.begin() + 3)).find("byte 0"),
            std::string::npos);
}

TEST(GgufCorruptionTest, MetadataFields) {
  const Specimen good = MakeSpecimen();
  Bytes bytes = good.bytes;
  Put<uint64_t>(bytes, good.Record("test.number"), uint64_t{1} << 40);
  ExpectInvalidAt(bytes, good.Record("test.number"), "metadata entry 0", "runs past the end");

  for (uint32_t type : {13u, 255u, 0xFFFFFFFFu}) {
    bytes = good.bytes;
    Put<uint32_t>(bytes, good.After("test.number"), type);
    ExpectInvalidAt(bytes, good.After("test.number"), "metadata key 'test.number'",
                    "unknown value type " + std::to_string(type));
  }
  const uint64_t text_value = good.After("test.text") + 4;
  bytes = good.bytes;
  Put<uint64_t>(bytes, text_value, std::numeric_limits<uint64_t>::max());
  ExpectInvalidAt(bytes, text_value, "metadata key 'test.text'", "runs past the end");

  const uint64_t list_value = good.After("test.list") + 4;
  bytes = good.bytes;
  Put<uint32_t>(bytes, list_value, 99);
  ExpectInvalidAt(bytes, list_value, "metadata key 'test.list'", "unknown value type 99");
  bytes = good.bytes;
  Put<uint64_t>(bytes, list_value + 4, uint64_t{1} << 60);
  ExpectInvalidAt(bytes, list_value + 4, "metadata key 'test.list'", "cannot fit");

  const uint64_t flag_value = good.After("test.flag") + 4;
  bytes = good.bytes;
  bytes[flag_value] = std::byte{2};
  ExpectInvalidAt(bytes, flag_value, "metadata key 'test.flag'", "bool");

  bytes = good.bytes;
  bytes[Locate(bytes, "dup.b") + 4] = std::byte{'a'};
  ExpectInvalidAt(bytes, good.Record("dup.b"), "metadata key 'dup.a'", "duplicate key");
}

TEST(GgufCorruptionTest, AlignmentKey) {
  const Specimen good = MakeSpecimen(64);
  const uint64_t record = good.Record("general.alignment");
  const uint64_t value = good.After("general.alignment") + 4;
  ASSERT_EQ(Get<uint32_t>(good.bytes, value), 64u);
  for (uint32_t alignment : {0u, 48u, 3u}) {
    Bytes bytes = good.bytes;
    Put<uint32_t>(bytes, value, alignment);
    ExpectInvalidAt(bytes, record, "general.alignment", "power of two");
  }
  Bytes bytes = good.bytes;
  Put<uint32_t>(bytes, value - 4, static_cast<uint32_t>(GgufType::kInt32));
  ExpectInvalidAt(bytes, record, "general.alignment", "power of two");
  // A tensor at a multiple of 32 but not of 64 is misaligned under this file's alignment.
  bytes = good.bytes;
  const uint64_t offset_field = good.After("blk.0.b") + 4 + 16 + 4;
  ASSERT_EQ(Get<uint64_t>(bytes, offset_field), 128u);
  Put<uint64_t>(bytes, offset_field, 160);
  ExpectInvalidAt(bytes, offset_field, "tensor 'blk.0.b'", "not a multiple of the alignment 64");
}

TEST(GgufCorruptionTest, DeeplyNestedArraysAreRefused) {
  GgufValue value = ArrayOf(GgufType::kUint8, {uint8_t{1}});
  for (int depth = 0; depth < 100; ++depth) value = ArrayOf(GgufType::kArray, {value});
  GgufWriter writer;
  writer.Set("deep", value);
  const std::string message = InvalidMessage(writer.Serialize());
  EXPECT_NE(message.find("metadata key 'deep'"), std::string::npos) << message;
  EXPECT_NE(message.find("nested"), std::string::npos) << message;
}

TEST(GgufCorruptionTest, TensorInfoFields) {
  const Specimen good = MakeSpecimen();
  const uint64_t b_record = good.Record("blk.0.b");
  const uint64_t b_dims = good.After("blk.0.b");
  const uint64_t b_type = b_dims + 4 + 16;
  const uint64_t b_offset = b_type + 4;
  ASSERT_EQ(Get<uint32_t>(good.bytes, b_type), static_cast<uint32_t>(TensorType::kQ8_0));
  ASSERT_EQ(Get<uint64_t>(good.bytes, b_offset), 128u);

  for (uint32_t type : {4u, 5u, 31u, 36u, 1000u}) {
    Bytes bytes = good.bytes;
    Put<uint32_t>(bytes, b_type, type);
    ExpectInvalidAt(bytes, b_type, "tensor 'blk.0.b'", "unknown tensor type " + std::to_string(type));
  }
  for (uint32_t dims : {0u, 5u, 0xFFFFFFFFu}) {
    Bytes bytes = good.bytes;
    Put<uint32_t>(bytes, b_dims, dims);
    ExpectInvalidAt(bytes, b_dims, "tensor 'blk.0.b'", "dimension count");
  }
  Bytes bytes = good.bytes;
  Put<uint64_t>(bytes, b_dims + 4, uint64_t{1} << 40);  // 2^40 x 2^40 elements
  Put<uint64_t>(bytes, b_dims + 12, uint64_t{1} << 40);
  ExpectInvalidAt(bytes, b_dims + 12, "tensor 'blk.0.b'", "overflows");
  bytes = good.bytes;
  Put<uint64_t>(bytes, b_dims + 12, 0);
  ExpectInvalidAt(bytes, b_dims + 12, "tensor 'blk.0.b'", "is 0");
  bytes = good.bytes;
  Put<uint64_t>(bytes, b_dims + 4, 16);  // half a Q8_0 block per row
  ExpectInvalidAt(bytes, b_dims, "tensor 'blk.0.b'", "block");

  bytes = good.bytes;
  Put<uint64_t>(bytes, b_offset, 129);
  ExpectInvalidAt(bytes, b_offset, "tensor 'blk.0.b'", "not a multiple of the alignment 32");
  bytes = good.bytes;
  Put<uint64_t>(bytes, b_offset, 64);  // inside blk.0.a's 128 bytes
  ExpectInvalidAt(bytes, b_record, "tensor 'blk.0.b'", "overlaps tensor 'blk.0.a'");
  bytes = good.bytes;
  Put<uint64_t>(bytes, b_offset, uint64_t{1} << 40);
  ExpectInvalidAt(bytes, b_record, "tensor 'blk.0.b'", "runs past the end");
  bytes = good.bytes;
  Put<uint64_t>(bytes, b_offset, 0xFFFFFFFFFFFFFFE0u);  // offset + size would wrap around
  ExpectInvalidAt(bytes, b_record, "tensor 'blk.0.b'", "runs past the end");
  bytes = good.bytes;
  Put<uint64_t>(bytes, b_dims + 12, 3);  // three rows: 102 bytes, past the end of the file
  ExpectInvalidAt(bytes, b_record, "tensor 'blk.0.b'", "runs past the end");

  bytes = good.bytes;
  bytes[Locate(bytes, "blk.0.b") + 6] = std::byte{'a'};
  ExpectInvalidAt(bytes, b_record, "tensor 'blk.0.a'", "duplicate tensor name");
}

// Raw little-endian pieces, for files the writer refuses to make.
template <typename T>
void Append(Bytes& bytes, T value) {
  const auto* raw = reinterpret_cast<const std::byte*>(&value);
  bytes.insert(bytes.end(), raw, raw + sizeof(T));
}
void AppendString(Bytes& bytes, const std::string& text) {
  Append<uint64_t>(bytes, text.size());
  for (char c : text) bytes.push_back(static_cast<std::byte>(c));
}

// A parsed array item costs ~40 bytes of memory, so the item count is capped: a 16 MB file of
// one uint8 array must not ask for 640 MB.
TEST(GgufCorruptionTest, MetadataArrayItemsAreCapped) {
  Bytes bytes;
  Append<uint32_t>(bytes, 0x46554747);
  Append<uint32_t>(bytes, 3);
  Append<uint64_t>(bytes, 0);  // tensors
  Append<uint64_t>(bytes, 1);  // keys
  AppendString(bytes, "huge");
  Append<uint32_t>(bytes, static_cast<uint32_t>(GgufType::kArray));
  Append<uint32_t>(bytes, static_cast<uint32_t>(GgufType::kUint8));
  const uint64_t count_at = bytes.size();
  Append<uint64_t>(bytes, 16'000'001);
  bytes.resize(bytes.size() + 16'000'001);
  const std::string message = InvalidMessage(bytes);
  EXPECT_NE(message.find("byte " + std::to_string(count_at) + ": metadata key 'huge'"), std::string::npos)
      << message;
  EXPECT_NE(message.find("array items"), std::string::npos) << message;
}

// llama.cpp keeps tensor names in 64-byte buffers; a longer name would not load there.
TEST(GgufCorruptionTest, TensorNamesLongerThanGgmlAllowsAreRefused) {
  for (const size_t length : {63u, 64u}) {
    Bytes bytes;
    Append<uint32_t>(bytes, 0x46554747);
    Append<uint32_t>(bytes, 3);
    Append<uint64_t>(bytes, 1);  // tensors
    Append<uint64_t>(bytes, 0);  // keys
    const uint64_t record_at = bytes.size();
    AppendString(bytes, std::string(length, 'w'));
    Append<uint32_t>(bytes, 1);   // dimensions
    Append<uint64_t>(bytes, 8);   // 8 F32 values
    Append<uint32_t>(bytes, 0);   // F32
    Append<uint64_t>(bytes, 0);   // offset
    bytes.resize((bytes.size() + 31) / 32 * 32 + 32);
    if (length == 63) {
      EXPECT_EQ(GgufFile::FromBytes(bytes).tensors().at(0).name.size(), 63u);
    } else {
      const std::string message = InvalidMessage(bytes);
      EXPECT_NE(message.find("byte " + std::to_string(record_at) + ": tensor 0"), std::string::npos) << message;
      EXPECT_NE(message.find("longer than 63"), std::string::npos) << message;
    }
  }
}

// Keys are checked for duplicates by hash: a scan per key made a 2 MB file of 100,000 keys take
// a minute to reject or accept.
TEST(GgufCorruptionTest, HundredsOfThousandsOfKeysParseInLinearTime) {
  constexpr uint64_t kKeys = 200000;
  Bytes bytes(24);
  std::memcpy(bytes.data(), "GGUF", 4);
  Put<uint32_t>(bytes, 4, 3);
  Put<uint64_t>(bytes, 8, 0);
  Put<uint64_t>(bytes, 16, kKeys);
  for (uint64_t i = 0; i < kKeys; ++i) {
    const std::string key = "key." + std::to_string(i);
    const size_t at = bytes.size();
    bytes.resize(at + 8 + key.size() + 4 + 1);
    Put<uint64_t>(bytes, at, key.size());
    std::memcpy(bytes.data() + at + 8, key.data(), key.size());
    Put<uint32_t>(bytes, at + 8 + key.size(), static_cast<uint32_t>(GgufType::kUint8));
  }
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(GgufFile::FromBytes(bytes).metadata().size(), kKeys);
  // A duplicate at the very end is still found.
  const std::string last = "key." + std::to_string(kKeys - 1);
  bytes[Locate(bytes, last) + last.size() - 1] = std::byte{'0'};
  EXPECT_NE(InvalidMessage(bytes).find("duplicate key"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

// Random damage must never crash or read out of bounds: either the file still parses (a changed
// letter in a string) and every view stays inside it, or the error names a byte offset.
void FlipEveryByte(const Bytes& original, uint64_t end, uint64_t stride) {
  Bytes bytes = original;
  for (uint64_t at = 0; at < end; at += stride) {
    for (uint8_t mask : {0xFF, 0x80, 0x01}) {
      bytes[at] = original[at] ^ std::byte{mask};
      try {
        const GgufFile file = GgufFile::FromBytes(bytes, "bad.gguf");
        TouchEverything(file);
      } catch (const EngineError& error) {
        EXPECT_EQ(error.kind(), EngineError::Kind::kInvalidInput);
        EXPECT_NE(std::string(error.what()).find("bad.gguf: byte "), std::string::npos)
            << "flip at " << at << ": " << error.what();
      }
    }
    bytes[at] = original[at];
  }
}

TEST(GgufCorruptionTest, FlippedBytesNeverCrash) {
  const Specimen specimen = MakeSpecimen(64);
  FlipEveryByte(specimen.bytes, specimen.bytes.size(), 1);
  GgufWriter writer;
  for (const GgufKeyValue& entry : EveryKindOfValue()) writer.Set(entry.key, entry.value);
  const Bytes values = writer.Serialize();
  FlipEveryByte(values, values.size(), 1);
}

TEST(GgufCorruptionTest, FlippedBytesInARealHeaderNeverCrash) {
  const Bytes original = ReadAll(SharedDir() / "models/stories260K.gguf");
  FlipEveryByte(original, GgufFile::FromBytes(original).data_offset(), 97);
}

}  // namespace
}  // namespace troupe::engine
