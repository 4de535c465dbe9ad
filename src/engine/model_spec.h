// What a decoder-only transformer in a GGUF file looks like: its hyperparameters, read from the
// metadata, and the tensors its architecture needs, with the shapes those hyperparameters imply.
//
// Supported architectures: llama (Llama 1/2/3, SmolLM, TinyLlama...) and qwen2 (Qwen 1.5/2/2.5).
// Both are pre-norm RMSNorm transformers with rotary attention, grouped-query heads and a SwiGLU
// feed-forward; qwen2 adds biases to the q/k/v projections.
//
// FromGguf throws EngineError: kUnsupported naming the architecture when it is neither, and
// kInvalidInput naming the metadata key when a value is missing, has the wrong type or is
// inconsistent (zero sizes, heads that do not divide the embedding, ...). ValidateTensors throws
// kInvalidInput naming the tensor with the expected and actual shape or type. Pure functions of
// their arguments; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/gguf.h"
#include "engine/tensor_type.h"

namespace troupe::engine {

enum class Architecture { kLlama, kQwen2 };

std::string_view NameOf(Architecture architecture);  // "llama", "qwen2": the GGUF spelling

// How rotary positions are stretched beyond the trained context (`<arch>.rope.scaling.*`).
struct RopeScaling {
  std::string type = "none";             // none | linear | yarn | longrope
  double factor = 1.0;                   // positions are divided by this
  uint64_t original_context_length = 0;  // 0 when the file does not say
  double attention_factor = 1.0;         // yarn's magnitude correction
};

struct ModelSpec {
  Architecture architecture = Architecture::kLlama;
  uint64_t context_length = 0;       // trained context, in tokens
  uint64_t embedding_length = 0;     // n_embd
  uint64_t block_count = 0;          // layers
  uint64_t feed_forward_length = 0;  // n_ff
  uint64_t head_count = 0;
  uint64_t head_count_kv = 0;        // == head_count without grouped-query attention
  uint64_t key_length = 0;           // per head; n_embd / head_count unless the file says
  uint64_t value_length = 0;         // per head
  double rope_freq_base = 10000.0;
  uint64_t rope_dimension_count = 0;  // leading dimensions of each head that rotate
  RopeScaling rope_scaling;
  double rms_norm_epsilon = 1e-5;
  uint64_t vocab_size = 0;           // entries of tokenizer.ggml.tokens
  bool tied_embeddings = false;      // no output.weight: token_embd doubles as the output matrix
  bool attention_biases = false;     // q/k/v projections carry biases (qwen2)

  // Reads and checks the hyperparameters; `tied_embeddings` comes from whether the file holds an
  // output.weight tensor.
  static ModelSpec FromGguf(const GgufFile& file);

  uint64_t query_width() const { return head_count * key_length; }   // rows of attn_q
  uint64_t key_width() const { return head_count_kv * key_length; }  // rows of attn_k
  uint64_t value_width() const { return head_count_kv * value_length; }
};

struct TensorRequirement {
  std::string name;
  std::vector<uint64_t> shape;  // ggml order: shape[0] is the row length
  bool required = true;         // optional tensors are checked only when present
  bool is_matrix = false;       // matrices may be any supported type; vectors must be F32
};

// Every tensor the architecture reads, in a stable order (globals, then block by block).
std::vector<TensorRequirement> TensorRequirements(const ModelSpec& spec);

// Checks every required tensor exists, every present one has its shape and a type the engine
// computes with, and the file holds no tensor the architecture does not know.
void ValidateTensors(const GgufFile& file, const ModelSpec& spec);

}  // namespace troupe::engine
