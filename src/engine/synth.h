// Random-weight models of any shape, for tests and benchmarks: a llama or qwen2 GGUF file whose
// weights are drawn from a seeded generator of our own (the same options give the same bytes,
// independent of the standard library's distributions), stored in any supported weight type or in llama-quantize's Q4_K_M / Q5_K_M mixes, with
// a real tokenizer copied from a vocabulary GGUF or a small built-in byte-level one.
//
// The weights are scaled so that activations and logits stay in a useful range (std =
// gain / sqrt(fan_in), norms near 1), so greedy decoding is not degenerate; the text is still
// gibberish. Tensors are generated and encoded one at a time while the file is written, so a
// 0.5 B-parameter shape needs memory for one tensor, not the whole model.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model_spec.h"

namespace troupe::engine {

struct SynthShape {
  Architecture architecture = Architecture::kLlama;  // qwen2 adds q/k/v biases
  uint64_t embedding_length = 256;
  uint64_t block_count = 2;
  uint64_t head_count = 4;
  uint64_t head_count_kv = 2;
  uint64_t feed_forward_length = 512;
  uint64_t vocab_size = 512;  // ignored when a vocabulary file is given: its size wins
  uint64_t context_length = 2048;
  bool tied_embeddings = false;  // no output.weight; token_embd doubles as the output matrix
  double rope_freq_base = 10000.0;
  double rms_norm_epsilon = 1e-5;
};

// Named shapes: "tiny" (the defaults above: every matrix row a multiple of 256, so K-quants
// apply unchanged), "smollm2-135m", "qwen2.5-0.5b" (qwen2) and "llama-1b" (Llama 3.2 1B), with
// the real models' sizes. nullopt for an unknown name.
std::optional<SynthShape> ShapePreset(std::string_view name);

struct SynthOptions {
  std::filesystem::path output;  // written atomically (see GgufWriter::WriteFile)
  SynthShape shape;
  // f32 f16 bf16: every matrix in that type. q8_0 q4_0 q5_0 q4_k q5_k q6_k: every matrix in
  // that type except the output matrix (output.weight, or token_embd when tied), which gets
  // Q6_K as llama-quantize gives it (Q8_0 files keep Q8_0); llama-quantize's extra Q4_K_S /
  // Q5_K_S rules are not applied. q4_k_m q5_k_m: llama-quantize's mixes (also attn_v and
  // ffn_down Q6_K in the layers it favours). Either way a row that is not whole blocks falls
  // back as llama-quantize does (Q4_K -> Q5_0, Q6_K -> Q8_0; Q5_K -> Q5_0 where llama-quantize
  // picks Q5_1, which this engine does not encode; a row that fits no 32-block stays F16).
  // Norms and biases are always F32.
  std::string weight_type = "f16";
  uint64_t seed = 1;
  // A GGUF whose `tokenizer.*` keys are copied verbatim (and whose token count becomes the vocab
  // size). Empty: a built-in SentencePiece-style vocabulary with byte fallback (<unk> <s> </s>
  // <|im_start|> <|im_end|>, the 256 byte tokens, printable pieces), padded with unused tokens
  // to shape.vocab_size.
  std::filesystem::path vocab_file;
  std::string name;  // general.name; empty: "synthetic-<arch>"
};

struct SynthTensor {
  std::string name;
  TensorType type;
  std::vector<uint64_t> shape;
};

// The tensors WriteSyntheticModel would write, with their types, without making any weights.
std::vector<SynthTensor> PlanSyntheticModel(const SynthOptions& options);

// Writes the model. Throws EngineError: kInvalidInput naming the option for an unknown weight
// type or an inconsistent shape; whatever GgufFile::Open throws for a bad vocabulary file; kIo
// when the output cannot be written.
void WriteSyntheticModel(const SynthOptions& options);

// The ChatML template written when the vocabulary brings none.
std::string_view ChatMlTemplate();

}  // namespace troupe::engine
