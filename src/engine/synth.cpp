// WriteSyntheticModel: shape checks, llama-quantize-like type choice, seeded initialisation and
// the built-in vocabulary.
#include "engine/synth.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <numbers>
#include <set>
#include <vector>

#include "engine/error.h"
#include "engine/gguf.h"
#include "engine/quant.h"
#include "engine/split_mix64_internal.h"

namespace troupe::engine {
namespace {

// ---- Randomness: SplitMix64 and Box-Muller, so the bytes do not depend on which standard
// library's std::normal_distribution is linked.

class NormalGenerator {
 public:
  explicit NormalGenerator(uint64_t seed) : state_(seed) {}

  // A standard normal draw.
  double Next() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    // 53 random bits in (0, 1]: never 0, so the logarithm is finite.
    const double u1 = static_cast<double>((SplitMix64(state_) >> 11) + 1) * 0x1.0p-53;
    const double u2 = static_cast<double>(SplitMix64(state_) >> 11) * 0x1.0p-53;
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * std::numbers::pi * u2;
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }
  bool NextBit() { return (SplitMix64(state_) >> 63) != 0; }

 private:
  uint64_t state_;
  double spare_ = 0;
  bool has_spare_ = false;
};

// Each tensor gets its own stream, derived from the seed and its name, so tensors can be made in
// any order and each is reproducible alone.
uint64_t TensorSeed(uint64_t seed, std::string_view name) {
  uint64_t hash = 0xCBF29CE484222325u;  // FNV-1a
  for (char c : name) hash = (hash ^ static_cast<uint8_t>(c)) * 0x100000001B3u;
  uint64_t state = seed ^ hash;
  return SplitMix64(state);
}

// ---- Weight types.

struct WeightScheme {
  TensorType base = TensorType::kF16;
  bool medium_mix = false;  // llama-quantize's *_K_M rules
  uint32_t file_type = 1;   // llama.cpp's LLAMA_FTYPE number, for general.file_type
};

WeightScheme ParseWeightScheme(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  struct Named {
    std::string_view name;
    WeightScheme scheme;
  };
  static constexpr Named kSchemes[] = {
      {"f32", {TensorType::kF32, false, 0}},    {"f16", {TensorType::kF16, false, 1}},
      {"bf16", {TensorType::kBF16, false, 32}}, {"q8_0", {TensorType::kQ8_0, false, 7}},
      {"q4_0", {TensorType::kQ4_0, false, 2}},  {"q5_0", {TensorType::kQ5_0, false, 8}},
      {"q4_k", {TensorType::kQ4_K, false, 14}}, {"q5_k", {TensorType::kQ5_K, false, 16}},
      {"q6_k", {TensorType::kQ6_K, false, 18}}, {"q4_k_m", {TensorType::kQ4_K, true, 15}},
      {"q5_k_m", {TensorType::kQ5_K, true, 17}},
  };
  for (const Named& named : kSchemes) {
    if (named.name == lower) return named.scheme;
  }
  ThrowInvalid("synthetic model: weight_type '" + std::string(text) +
               "' is not one of f32 f16 bf16 q8_0 q4_0 q5_0 q4_k q5_k q6_k q4_k_m q5_k_m");
}

bool IsQuantized(TensorType type) { return TraitsOf(type).block_elements > 1; }

// llama-quantize gives these layers more bits: the first and last eighth, and every third
// layer in between.
bool UseMoreBits(uint64_t layer, uint64_t layers) {
  return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
}

// K-quants need rows of 256; llama-quantize then falls back to a 32-block type.
TensorType FitRow(TensorType type, uint64_t row_length) {
  if (row_length % TraitsOf(type).block_elements == 0) return type;
  switch (type) {
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:  // llama-quantize: Q5_1, which the engine does not encode
      type = TensorType::kQ5_0;
      break;
    case TensorType::kQ6_K:
      type = TensorType::kQ8_0;
      break;
    default:
      break;
  }
  return row_length % TraitsOf(type).block_elements == 0 ? type : TensorType::kF16;
}

// `layer` is the block a per-layer tensor belongs to.
TensorType ChooseType(const WeightScheme& scheme, const TensorRequirement& tensor, uint64_t layer,
                      const SynthShape& shape) {
  if (!tensor.is_matrix) return TensorType::kF32;
  if (!IsQuantized(scheme.base)) return scheme.base;
  const std::string_view name = tensor.name;
  const bool is_output_matrix = name == "output.weight" ||
                                (shape.tied_embeddings && name == "token_embd.weight");
  if (is_output_matrix) {
    // llama-quantize's rule for every quantized file type: the output matrix gets Q6_K, or
    // Q8_0 when its rows do not fit K-quants, and Q8_0 files keep Q8_0.
    if (tensor.shape[0] % 256 != 0) return FitRow(TensorType::kQ8_0, tensor.shape[0]);
    return scheme.base == TensorType::kQ8_0 ? TensorType::kQ8_0 : TensorType::kQ6_K;
  }
  TensorType type = scheme.base;
  if (scheme.medium_mix &&
      (name.ends_with("attn_v.weight") || name.ends_with("ffn_down.weight")) &&
      UseMoreBits(layer, shape.block_count)) {
    type = TensorType::kQ6_K;
  }
  return FitRow(type, tensor.shape[0]);
}

// ---- Initialisation, after the shared synthetic models (shared/models/README.md).

struct Init {
  double mean = 0;        // added to every element (norms are 1 + noise)
  double stddev = 1;
  double row_log_stddev = 0;  // each row scaled by exp(N(0, this^2))
  bool random_signs = false;  // each element's sign flipped at random
};

Init InitFor(const TensorRequirement& tensor, const SynthShape& shape) {
  const std::string_view name = tensor.name;
  const double fan_in = static_cast<double>(tensor.shape[0]);
  const double embd_scale = 1.0 / std::sqrt(static_cast<double>(shape.embedding_length));
  if (name == "token_embd.weight") {
    // Tied: small rows of varied length, so the output layer does not simply echo the input.
    if (shape.tied_embeddings) return {0, 3.0 * embd_scale, 0.2, false};
    return {0, 1.0, 0, false};
  }
  if (name == "output.weight") return {0, 3.0 * embd_scale, 0.4, false};
  if (name == "output_norm.weight") return {1.0, 0.1, 0, shape.tied_embeddings};
  if (name.ends_with("norm.weight")) return {1.0, 0.1, 0, false};
  if (name.ends_with("attn_q.bias") || name.ends_with("attn_k.bias")) return {0, 0.3, 0, false};
  if (name.ends_with(".bias")) return {0, 0.1, 0, false};
  const bool query_or_key = name.ends_with("attn_q.weight") || name.ends_with("attn_k.weight");
  return {0, (query_or_key ? 0.8 : 0.7) / std::sqrt(fan_in), 0, false};
}

struct TensorPlan {
  std::string name;
  TensorType type;
  std::vector<uint64_t> shape;
  Init init;
  uint64_t seed;
};

// Rows are generated and encoded a slab at a time, so the float copy of a big tensor never
// exists whole.
std::vector<std::byte> GenerateTensor(const TensorPlan& plan) {
  constexpr uint64_t kSlabElements = uint64_t{1} << 20;
  const uint64_t row_length = plan.shape[0];
  uint64_t rows = 1;
  for (size_t i = 1; i < plan.shape.size(); ++i) rows *= plan.shape[i];
  const uint64_t rows_per_slab = std::max<uint64_t>(1, kSlabElements / row_length);

  NormalGenerator random(plan.seed);
  std::vector<std::byte> encoded;
  encoded.reserve(ByteSizeOf(plan.type, row_length * rows).value_or(0));
  std::vector<float> slab;
  for (uint64_t first_row = 0; first_row < rows; first_row += rows_per_slab) {
    const uint64_t slab_rows = std::min(rows_per_slab, rows - first_row);
    slab.resize(slab_rows * row_length);
    for (uint64_t row = 0; row < slab_rows; ++row) {
      const double row_scale =
          plan.init.row_log_stddev > 0 ? std::exp(plan.init.row_log_stddev * random.Next()) : 1.0;
      for (uint64_t i = 0; i < row_length; ++i) {
        double value = (plan.init.mean + plan.init.stddev * random.Next()) * row_scale;
        if (plan.init.random_signs && random.NextBit()) value = -value;
        slab[row * row_length + i] = static_cast<float>(value);
      }
    }
    const std::vector<std::byte> bytes = Quantize(plan.type, slab);
    encoded.insert(encoded.end(), bytes.begin(), bytes.end());
  }
  return encoded;
}

// ---- Shape checks.

void CheckShape(const SynthShape& shape, bool has_vocab_file) {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) ThrowInvalid("synthetic model: " + what);
  };
  require(shape.embedding_length > 0, "shape.embedding_length must be positive");
  require(shape.block_count > 0, "shape.block_count must be positive");
  require(shape.head_count > 0, "shape.head_count must be positive");
  require(shape.head_count_kv > 0, "shape.head_count_kv must be positive");
  require(shape.feed_forward_length > 0, "shape.feed_forward_length must be positive");
  require(shape.context_length > 0, "shape.context_length must be positive");
  require(has_vocab_file || shape.vocab_size > 0, "shape.vocab_size must be positive");
  constexpr uint64_t kMaxField = std::numeric_limits<uint32_t>::max();  // stored as UINT32
  require(shape.embedding_length <= kMaxField && shape.block_count <= kMaxField &&
              shape.feed_forward_length <= kMaxField && shape.context_length <= kMaxField &&
              shape.vocab_size <= kMaxField && shape.head_count <= kMaxField,
          "shape sizes must fit in 32 bits");
  require(shape.embedding_length % shape.head_count == 0,
          "shape.head_count " + std::to_string(shape.head_count) +
              " does not divide shape.embedding_length " + std::to_string(shape.embedding_length));
  require(shape.head_count % shape.head_count_kv == 0,
          "shape.head_count_kv " + std::to_string(shape.head_count_kv) +
              " does not divide shape.head_count " + std::to_string(shape.head_count));
  require((shape.embedding_length / shape.head_count) % 2 == 0,
          "the head size must be even for rotary embeddings");
  require(shape.rope_freq_base > 0 && std::isfinite(shape.rope_freq_base),
          "shape.rope_freq_base must be positive");
  require(shape.rms_norm_epsilon > 0 && std::isfinite(shape.rms_norm_epsilon),
          "shape.rms_norm_epsilon must be positive");
}

