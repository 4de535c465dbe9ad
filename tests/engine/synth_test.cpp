// Synthetic models: every architecture and weight type loads back and validates, the type mixes
// match what llama-quantize chose for the shared models, the weights are the seeded draws we
// asked for, and the output is a pure function of the options.
#include "engine/synth.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/gguf.h"
#include "engine/model_spec.h"
#include "engine/quant.h"
#include "support/temp_dir.h"

namespace troupe::engine {
namespace {

using troupe::testing::SharedDir;
using troupe::testing::TempDir;

std::vector<char> ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

SynthShape TinyShape(Architecture architecture) {
  SynthShape shape = *ShapePreset("tiny");
  shape.architecture = architecture;
  shape.tied_embeddings = architecture == Architecture::kQwen2;  // as the real families do
  return shape;
}

std::vector<float> Decode(const GgufFile& file, const std::string& name) {
  const GgufTensorInfo& tensor = *file.FindTensor(name);
  std::vector<float> values(tensor.element_count);
  Dequantize(tensor.type, file.TensorData(tensor), values);
  return values;
}

double Mean(const std::vector<float>& values) {
  double sum = 0;
  for (float v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

double StdDev(const std::vector<float>& values) {
  const double mean = Mean(values);
  double sum = 0;
  for (float v : values) sum += (v - mean) * (v - mean);
  return std::sqrt(sum / static_cast<double>(values.size()));
}

// What the options promise, restated independently of synth.cpp.
TensorType ExpectedType(const std::string& weights, const GgufTensorInfo& tensor, bool tied) {
  if (tensor.shape.size() == 1) return TensorType::kF32;
  const TensorType base = *ParseTensorType(weights.substr(0, 4) == "q4_k"   ? "q4_k"
                                           : weights.substr(0, 4) == "q5_k" ? "q5_k"
                                                                            : weights);
  if (base == TensorType::kF32 || base == TensorType::kF16 || base == TensorType::kBF16) return base;
  const bool output_matrix =
      tensor.name == "output.weight" || (tied && tensor.name == "token_embd.weight");
  if (output_matrix) return base == TensorType::kQ8_0 ? TensorType::kQ8_0 : TensorType::kQ6_K;
  // Tiny has two layers; llama-quantize's use_more_bits picks the second.
  const bool mix = weights.ends_with("_m");
  if (mix && (tensor.name == "blk.1.attn_v.weight" || tensor.name == "blk.1.ffn_down.weight")) {
    return TensorType::kQ6_K;
  }
  return base;
}

const std::vector<std::string> kWeightTypes = {"f32",  "f16",  "bf16", "q8_0",   "q4_0",  "q5_0",
                                               "q4_k", "q5_k", "q6_k", "q4_k_m", "q5_k_m"};

TEST(SynthTest, EveryArchitectureAndWeightTypeLoadsBackAndValidates) {
  TempDir dir;
  for (Architecture architecture : {Architecture::kLlama, Architecture::kQwen2}) {
    // The F32 model holds the exact draws; the others must be those draws, encoded.
    std::optional<GgufFile> reference;
    for (const std::string& weights : kWeightTypes) {
      SCOPED_TRACE(std::string(NameOf(architecture)) + " " + weights);
      SynthOptions options;
      options.output = dir / (std::string(NameOf(architecture)) + "-" + weights + ".gguf");
      options.shape = TinyShape(architecture);
      options.weight_type = weights;
      options.seed = 7;
      WriteSyntheticModel(options);

      GgufFile file = GgufFile::Open(options.output);
      const ModelSpec spec = ModelSpec::FromGguf(file);
      ASSERT_NO_THROW(ValidateTensors(file, spec));
      EXPECT_EQ(spec.architecture, architecture);
      EXPECT_EQ(spec.embedding_length, 256u);
      EXPECT_EQ(spec.block_count, 2u);
      EXPECT_EQ(spec.vocab_size, 512u);
      EXPECT_EQ(spec.tied_embeddings, architecture == Architecture::kQwen2);
      const size_t expected_tensors = architecture == Architecture::kQwen2 ? 1 + 1 + 2 * 12 : 3 + 2 * 9;
      EXPECT_EQ(file.tensors().size(), expected_tensors);
      for (const GgufTensorInfo& tensor : file.tensors()) {
        EXPECT_EQ(tensor.type, ExpectedType(weights, tensor, spec.tied_embeddings)) << tensor.name;
      }
      EXPECT_NE(file.RequireString("general.description").find("seed 7"), std::string::npos);
      EXPECT_NE(file.RequireString("tokenizer.chat_template").find("<|im_start|>"), std::string::npos);

      if (weights == "f32") {
        reference.emplace(std::move(file));
        continue;
      }
      // Same seed, same floats: the decoded weights are the F32 model's within the format's error.
      for (const char* name : {"blk.0.attn_q.weight", "blk.1.ffn_down.weight", "token_embd.weight"}) {
        const std::vector<float> exact = Decode(*reference, name);
        const std::vector<float> decoded = Decode(file, name);
        double error = 0;
        for (size_t i = 0; i < exact.size(); ++i) error += (exact[i] - decoded[i]) * (exact[i] - decoded[i]);
        const double relative = std::sqrt(error / static_cast<double>(exact.size())) / StdDev(exact);
        EXPECT_LT(relative, 0.12) << name;  // Q4_0 is the coarsest, at about 0.1
        EXPECT_GT(relative, weights == "f16" || weights == "bf16" ? -1.0 : 1e-4) << name;
      }
    }
  }
}

TEST(SynthTest, WeightsHaveTheIntendedScale) {
  TempDir dir;
  SynthOptions options;
  options.output = dir / "f32.gguf";
  options.shape = TinyShape(Architecture::kQwen2);
  options.weight_type = "f32";
  WriteSyntheticModel(options);
  const GgufFile file = GgufFile::Open(options.output);
  // std = gain / sqrt(fan_in) with fan_in 256: 0.8/16 for q and k, 0.7/16 for the others.
  EXPECT_NEAR(StdDev(Decode(file, "blk.0.attn_q.weight")), 0.05, 0.05 * 0.03);
  EXPECT_NEAR(StdDev(Decode(file, "blk.1.ffn_up.weight")), 0.04375, 0.04375 * 0.03);
  EXPECT_NEAR(Mean(Decode(file, "blk.1.ffn_up.weight")), 0.0, 0.002);
  // ffn_down reads n_ff = 512 inputs.
  EXPECT_NEAR(StdDev(Decode(file, "blk.0.ffn_down.weight")), 0.7 / std::sqrt(512.0), 0.001);
  const std::vector<float> norm = Decode(file, "blk.0.attn_norm.weight");
  EXPECT_NEAR(Mean(norm), 1.0, 0.03);
  EXPECT_NEAR(StdDev(norm), 0.1, 0.02);
  EXPECT_NEAR(StdDev(Decode(file, "blk.0.attn_q.bias")), 0.3, 0.06);
  // Tied output norm: random signs, so about half are negative.
  int negative = 0;
  for (float v : Decode(file, "output_norm.weight")) negative += v < 0;
  EXPECT_GT(negative, 90);
  EXPECT_LT(negative, 166);
}

TEST(SynthTest, SameSeedSameBytesOtherSeedOtherBytes) {
  TempDir dir;
  SynthOptions options;
  options.shape = TinyShape(Architecture::kLlama);
  options.weight_type = "q4_k_m";
  options.seed = 42;
  options.output = dir / "a.gguf";
  WriteSyntheticModel(options);
  options.output = dir / "b.gguf";
  WriteSyntheticModel(options);
  options.seed = 43;
  options.output = dir / "c.gguf";
  WriteSyntheticModel(options);
  const std::vector<char> a = ReadAll(dir / "a.gguf");
  EXPECT_GT(a.size(), 500000u);
  EXPECT_EQ(a, ReadAll(dir / "b.gguf"));
  const std::vector<char> c = ReadAll(dir / "c.gguf");
  ASSERT_EQ(a.size(), c.size());  // the same layout, other numbers
  EXPECT_NE(a, c);
  // Every tensor differs, not just one.
  const GgufFile file_a = GgufFile::Open(dir / "a.gguf");
  const GgufFile file_c = GgufFile::Open(dir / "c.gguf");
  for (const GgufTensorInfo& tensor : file_a.tensors()) {
    const auto x = file_a.TensorData(tensor);
    const auto y = file_c.TensorData(*file_c.FindTensor(tensor.name));
    EXPECT_FALSE(std::equal(x.begin(), x.end(), y.begin(), y.end())) << tensor.name;
  }
}

TEST(SynthTest, BuiltInVocabularyIsByteLevelSpmPaddedToTheShape) {
  TempDir dir;
  SynthOptions options;
  options.output = dir / "model.gguf";
  options.shape = TinyShape(Architecture::kLlama);
  options.shape.vocab_size = 1000;
  WriteSyntheticModel(options);
  const GgufFile file = GgufFile::Open(options.output);
  EXPECT_EQ(file.RequireString("tokenizer.ggml.model"), "llama");
  const std::vector<std::string_view> tokens = file.StringArray("tokenizer.ggml.tokens");
  ASSERT_EQ(tokens.size(), 1000u);
  EXPECT_EQ(tokens[0], "<unk>");
  EXPECT_EQ(tokens[1], "<s>");
  EXPECT_EQ(tokens[2], "</s>");
  EXPECT_EQ(tokens[4], "<|im_end|>");
  EXPECT_EQ(tokens[5], "<0x00>");
  EXPECT_EQ(tokens[5 + 0x41], "<0x41>");
  EXPECT_EQ(tokens[260], "<0xFF>");
  EXPECT_EQ(tokens[261], "\xE2\x96\x81");
  EXPECT_EQ(tokens[999], "[PAD999]");
  const std::vector<int64_t> types = file.IntArray("tokenizer.ggml.token_type");
  EXPECT_EQ(types[0], 2);
  EXPECT_EQ(types[1], 3);
  EXPECT_EQ(types[100], 6);
  EXPECT_EQ(types[300], 1);
  EXPECT_EQ(types[999], 5);
  EXPECT_EQ(file.FloatArray("tokenizer.ggml.scores").size(), 1000u);
  EXPECT_EQ(file.OptionalUint("tokenizer.ggml.bos_token_id"), 1u);
  EXPECT_EQ(file.OptionalUint("tokenizer.ggml.eos_token_id"), 2u);
  EXPECT_EQ(file.OptionalBool("tokenizer.ggml.add_bos_token"), true);
  EXPECT_EQ(file.RequireString("tokenizer.chat_template"), ChatMlTemplate());
  // Whole words are reachable by merging pairs: every prefix of "▁hello" is a token.
  const std::string start = "\xE2\x96\x81";
  for (const std::string piece : {"h", "he", "hel", "hell", "hello"}) {
    EXPECT_NE(std::find(tokens.begin(), tokens.end(), start + piece), tokens.end()) << piece;
  }

  options.shape.vocab_size = 300;
  const EngineError error = [&] {
    try {
      WriteSyntheticModel(options);
    } catch (const EngineError& e) {
      return e;
    }
    return EngineError(EngineError::Kind::kIo, "no error");
  }();
  EXPECT_EQ(error.kind(), EngineError::Kind::kInvalidInput);
  EXPECT_NE(std::string(error.what()).find("shape.vocab_size 300"), std::string::npos) << error.what();
}

TEST(SynthTest, AVocabularyFileIsCopiedAndSetsTheVocabSize) {
  TempDir dir;
  const auto vocab_path = SharedDir() / "testdata/tokenizer/ggml-vocab-llama-spm.gguf";
  SynthOptions options;
  options.output = dir / "model.gguf";
  options.shape = TinyShape(Architecture::kLlama);
  options.shape.block_count = 1;
  options.weight_type = "q8_0";
  options.vocab_file = vocab_path;
  WriteSyntheticModel(options);
  const GgufFile file = GgufFile::Open(options.output);
  const GgufFile vocab = GgufFile::Open(vocab_path);
  size_t copied = 0;
  for (const GgufKeyValue& entry : vocab.metadata()) {
    if (!entry.key.starts_with("tokenizer.")) continue;
    ++copied;
    ASSERT_NE(file.Find(entry.key), nullptr) << entry.key;
    EXPECT_TRUE(*file.Find(entry.key) == entry.value) << entry.key;
  }
  EXPECT_EQ(copied, 10u);
  const ModelSpec spec = ModelSpec::FromGguf(file);
  EXPECT_EQ(spec.vocab_size, 32000u);
  EXPECT_EQ(file.OptionalUint("llama.vocab_size"), 32000u);
  EXPECT_EQ(file.FindTensor("token_embd.weight")->shape, (std::vector<uint64_t>{256, 32000}));
  EXPECT_NO_THROW(ValidateTensors(file, spec));
  EXPECT_EQ(file.RequireString("tokenizer.chat_template"), ChatMlTemplate());  // the vocab has none
}

// name -> (type, shape) of every tensor.
using TensorTable = std::map<std::string, std::pair<TensorType, std::vector<uint64_t>>>;

TensorTable TableOf(const std::vector<SynthTensor>& tensors) {
  TensorTable table;
  for (const SynthTensor& tensor : tensors) table[tensor.name] = {tensor.type, tensor.shape};
  return table;
}

TensorTable TableOf(const GgufFile& file) {
  TensorTable table;
  for (const GgufTensorInfo& tensor : file.tensors()) table[tensor.name] = {tensor.type, tensor.shape};
  return table;
}

// The shared synthetic models were quantized by llama-quantize; our plan for the same shape must
// choose the same type for every tensor, fallbacks included.
TEST(SynthTest, MixesMatchWhatLlamaQuantizeChoseForTheSharedModels) {
  SynthShape llama_spm = *ShapePreset("tiny");
  llama_spm.block_count = 4;
  llama_spm.head_count = 8;
  llama_spm.head_count_kv = 4;
  llama_spm.feed_forward_length = 768;
  SynthShape qwen2 = *ShapePreset("tiny");
  qwen2.architecture = Architecture::kQwen2;
  qwen2.embedding_length = 64;
  qwen2.head_count = 4;
  qwen2.head_count_kv = 2;
  qwen2.feed_forward_length = 384;
  qwen2.tied_embeddings = true;
  SynthShape llama3 = qwen2;
  llama3.architecture = Architecture::kLlama;
  llama3.head_count_kv = 1;
  llama3.feed_forward_length = 256;

  struct Case {
    std::string model;
    SynthShape shape;
    std::string vocab;
    std::string weights;
  };
  const std::vector<Case> cases = {
      {"tiny-llama-spm-F16", llama_spm, "llama-spm", "f16"},
      {"tiny-llama-spm-Q8_0", llama_spm, "llama-spm", "q8_0"},
      {"tiny-llama-spm-Q4_0", llama_spm, "llama-spm", "q4_0"},
      {"tiny-llama-spm-Q4_K_M", llama_spm, "llama-spm", "q4_k_m"},
      {"tiny-qwen2-bpe-Q4_K_M", qwen2, "qwen2", "q4_k_m"},
      {"tiny-llama3-bpe-Q8_0", llama3, "llama-bpe", "q8_0"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.model);
    SynthOptions options;
    options.shape = c.shape;
    options.weight_type = c.weights;
    options.vocab_file = SharedDir() / "testdata/tokenizer" / ("ggml-vocab-" + c.vocab + ".gguf");
    const GgufFile shared = GgufFile::Open(SharedDir() / "models/synthetic" / (c.model + ".gguf"));
    EXPECT_EQ(TableOf(PlanSyntheticModel(options)), TableOf(shared));
  }
}

// stories260K's shape: n_ff 172 fits no block at all, so ffn_down stays F16 whatever is asked.
TEST(SynthTest, RowsThatFitNoBlockFallBackToF16) {
  TempDir dir;
  SynthOptions options;
  options.output = dir / "odd.gguf";
  options.shape.embedding_length = 64;
  options.shape.block_count = 5;
  options.shape.head_count = 8;
  options.shape.head_count_kv = 4;
  options.shape.feed_forward_length = 172;
  options.weight_type = "q4_k_m";
  WriteSyntheticModel(options);
  const GgufFile file = GgufFile::Open(options.output);
  EXPECT_NO_THROW(ValidateTensors(file, ModelSpec::FromGguf(file)));
  EXPECT_EQ(file.FindTensor("output.weight")->type, TensorType::kQ8_0);
  EXPECT_EQ(file.FindTensor("token_embd.weight")->type, TensorType::kQ5_0);
  EXPECT_EQ(file.FindTensor("blk.0.ffn_gate.weight")->type, TensorType::kQ5_0);
  EXPECT_EQ(file.FindTensor("blk.4.attn_v.weight")->type, TensorType::kQ8_0);
  for (int block = 0; block < 5; ++block) {
    EXPECT_EQ(file.FindTensor("blk." + std::to_string(block) + ".ffn_down.weight")->type,
              TensorType::kF16);
  }
}

TEST(SynthTest, PresetsHaveTheRealModelsShapes) {
  const SynthShape smollm = *ShapePreset("smollm2-135m");
  EXPECT_EQ(smollm.architecture, Architecture::kLlama);
  EXPECT_EQ(smollm.embedding_length, 576u);
  EXPECT_EQ(smollm.block_count, 30u);
  EXPECT_EQ(smollm.head_count, 9u);
  EXPECT_EQ(smollm.head_count_kv, 3u);
  EXPECT_EQ(smollm.feed_forward_length, 1536u);
  EXPECT_EQ(smollm.vocab_size, 49152u);
  EXPECT_TRUE(smollm.tied_embeddings);
  const SynthShape qwen = *ShapePreset("qwen2.5-0.5b");
  EXPECT_EQ(qwen.architecture, Architecture::kQwen2);
  EXPECT_EQ(qwen.embedding_length, 896u);
  EXPECT_EQ(qwen.block_count, 24u);
  EXPECT_EQ(qwen.head_count, 14u);
  EXPECT_EQ(qwen.head_count_kv, 2u);
  EXPECT_EQ(qwen.feed_forward_length, 4864u);
  EXPECT_EQ(qwen.vocab_size, 151936u);
  EXPECT_TRUE(qwen.tied_embeddings);
  EXPECT_TRUE(ShapePreset("llama-1b").has_value());
  EXPECT_FALSE(ShapePreset("gpt-5").has_value());

  // Qwen2.5-0.5B at Q4_K_M: 896-wide rows fall back to Q5_0 and the tied embedding to Q8_0,
  // while ffn_down (4864 = 19 x 256) stays a K-quant.
  SynthOptions options;
  options.shape = qwen;
  options.weight_type = "q4_k_m";
  const TensorTable plan = TableOf(PlanSyntheticModel(options));
  EXPECT_EQ(plan.size(), 2u + 24u * 12u);
  EXPECT_EQ(plan.at("token_embd.weight").first, TensorType::kQ8_0);
  EXPECT_EQ(plan.at("token_embd.weight").second, (std::vector<uint64_t>{896, 151936}));
  EXPECT_EQ(plan.at("blk.5.attn_q.weight").first, TensorType::kQ5_0);
  EXPECT_EQ(plan.at("blk.5.attn_k.weight").second, (std::vector<uint64_t>{896, 128}));
  EXPECT_EQ(plan.at("blk.0.ffn_down.weight").first, TensorType::kQ6_K);
  EXPECT_EQ(plan.at("blk.4.ffn_down.weight").first, TensorType::kQ4_K);
  EXPECT_EQ(plan.at("blk.5.ffn_down.weight").first, TensorType::kQ6_K);  // (5 - 3) % 3 == 2
  EXPECT_EQ(plan.at("blk.5.attn_q.bias").first, TensorType::kF32);
}

TEST(SynthTest, BadOptionsAreRefusedByName) {
  TempDir dir;
  SynthOptions options;
  options.output = dir / "model.gguf";
  options.weight_type = "q3_k";
  try {
    WriteSyntheticModel(options);
    ADD_FAILURE() << "no error";
  } catch (const EngineError& error) {
    EXPECT_EQ(error.kind(), EngineError::Kind::kInvalidInput);
    EXPECT_NE(std::string(error.what()).find("weight_type 'q3_k'"), std::string::npos) << error.what();
  }
  options.weight_type = "Q4_K_M";  // case does not matter
  options.shape.head_count = 3;
  try {
    WriteSyntheticModel(options);
    ADD_FAILURE() << "no error";
  } catch (const EngineError& error) {
    EXPECT_NE(std::string(error.what()).find("shape.head_count 3"), std::string::npos) << error.what();
  }
  options.shape = *ShapePreset("tiny");
  options.output = dir / "no-such-dir" / "model.gguf";
  try {
    WriteSyntheticModel(options);
    ADD_FAILURE() << "no error";
  } catch (const EngineError& error) {
    EXPECT_EQ(error.kind(), EngineError::Kind::kIo);
    EXPECT_NE(std::string(error.what()).find("no-such-dir"), std::string::npos) << error.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "model.gguf"));
}

}  // namespace
}  // namespace troupe::engine
