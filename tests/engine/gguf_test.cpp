// GGUF: the writer's layout byte for byte, write-then-read of every value type, and the shared
// model files as the README describes them. Corrupt files: gguf_corruption_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/gguf.h"
#include "gguf_test_support.h"
#include "support/temp_dir.h"

namespace troupe::engine {
namespace {

using namespace gguf_testing;
using troupe::testing::SharedDir;
using troupe::testing::TempDir;

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

struct GgufSharedModel {
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

const std::vector<GgufSharedModel> kGgufSharedModels = {
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
  for (const GgufSharedModel& model : kGgufSharedModels) {
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

struct GgufSharedVocab {
  std::string name;
  std::string architecture;
  std::string tokenizer_model;
  uint64_t tokens;
};

const std::vector<GgufSharedVocab> kSharedVocabs = {
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
  for (const GgufSharedVocab& vocab : kSharedVocabs) {
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

}  // namespace
}  // namespace troupe::engine