// ---- Vocabulary.

constexpr int32_t kTokenNormal = 1;
constexpr int32_t kTokenUnknown = 2;
constexpr int32_t kTokenControl = 3;
constexpr int32_t kTokenUnused = 5;
constexpr int32_t kTokenByte = 6;

// SentencePiece marks a word start with U+2581.
constexpr std::string_view kWordStart = "\xE2\x96\x81";

// Frequent words of children's stories; each enters the vocabulary with every prefix, so SPM's
// pairwise merges can build it.
constexpr std::string_view kWords[] = {
    "the", "and", "to", "a", "was", "he", "she", "it", "of", "in", "they", "said", "her",
    "his", "you", "with", "once", "upon", "time", "there", "little", "happy", "play", "hello",
};

size_t CodePoints(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::vector<GgufKeyValue> BuiltInVocabulary(uint64_t vocab_size) {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"};
  std::vector<int32_t> types = {kTokenUnknown, kTokenControl, kTokenControl, kTokenControl,
                                kTokenControl};
  for (int byte = 0; byte < 256; ++byte) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    tokens.push_back(std::string("<0x") + kHex[byte >> 4] + kHex[byte & 15] + ">");
    types.push_back(kTokenByte);
  }
  std::vector<std::string> pieces = {std::string(kWordStart)};
  for (char c = '!'; c <= '~'; ++c) pieces.emplace_back(1, c);
  std::set<std::string> seen(pieces.begin(), pieces.end());
  for (std::string_view word : kWords) {
    for (size_t length = 1; length <= word.size(); ++length) {
      std::string piece = std::string(kWordStart) + std::string(word.substr(0, length));
      if (seen.insert(piece).second) pieces.push_back(std::move(piece));
    }
  }
  const uint64_t needed = tokens.size() + pieces.size();
  if (vocab_size < needed) {
    ThrowInvalid("synthetic model: shape.vocab_size " + std::to_string(vocab_size) +
                 " is smaller than the built-in vocabulary's " + std::to_string(needed) +
                 " tokens");
  }
  std::vector<float> scores(tokens.size(), 0.0f);
  for (std::string& piece : pieces) {
    // SPM merges toward the highest score: prefer longer pieces.
    scores.push_back(static_cast<float>(CodePoints(piece)));
    types.push_back(kTokenNormal);
    tokens.push_back(std::move(piece));
  }
  for (uint64_t id = tokens.size(); id < vocab_size; ++id) {
    tokens.push_back("[PAD" + std::to_string(id) + "]");
    scores.push_back(0.0f);
    types.push_back(kTokenUnused);
  }

  GgufArray token_array{GgufType::kString, {}};
  GgufArray score_array{GgufType::kFloat32, {}};
  GgufArray type_array{GgufType::kInt32, {}};
  token_array.items.reserve(tokens.size());
  score_array.items.reserve(tokens.size());
  type_array.items.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    token_array.items.emplace_back(std::move(tokens[i]));
    score_array.items.emplace_back(scores[i]);
    type_array.items.emplace_back(types[i]);
  }
  std::vector<GgufKeyValue> keys;
  keys.push_back({"tokenizer.ggml.model", "llama"});
  keys.push_back({"tokenizer.ggml.pre", "default"});
  keys.push_back({"tokenizer.ggml.tokens", std::move(token_array)});
  keys.push_back({"tokenizer.ggml.scores", std::move(score_array)});
  keys.push_back({"tokenizer.ggml.token_type", std::move(type_array)});
  keys.push_back({"tokenizer.ggml.unknown_token_id", uint32_t{0}});
  keys.push_back({"tokenizer.ggml.bos_token_id", uint32_t{1}});
  keys.push_back({"tokenizer.ggml.eos_token_id", uint32_t{2}});
  keys.push_back({"tokenizer.ggml.eot_token_id", uint32_t{4}});
  keys.push_back({"tokenizer.ggml.add_bos_token", true});
  keys.push_back({"tokenizer.ggml.add_eos_token", false});
  return keys;
}

