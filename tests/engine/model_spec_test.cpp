// ModelSpec: the hyperparameters and tensor layout of every shared model, and the errors for
// files made wrong on purpose with the writer.
#include "engine/model_spec.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/gguf.h"
#include "support/temp_dir.h"

namespace troupe::engine {
namespace {

using troupe::testing::SharedDir;

struct ExpectedSpec {
  std::string path;
  Architecture architecture;
  uint64_t context_length, embedding_length, block_count, feed_forward_length;
  uint64_t head_count, head_count_kv, key_length, rope_dimension_count;
  double rope_freq_base;
  float rms_norm_epsilon;
  uint64_t vocab_size;
  bool tied_embeddings;
};

// From shared/models/README.md.
const std::vector<ExpectedSpec> kSharedModels = {
    {"models/stories260K.gguf", Architecture::kLlama, 2048, 64, 5, 172, 8, 4, 8, 8, 10000, 1e-5f,
     512, false},
    {"models/synthetic/tiny-llama-spm-F16.gguf", Architecture::kLlama, 2048, 256, 4, 768, 8, 4, 32,
     32, 10000, 1e-5f, 32000, false},
    {"models/synthetic/tiny-llama-spm-Q8_0.gguf", Architecture::kLlama, 2048, 256, 4, 768, 8, 4,
     32, 32, 10000, 1e-5f, 32000, false},
    {"models/synthetic/tiny-llama-spm-Q4_0.gguf", Architecture::kLlama, 2048, 256, 4, 768, 8, 4,
     32, 32, 10000, 1e-5f, 32000, false},
    {"models/synthetic/tiny-llama-spm-Q4_K_M.gguf", Architecture::kLlama, 2048, 256, 4, 768, 8, 4,
     32, 32, 10000, 1e-5f, 32000, false},
    {"models/synthetic/tiny-qwen2-bpe-Q4_K_M.gguf", Architecture::kQwen2, 32768, 64, 2, 384, 4, 2,
     16, 16, 1000000, 1e-6f, 151936, true},
    {"models/synthetic/tiny-llama3-bpe-Q8_0.gguf", Architecture::kLlama, 8192, 64, 2, 256, 4, 1,
     16, 16, 500000, 1e-5f, 128256, true},
};

TEST(ModelSpecTest, EverySharedModelReadsAsTheReadmeSaysAndValidates) {
  for (const ExpectedSpec& expected : kSharedModels) {
    SCOPED_TRACE(expected.path);
    const GgufFile file = GgufFile::Open(SharedDir() / expected.path);
    const ModelSpec spec = ModelSpec::FromGguf(file);
    EXPECT_EQ(spec.architecture, expected.architecture);
    EXPECT_EQ(spec.context_length, expected.context_length);
    EXPECT_EQ(spec.embedding_length, expected.embedding_length);
    EXPECT_EQ(spec.block_count, expected.block_count);
    EXPECT_EQ(spec.feed_forward_length, expected.feed_forward_length);
    EXPECT_EQ(spec.head_count, expected.head_count);
    EXPECT_EQ(spec.head_count_kv, expected.head_count_kv);
    EXPECT_EQ(spec.key_length, expected.key_length);
    EXPECT_EQ(spec.value_length, expected.key_length);
    EXPECT_EQ(spec.rope_dimension_count, expected.rope_dimension_count);
    EXPECT_EQ(spec.rope_freq_base, expected.rope_freq_base);
    EXPECT_EQ(static_cast<float>(spec.rms_norm_epsilon), expected.rms_norm_epsilon);
    EXPECT_EQ(spec.vocab_size, expected.vocab_size);
    EXPECT_EQ(spec.tied_embeddings, expected.tied_embeddings);
    EXPECT_EQ(spec.attention_biases, expected.architecture == Architecture::kQwen2);
    EXPECT_EQ(spec.rope_scaling.type, "none");
    EXPECT_EQ(spec.rope_scaling.factor, 1.0);
    EXPECT_NO_THROW(ValidateTensors(file, spec));
  }
}

TEST(ModelSpecTest, RequirementsListTheLlamaLayoutInOrder) {
  ModelSpec spec;
  spec.embedding_length = 64;
  spec.block_count = 1;
  spec.feed_forward_length = 172;
  spec.head_count = 8;
  spec.head_count_kv = 4;
  spec.key_length = 8;
  spec.value_length = 8;
  spec.rope_dimension_count = 8;
  spec.vocab_size = 512;
  std::vector<std::string> required;
  for (const TensorRequirement& requirement : TensorRequirements(spec)) {
    if (requirement.required) required.push_back(requirement.name);
    if (requirement.name == "blk.0.attn_k.weight") {
      EXPECT_EQ(requirement.shape, (std::vector<uint64_t>{64, 32}));
    }
    if (requirement.name == "blk.0.ffn_down.weight") {
      EXPECT_EQ(requirement.shape, (std::vector<uint64_t>{172, 64}));
    }
  }
  EXPECT_EQ(required, (std::vector<std::string>{
                          "token_embd.weight", "output_norm.weight", "blk.0.attn_norm.weight",
                          "blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight",
                          "blk.0.attn_output.weight", "blk.0.ffn_norm.weight",
                          "blk.0.ffn_gate.weight", "blk.0.ffn_up.weight", "blk.0.ffn_down.weight"}));
}

// ---------------------------------------------------------------------------------------------
// A small model written by hand, then spoiled one way at a time.

struct TensorEntry {
  std::string name;
  std::vector<uint64_t> shape;
  TensorType type = TensorType::kF32;
};

struct HandMadeModel {
  std::vector<GgufKeyValue> metadata;
  std::vector<TensorEntry> tensors;

