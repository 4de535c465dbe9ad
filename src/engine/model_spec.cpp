// ModelSpec: the llama and qwen2 hyperparameter keys and tensor layouts, as llama.cpp reads them.
#include "engine/model_spec.h"

#include <cmath>
#include <optional>
#include <set>

#include "engine/error.h"

namespace troupe::engine {
namespace {

// More layers than any published model has; a bigger count is a corrupt or hostile file, and
// would make the tensor list enormous.
constexpr uint64_t kMaxBlockCount = 4096;
constexpr uint64_t kDefaultRopeFreqBase = 10000;
constexpr double kDefaultRmsEpsilon = 1e-5;

std::string ShapeText(const std::vector<uint64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

// Reads `<arch>.<suffix>` keys and words errors as "<file>: key '<key>': ...".
class ArchKeys {
 public:
  ArchKeys(const GgufFile& file, std::string prefix) : file_(file), prefix_(std::move(prefix)) {}

  std::string Key(std::string_view suffix) const { return prefix_ + "." + std::string(suffix); }

  [[noreturn]] void Fail(std::string_view suffix, const std::string& what) const {
    ThrowInvalid(file_.label() + ": key '" + Key(suffix) + "': " + what);
  }
  [[noreturn]] void Unsupported(std::string_view suffix, const std::string& what) const {
    ThrowUnsupported(file_.label() + ": key '" + Key(suffix) + "': " + what);
  }

  uint64_t RequirePositive(std::string_view suffix) const {
    const std::string key = Key(suffix);
    if (file_.Find(key) == nullptr) Fail(suffix, "missing");
    const uint64_t value = file_.RequireUint(key);
    if (value == 0) Fail(suffix, "must be positive");
    return value;
  }
  std::optional<uint64_t> OptionalPositive(std::string_view suffix) const {
    const std::optional<uint64_t> value = file_.OptionalUint(Key(suffix));
    if (value && *value == 0) Fail(suffix, "must be positive");
    return value;
  }
  std::optional<double> OptionalFinitePositive(std::string_view suffix) const {
    const std::optional<double> value = file_.OptionalDouble(Key(suffix));
    if (value && !(std::isfinite(*value) && *value > 0)) {
      Fail(suffix, "must be a positive finite number, not " + std::to_string(*value));
    }
    return value;
  }
  std::optional<std::string> OptionalString(std::string_view suffix) const {
    return file_.OptionalString(Key(suffix));
  }

 private:
  const GgufFile& file_;
  std::string prefix_;
};

Architecture ParseArchitecture(const GgufFile& file) {
  if (file.Find("general.architecture") == nullptr) {
    ThrowInvalid(file.label() + ": key 'general.architecture': missing");
  }
  const std::string name = file.RequireString("general.architecture");
  if (name == "llama") return Architecture::kLlama;
  if (name == "qwen2") return Architecture::kQwen2;
  ThrowUnsupported(file.label() + ": key 'general.architecture': architecture '" + name +
                   "' is not supported (supported: llama, qwen2)");
}

RopeScaling ReadRopeScaling(const ArchKeys& keys) {
  RopeScaling scaling;
  if (std::optional<std::string> type = keys.OptionalString("rope.scaling.type")) {
    if (*type != "none" && *type != "linear" && *type != "yarn" && *type != "longrope") {
      keys.Unsupported("rope.scaling.type",
                       "rope scaling '" + *type + "' is not supported (none, linear, yarn, longrope)");
    }
    scaling.type = *type;
  }
  // Older files give only a linear factor under rope.scale_linear.
  std::optional<double> factor = keys.OptionalFinitePositive("rope.scaling.factor");
  if (!factor) {
    factor = keys.OptionalFinitePositive("rope.scale_linear");
    if (factor && scaling.type == "none") scaling.type = "linear";
  }
  if (factor) scaling.factor = *factor;
  if (std::optional<uint64_t> original =
          keys.OptionalPositive("rope.scaling.original_context_length")) {
    scaling.original_context_length = *original;
  }
  if (std::optional<double> attention = keys.OptionalFinitePositive("rope.scaling.attn_factor")) {
    scaling.attention_factor = *attention;
  }
  return scaling;
}

uint64_t ReadVocabSize(const GgufFile& file, const ArchKeys& keys) {
  constexpr std::string_view kTokensKey = "tokenizer.ggml.tokens";
  const GgufValue* tokens = file.Find(kTokensKey);
  if (tokens == nullptr) {
    ThrowInvalid(file.label() + ": key 'tokenizer.ggml.tokens': missing (no vocabulary)");
  }
  const GgufArray* array = tokens->AsArray();
  if (array == nullptr || array->element_type != GgufType::kString) {
    ThrowInvalid(file.label() + ": key 'tokenizer.ggml.tokens': must be an array of strings, not " +
                 tokens->Describe(30));
  }
  if (array->items.empty()) ThrowInvalid(file.label() + ": key 'tokenizer.ggml.tokens': empty");
  const uint64_t vocab_size = array->items.size();
  // llama.cpp trusts the tokens array; a contradicting <arch>.vocab_size means a broken file.
  if (std::optional<uint64_t> declared = file.OptionalUint(keys.Key("vocab_size"))) {
    if (*declared != vocab_size) {
      keys.Fail("vocab_size", std::to_string(*declared) + " but tokenizer.ggml.tokens has " +
                                  std::to_string(vocab_size) + " entries");
    }
  }
  return vocab_size;
}

}  // namespace

std::string_view NameOf(Architecture architecture) {
  switch (architecture) {
    case Architecture::kLlama:
      return "llama";
    case Architecture::kQwen2:
      return "qwen2";
  }
  return "?";
}

ModelSpec ModelSpec::FromGguf(const GgufFile& file) {
  ModelSpec spec;
  spec.architecture = ParseArchitecture(file);
  const ArchKeys keys(file, std::string(NameOf(spec.architecture)));

  spec.context_length = keys.RequirePositive("context_length");
  spec.embedding_length = keys.RequirePositive("embedding_length");
  spec.block_count = keys.RequirePositive("block_count");
  if (spec.block_count > kMaxBlockCount) {
    keys.Fail("block_count", std::to_string(spec.block_count) + " layers is more than " +
                                 std::to_string(kMaxBlockCount));
  }
  spec.feed_forward_length = keys.RequirePositive("feed_forward_length");
  spec.head_count = keys.RequirePositive("attention.head_count");
  spec.head_count_kv = keys.OptionalPositive("attention.head_count_kv").value_or(spec.head_count);
  if (spec.head_count_kv > spec.head_count || spec.head_count % spec.head_count_kv != 0) {
    keys.Fail("attention.head_count_kv",
              std::to_string(spec.head_count_kv) + " KV heads do not divide " +
                  std::to_string(spec.head_count) + " query heads");
  }

  const std::optional<uint64_t> key_length = keys.OptionalPositive("attention.key_length");
  if (key_length) {
    spec.key_length = *key_length;
  } else {
    if (spec.embedding_length % spec.head_count != 0) {
      keys.Fail("attention.head_count", std::to_string(spec.head_count) +
                                            " heads do not divide embedding_length " +
                                            std::to_string(spec.embedding_length));
    }
    spec.key_length = spec.embedding_length / spec.head_count;
  }
  spec.value_length = keys.OptionalPositive("attention.value_length").value_or(spec.key_length);
  // Widths are products of file values: keep them far from overflow before any shape uses them.
  constexpr uint64_t kMaxWidth = uint64_t{1} << 32;
  if (spec.embedding_length > kMaxWidth || spec.feed_forward_length > kMaxWidth ||
      spec.head_count > kMaxWidth / spec.key_length ||
      spec.head_count > kMaxWidth / spec.value_length) {
    keys.Fail("embedding_length", "sizes are implausibly large");
  }

  spec.rope_freq_base = keys.OptionalFinitePositive("rope.freq_base")
                            .value_or(static_cast<double>(kDefaultRopeFreqBase));
  spec.rope_dimension_count = keys.OptionalPositive("rope.dimension_count").value_or(spec.key_length);
  if (spec.rope_dimension_count > spec.key_length || spec.rope_dimension_count % 2 != 0) {
    keys.Fail("rope.dimension_count", std::to_string(spec.rope_dimension_count) +
                                          " must be even and at most the head size " +
                                          std::to_string(spec.key_length));
  }
  spec.rope_scaling = ReadRopeScaling(keys);
  spec.rms_norm_epsilon = keys.OptionalFinitePositive("attention.layer_norm_rms_epsilon")
                              .value_or(kDefaultRmsEpsilon);
  spec.vocab_size = ReadVocabSize(file, keys);
  spec.tied_embeddings = file.FindTensor("output.weight") == nullptr;
  spec.attention_biases = spec.architecture == Architecture::kQwen2;
  return spec;
}

std::vector<TensorRequirement> TensorRequirements(const ModelSpec& spec) {
  const uint64_t n_embd = spec.embedding_length;
  std::vector<TensorRequirement> requirements = {
      {"token_embd.weight", {n_embd, spec.vocab_size}, true, true},
      {"output_norm.weight", {n_embd}, true, false},
      {"output.weight", {n_embd, spec.vocab_size}, false, true},
      // Llama 3.1-style frequency factors for scaled rope.
      {"rope_freqs.weight", {spec.rope_dimension_count / 2}, false, false},
  };
  const bool biases_required = spec.attention_biases;
  for (uint64_t block = 0; block < spec.block_count; ++block) {
    const std::string prefix = "blk." + std::to_string(block) + ".";
    auto add = [&](const char* name, std::vector<uint64_t> shape, bool required, bool matrix) {
      requirements.push_back({prefix + name, std::move(shape), required, matrix});
    };
    add("attn_norm.weight", {n_embd}, true, false);
    add("attn_q.weight", {n_embd, spec.query_width()}, true, true);
    add("attn_k.weight", {n_embd, spec.key_width()}, true, true);
    add("attn_v.weight", {n_embd, spec.value_width()}, true, true);
    add("attn_output.weight", {spec.head_count * spec.value_length, n_embd}, true, true);
    add("attn_q.bias", {spec.query_width()}, biases_required, false);
    add("attn_k.bias", {spec.key_width()}, biases_required, false);
    add("attn_v.bias", {spec.value_width()}, biases_required, false);
    if (spec.architecture == Architecture::kLlama) add("attn_output.bias", {n_embd}, false, false);
    add("ffn_norm.weight", {n_embd}, true, false);
    add("ffn_gate.weight", {n_embd, spec.feed_forward_length}, true, true);
    add("ffn_up.weight", {n_embd, spec.feed_forward_length}, true, true);
    add("ffn_down.weight", {spec.feed_forward_length, n_embd}, true, true);
  }
  return requirements;
}

void ValidateTensors(const GgufFile& file, const ModelSpec& spec) {
  const std::string where = file.label() + ": " + std::string(NameOf(spec.architecture));
  const std::vector<TensorRequirement> requirements = TensorRequirements(spec);
  std::set<std::string_view> known;  // views into `requirements`
  for (const TensorRequirement& requirement : requirements) {
    known.insert(requirement.name);
    const GgufTensorInfo* tensor = file.FindTensor(requirement.name);
    if (tensor == nullptr) {
      if (requirement.required) {
        ThrowInvalid(where + " tensor '" + requirement.name + "' is missing (expected shape " +
                     ShapeText(requirement.shape) + ")");
      }
      continue;
    }
    if (tensor->shape != requirement.shape) {
      ThrowInvalid(where + " tensor '" + requirement.name + "': expected shape " +
                   ShapeText(requirement.shape) + ", found " + ShapeText(tensor->shape));
    }
    const bool type_ok = requirement.is_matrix ? IsSupported(tensor->type)
                                               : tensor->type == TensorType::kF32;
    if (!type_ok) {
      ThrowInvalid(where + " tensor '" + requirement.name + "': type " +
                   std::string(NameOf(tensor->type)) + " is not supported here (" +
                   (requirement.is_matrix ? "F32 F16 BF16 Q8_0 Q4_0 Q5_0 Q4_K Q5_K Q6_K"
                                          : "vectors must be F32") +
                   ")");
    }
  }
  for (const GgufTensorInfo& tensor : file.tensors()) {
    if (known.count(tensor.name) == 0) {
      ThrowInvalid(where + " tensor '" + tensor.name + "' is not part of this architecture (" +
                   std::to_string(spec.block_count) + " blocks)");
    }
  }
}

}  // namespace troupe::engine