// Every tokenizer.* key of the file, in its order.
std::vector<GgufKeyValue> CopiedVocabulary(const std::filesystem::path& vocab_file) {
  const GgufFile vocab = GgufFile::Open(vocab_file);
  const GgufValue* tokens = vocab.Find("tokenizer.ggml.tokens");
  const GgufArray* token_array = tokens != nullptr ? tokens->AsArray() : nullptr;
  if (token_array == nullptr || token_array->items.empty()) {
    ThrowInvalid(vocab.label() + ": key 'tokenizer.ggml.tokens': missing or not an array");
  }
  std::vector<GgufKeyValue> keys;
  for (const GgufKeyValue& entry : vocab.metadata()) {
    if (entry.key.starts_with("tokenizer.")) keys.push_back(entry);
  }
  return keys;
}

}  // namespace

std::optional<SynthShape> ShapePreset(std::string_view name) {
  if (name == "tiny") return SynthShape{};
  SynthShape shape;
  shape.tied_embeddings = true;
  if (name == "smollm2-135m") {
    shape.embedding_length = 576;
    shape.block_count = 30;
    shape.head_count = 9;
    shape.head_count_kv = 3;
    shape.feed_forward_length = 1536;
    shape.vocab_size = 49152;
    shape.context_length = 8192;
    shape.rope_freq_base = 100000.0;
    return shape;
  }
  if (name == "qwen2.5-0.5b") {
    shape.architecture = Architecture::kQwen2;
    shape.embedding_length = 896;
    shape.block_count = 24;
    shape.head_count = 14;
    shape.head_count_kv = 2;
    shape.feed_forward_length = 4864;
    shape.vocab_size = 151936;
    shape.context_length = 32768;
    shape.rope_freq_base = 1000000.0;
    shape.rms_norm_epsilon = 1e-6;
    return shape;
  }
  if (name == "llama-1b") {
    shape.embedding_length = 2048;
    shape.block_count = 16;
    shape.head_count = 32;
    shape.head_count_kv = 8;
    shape.feed_forward_length = 8192;
    shape.vocab_size = 128256;
    shape.context_length = 131072;
    shape.rope_freq_base = 500000.0;
    return shape;
  }
  return std::nullopt;
}