  void Set(const std::string& key, GgufValue value) {
    for (GgufKeyValue& entry : metadata) {
      if (entry.key == key) {
        entry.value = std::move(value);
        return;
      }
    }
    metadata.push_back({key, std::move(value)});
  }
  void Remove(const std::string& key) {
    std::erase_if(metadata, [&](const GgufKeyValue& entry) { return entry.key == key; });
  }
  TensorEntry& Tensor(const std::string& name) {
    for (TensorEntry& tensor : tensors) {
      if (tensor.name == name) return tensor;
    }
    ADD_FAILURE() << "no tensor " << name;
    return tensors.front();
  }
  void RemoveTensor(const std::string& name) {
    std::erase_if(tensors, [&](const TensorEntry& tensor) { return tensor.name == name; });
  }

  GgufFile Build() const {
    GgufWriter writer;
    for (const GgufKeyValue& entry : metadata) writer.Set(entry.key, entry.value);
    for (const TensorEntry& tensor : tensors) {
      uint64_t elements = 1;
      for (uint64_t extent : tensor.shape) elements *= extent;
      writer.AddTensor(tensor.name, tensor.type, tensor.shape,
                       std::vector<std::byte>(*ByteSizeOf(tensor.type, elements)));
    }
    return GgufFile::FromBytes(writer.Serialize(), "model.gguf");
  }
};

GgufArray Tokens(size_t count) {
  GgufArray tokens{GgufType::kString, {}};
  for (size_t i = 0; i < count; ++i) tokens.items.emplace_back("t" + std::to_string(i));
  return tokens;
}

// llama: n_embd 64, 2 layers, 4 heads of 16 with 2 KV heads, n_ff 128, 32 tokens; written out
// name by name so the test does not lean on TensorRequirements.
HandMadeModel SmallLlama() {
  HandMadeModel model;
  model.Set("general.architecture", "llama");
  model.Set("llama.context_length", uint32_t{256});
  model.Set("llama.embedding_length", uint32_t{64});
  model.Set("llama.block_count", uint32_t{2});
  model.Set("llama.feed_forward_length", uint32_t{128});
  model.Set("llama.attention.head_count", uint32_t{4});
  model.Set("llama.attention.head_count_kv", uint32_t{2});
  model.Set("llama.rope.freq_base", 10000.0f);
  model.Set("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  model.Set("tokenizer.ggml.tokens", Tokens(32));
  model.tensors = {{"token_embd.weight", {64, 32}, TensorType::kQ8_0},
                   {"output_norm.weight", {64}},
                   {"output.weight", {64, 32}, TensorType::kF16}};
  for (int block = 0; block < 2; ++block) {
    const std::string p = "blk." + std::to_string(block) + ".";
    model.tensors.push_back({p + "attn_norm.weight", {64}});
    model.tensors.push_back({p + "attn_q.weight", {64, 64}, TensorType::kQ4_0});
    model.tensors.push_back({p + "attn_k.weight", {64, 32}, TensorType::kQ5_0});
    model.tensors.push_back({p + "attn_v.weight", {64, 32}, TensorType::kBF16});
    model.tensors.push_back({p + "attn_output.weight", {64, 64}, TensorType::kF32});
    model.tensors.push_back({p + "ffn_norm.weight", {64}});
    model.tensors.push_back({p + "ffn_gate.weight", {64, 128}, TensorType::kQ8_0});
    model.tensors.push_back({p + "ffn_up.weight", {64, 128}, TensorType::kQ8_0});
    model.tensors.push_back({p + "ffn_down.weight", {128, 64}, TensorType::kQ8_0});
  }
  return model;
}

HandMadeModel SmallQwen2() {
  HandMadeModel llama = SmallLlama();
  HandMadeModel model;
  for (const GgufKeyValue& entry : llama.metadata) {
    std::string key = entry.key;
    if (key.starts_with("llama.")) key = "qwen2." + key.substr(6);
    model.Set(key, entry.key == "general.architecture" ? GgufValue("qwen2") : entry.value);
  }
  for (const TensorEntry& tensor : llama.tensors) {
    if (tensor.name == "output.weight") continue;  // tied, as Qwen2.5-0.5B is
    model.tensors.push_back(tensor);
    if (tensor.name.ends_with("attn_q.weight")) {
      const std::string p = tensor.name.substr(0, tensor.name.size() - std::string("attn_q.weight").size());
      model.tensors.push_back({p + "attn_q.bias", {64}});
      model.tensors.push_back({p + "attn_k.bias", {32}});
      model.tensors.push_back({p + "attn_v.bias", {32}});
    }
  }
  return model;
}

// The message of the EngineError `function` throws, checked to be of `kind`.
std::string ErrorOf(const std::function<void()>& function,
                    EngineError::Kind kind = EngineError::Kind::kInvalidInput) {
  try {
    function();
  } catch (const EngineError& error) {
    EXPECT_EQ(error.kind(), kind) << error.what();
    return error.what();
  }
  ADD_FAILURE() << "no EngineError";
  return "";
}

std::string SpecError(const HandMadeModel& model,
                      EngineError::Kind kind = EngineError::Kind::kInvalidInput) {
  const GgufFile file = model.Build();
  return ErrorOf([&] { ModelSpec::FromGguf(file); }, kind);
}

std::string TensorError(const HandMadeModel& model) {
  const GgufFile file = model.Build();
  const ModelSpec spec = ModelSpec::FromGguf(file);
  return ErrorOf([&] { ValidateTensors(file, spec); });
}

#define EXPECT_CONTAINS(text, part) \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "want \"" << (part) << "\" in: " << (text)

TEST(ModelSpecTest, TheHandMadeModelsAreValid) {
  const GgufFile llama = SmallLlama().Build();
  const ModelSpec spec = ModelSpec::FromGguf(llama);
  EXPECT_EQ(spec.key_length, 16u);
  EXPECT_EQ(spec.rope_dimension_count, 16u);
  EXPECT_EQ(spec.vocab_size, 32u);
  EXPECT_FALSE(spec.tied_embeddings);
  EXPECT_NO_THROW(ValidateTensors(llama, spec));

  const GgufFile qwen2 = SmallQwen2().Build();
  const ModelSpec qwen2_spec = ModelSpec::FromGguf(qwen2);
  EXPECT_EQ(qwen2_spec.architecture, Architecture::kQwen2);
  EXPECT_TRUE(qwen2_spec.tied_embeddings);
  EXPECT_TRUE(qwen2_spec.attention_biases);
  EXPECT_NO_THROW(ValidateTensors(qwen2, qwen2_spec));
}

TEST(ModelSpecTest, MissingOrMisshapenTensorsAreNamed) {
  HandMadeModel model = SmallLlama();
  model.RemoveTensor("blk.1.ffn_up.weight");
  std::string error = TensorError(model);
  EXPECT_CONTAINS(error, "model.gguf");
  EXPECT_CONTAINS(error, "tensor 'blk.1.ffn_up.weight' is missing (expected shape [64, 128])");

  model = SmallLlama();
  model.Tensor("blk.0.attn_k.weight").shape = {64, 64};
  EXPECT_CONTAINS(TensorError(model),
                  "tensor 'blk.0.attn_k.weight': expected shape [64, 32], found [64, 64]");

  model = SmallLlama();
  model.Tensor("output_norm.weight").shape = {64, 1};
  EXPECT_CONTAINS(TensorError(model), "'output_norm.weight': expected shape [64], found [64, 1]");

  model = SmallLlama();
  model.Tensor("output.weight").shape = {64, 33};
  EXPECT_CONTAINS(TensorError(model), "'output.weight': expected shape [64, 32], found [64, 33]");

  model = SmallLlama();
  model.RemoveTensor("token_embd.weight");
  EXPECT_CONTAINS(TensorError(model), "'token_embd.weight' is missing");

  model = SmallQwen2();
  model.RemoveTensor("blk.1.attn_v.bias");
  EXPECT_CONTAINS(TensorError(model), "qwen2 tensor 'blk.1.attn_v.bias' is missing (expected shape [32])");
}

TEST(ModelSpecTest, TypesAndStrayTensorsAreChecked) {
  HandMadeModel model = SmallLlama();
  model.Tensor("blk.0.ffn_norm.weight").type = TensorType::kF16;
  EXPECT_CONTAINS(TensorError(model), "'blk.0.ffn_norm.weight': type F16 is not supported here");

  model = SmallLlama();
  model.Tensor("blk.1.attn_q.weight").type = TensorType::kQ4_1;  // valid GGUF, not computed here
  EXPECT_CONTAINS(TensorError(model), "'blk.1.attn_q.weight': type Q4_1 is not supported");

  model = SmallLlama();
  model.tensors.push_back({"blk.2.attn_norm.weight", {64}});
  EXPECT_CONTAINS(TensorError(model), "tensor 'blk.2.attn_norm.weight' is not part of this architecture");

  // Llama may carry attention biases (some fine-tunes do); when present they are checked.
  model = SmallLlama();
  model.tensors.push_back({"blk.0.attn_q.bias", {64}});
  EXPECT_NO_THROW(ValidateTensors(model.Build(), ModelSpec::FromGguf(model.Build())));
  model.tensors.push_back({"blk.0.attn_k.bias", {64}});
  EXPECT_CONTAINS(TensorError(model), "'blk.0.attn_k.bias': expected shape [32], found [64]");
}

TEST(ModelSpecTest, BadHyperparametersNameTheKey) {
  HandMadeModel model = SmallLlama();
  model.Set("llama.attention.head_count_kv", uint32_t{3});
  EXPECT_CONTAINS(SpecError(model), "key 'llama.attention.head_count_kv': 3 KV heads do not divide 4");

  model = SmallLlama();
  model.Set("llama.attention.head_count_kv", uint32_t{8});
  EXPECT_CONTAINS(SpecError(model), "llama.attention.head_count_kv");

  model = SmallLlama();
  model.Set("llama.attention.head_count", uint32_t{0});
  EXPECT_CONTAINS(SpecError(model), "key 'llama.attention.head_count': must be positive");

  model = SmallLlama();
  model.Set("llama.attention.head_count", uint32_t{5});
  model.Set("llama.attention.head_count_kv", uint32_t{5});
  EXPECT_CONTAINS(SpecError(model), "key 'llama.attention.head_count': 5 heads do not divide");

  model = SmallLlama();
  model.Remove("llama.embedding_length");
  EXPECT_CONTAINS(SpecError(model), "model.gguf: key 'llama.embedding_length': missing");

  model = SmallLlama();
  model.Set("llama.block_count", "two");
  EXPECT_CONTAINS(SpecError(model), "'llama.block_count'");

  model = SmallLlama();
  model.Set("llama.block_count", uint64_t{1} << 40);
  EXPECT_CONTAINS(SpecError(model), "key 'llama.block_count'");

  model = SmallLlama();
  model.Set("llama.rope.dimension_count", uint32_t{15});
  EXPECT_CONTAINS(SpecError(model), "key 'llama.rope.dimension_count'");

  model = SmallLlama();
  model.Set("llama.attention.layer_norm_rms_epsilon", -1.0f);
  EXPECT_CONTAINS(SpecError(model), "key 'llama.attention.layer_norm_rms_epsilon'");

  model = SmallLlama();
  model.Set("llama.vocab_size", uint32_t{33});
  EXPECT_CONTAINS(SpecError(model), "key 'llama.vocab_size': 33 but tokenizer.ggml.tokens has 32");

  model = SmallLlama();
  model.Remove("tokenizer.ggml.tokens");
  EXPECT_CONTAINS(SpecError(model), "'tokenizer.ggml.tokens': missing");

  model = SmallLlama();
  model.Set("tokenizer.ggml.tokens", GgufArray{GgufType::kInt32, {int32_t{1}}});
  EXPECT_CONTAINS(SpecError(model), "'tokenizer.ggml.tokens': must be an array of strings");

  model = SmallLlama();
  model.Remove("general.architecture");
  EXPECT_CONTAINS(SpecError(model), "'general.architecture': missing");
}

TEST(ModelSpecTest, UnknownArchitecturesAreUnsupported) {
  HandMadeModel model = SmallLlama();
  model.Set("general.architecture", "mamba");
  EXPECT_CONTAINS(SpecError(model, EngineError::Kind::kUnsupported), "architecture 'mamba'");
}

TEST(ModelSpecTest, OptionalKeysOverrideTheDefaults) {
  HandMadeModel model = SmallLlama();
  model.Set("llama.attention.key_length", uint32_t{32});
  model.Set("llama.attention.value_length", uint32_t{24});
  model.Set("llama.rope.dimension_count", uint32_t{16});
  model.Set("llama.rope.scaling.type", "yarn");
  model.Set("llama.rope.scaling.factor", 4.0f);
  model.Set("llama.rope.scaling.original_context_length", uint32_t{64});
  model.Set("llama.rope.scaling.attn_factor", 1.5f);
  // With wider heads the projections change shape.
  for (int block = 0; block < 2; ++block) {
    const std::string p = "blk." + std::to_string(block) + ".";
    model.Tensor(p + "attn_q.weight").shape = {64, 128};
    model.Tensor(p + "attn_k.weight").shape = {64, 64};
    model.Tensor(p + "attn_v.weight").shape = {64, 48};
    model.Tensor(p + "attn_output.weight").shape = {96, 64};
  }
  const GgufFile file = model.Build();
  const ModelSpec spec = ModelSpec::FromGguf(file);
  EXPECT_EQ(spec.key_length, 32u);
  EXPECT_EQ(spec.value_length, 24u);
  EXPECT_EQ(spec.rope_dimension_count, 16u);
  EXPECT_EQ(spec.rope_scaling.type, "yarn");
  EXPECT_EQ(spec.rope_scaling.factor, 4.0);
  EXPECT_EQ(spec.rope_scaling.original_context_length, 64u);
  EXPECT_EQ(spec.rope_scaling.attention_factor, 1.5);
  EXPECT_NO_THROW(ValidateTensors(file, spec));

  HandMadeModel old_style = SmallLlama();
  old_style.Set("llama.rope.scale_linear", 2.0f);
  const ModelSpec linear = ModelSpec::FromGguf(old_style.Build());
  EXPECT_EQ(linear.rope_scaling.type, "linear");
  EXPECT_EQ(linear.rope_scaling.factor, 2.0);

  HandMadeModel unknown = SmallLlama();
  unknown.Set("llama.rope.scaling.type", "spiral");
  EXPECT_CONTAINS(SpecError(unknown, EngineError::Kind::kUnsupported), "'llama.rope.scaling.type'");

  HandMadeModel no_kv = SmallLlama();
  no_kv.Remove("llama.attention.head_count_kv");
  EXPECT_EQ(ModelSpec::FromGguf(no_kv.Build()).head_count_kv, 4u);
}

}  // namespace
}  // namespace troupe::engine