std::string_view ChatMlTemplate() {
  return "{%- for message in messages -%}\n"
         "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}\n"
         "{%- endfor -%}\n"
         "{%- if add_generation_prompt -%}\n"
         "{{- '<|im_start|>assistant\\n' -}}\n"
         "{%- endif -%}\n";
}

namespace {

ModelSpec SpecOf(const SynthShape& shape) {
  const uint64_t head_size = shape.embedding_length / shape.head_count;
  ModelSpec spec;
  spec.architecture = shape.architecture;
  spec.context_length = shape.context_length;
  spec.embedding_length = shape.embedding_length;
  spec.block_count = shape.block_count;
  spec.feed_forward_length = shape.feed_forward_length;
  spec.head_count = shape.head_count;
  spec.head_count_kv = shape.head_count_kv;
  spec.key_length = head_size;
  spec.value_length = head_size;
  spec.rope_freq_base = shape.rope_freq_base;
  spec.rope_dimension_count = head_size;
  spec.rms_norm_epsilon = shape.rms_norm_epsilon;
  spec.vocab_size = shape.vocab_size;
  spec.tied_embeddings = shape.tied_embeddings;
  spec.attention_biases = shape.architecture == Architecture::kQwen2;
  return spec;
}

// Every tensor the model gets, in file order; `shape.vocab_size` must be final.
std::vector<TensorPlan> PlanTensors(const SynthOptions& options, const SynthShape& shape) {
  const WeightScheme scheme = ParseWeightScheme(options.weight_type);
  std::vector<TensorPlan> plans;
  for (const TensorRequirement& tensor : TensorRequirements(SpecOf(shape))) {
    const bool wanted =
        tensor.required || (tensor.name == "output.weight" && !shape.tied_embeddings);
    if (!wanted) continue;
    uint64_t layer = 0;
    if (tensor.name.starts_with("blk.")) layer = std::stoull(tensor.name.substr(4));
    plans.push_back(TensorPlan{tensor.name, ChooseType(scheme, tensor, layer, shape),
                               tensor.shape, InitFor(tensor, shape),
                               TensorSeed(options.seed, tensor.name)});
  }
  return plans;
}

struct Vocabulary {
  std::vector<GgufKeyValue> keys;  // tokenizer.*
  uint64_t size = 0;
  bool has_chat_template = false;
};

Vocabulary LoadVocabulary(const SynthOptions& options) {
  Vocabulary vocabulary;
  vocabulary.keys = options.vocab_file.empty() ? BuiltInVocabulary(options.shape.vocab_size)
                                               : CopiedVocabulary(options.vocab_file);
  for (const GgufKeyValue& entry : vocabulary.keys) {
    if (entry.key == "tokenizer.ggml.tokens") vocabulary.size = entry.value.AsArray()->items.size();
    if (entry.key == "tokenizer.chat_template") vocabulary.has_chat_template = true;
  }
  return vocabulary;
}

}  // namespace

std::vector<SynthTensor> PlanSyntheticModel(const SynthOptions& options) {
  CheckShape(options.shape, !options.vocab_file.empty());
  SynthShape shape = options.shape;
  if (!options.vocab_file.empty()) shape.vocab_size = LoadVocabulary(options).size;
  std::vector<SynthTensor> tensors;
  for (TensorPlan& plan : PlanTensors(options, shape)) {
    tensors.push_back(SynthTensor{std::move(plan.name), plan.type, std::move(plan.shape)});
  }
  return tensors;
}

void WriteSyntheticModel(const SynthOptions& options) {
  const WeightScheme scheme = ParseWeightScheme(options.weight_type);
  CheckShape(options.shape, !options.vocab_file.empty());
  // The vocabulary comes first: a vocabulary file decides the vocab size.
  const Vocabulary vocabulary = LoadVocabulary(options);
  SynthShape shape = options.shape;
  shape.vocab_size = vocabulary.size;
  const std::string arch(NameOf(shape.architecture));
  const uint64_t head_size = shape.embedding_length / shape.head_count;

  GgufWriter writer;
  writer.Set("general.architecture", arch);
  writer.Set("general.name", options.name.empty() ? "synthetic-" + arch : options.name);
  writer.Set("general.description",
             "Random weights (troupe synthetic model, seed " + std::to_string(options.seed) +
                 ", weights " + options.weight_type + "). Test data only; generates gibberish.");
  writer.Set("general.file_type", scheme.file_type);
  if (IsQuantized(scheme.base)) writer.Set("general.quantization_version", uint32_t{2});
  writer.Set(arch + ".context_length", static_cast<uint32_t>(shape.context_length));
  writer.Set(arch + ".embedding_length", static_cast<uint32_t>(shape.embedding_length));
  writer.Set(arch + ".block_count", static_cast<uint32_t>(shape.block_count));
  writer.Set(arch + ".feed_forward_length", static_cast<uint32_t>(shape.feed_forward_length));
  writer.Set(arch + ".attention.head_count", static_cast<uint32_t>(shape.head_count));
  writer.Set(arch + ".attention.head_count_kv", static_cast<uint32_t>(shape.head_count_kv));
  writer.Set(arch + ".rope.freq_base", static_cast<float>(shape.rope_freq_base));
  writer.Set(arch + ".attention.layer_norm_rms_epsilon",
             static_cast<float>(shape.rms_norm_epsilon));
  writer.Set(arch + ".rope.dimension_count", static_cast<uint32_t>(head_size));
  writer.Set(arch + ".vocab_size", static_cast<uint32_t>(shape.vocab_size));
  // After the model keys, as llama.cpp's converters order them.
  for (const GgufKeyValue& entry : vocabulary.keys) writer.Set(entry.key, entry.value);
  if (!vocabulary.has_chat_template) {
    writer.Set("tokenizer.chat_template", std::string(ChatMlTemplate()));
  }

  for (TensorPlan& plan : PlanTensors(options, shape)) {
    std::string name = plan.name;
    const TensorType type = plan.type;
    std::vector<uint64_t> tensor_shape = plan.shape;
    writer.AddTensor(std::move(name), type, std::move(tensor_shape),
                     [plan = std::move(plan)] { return GenerateTensor(plan); });
  }
  writer.WriteFile(options.output);
}

}  // namespace troupe::engine
