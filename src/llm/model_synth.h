// Random-weight models of any shape, for tests and benchmarks (`troupe models synth`): a llama or
// qwen2 GGUF file from a named shape with any of its sizes overridden, in any weight type the
// engine encodes. The text such a model writes is gibberish; the engine's synth.h says how the
// weights are drawn and which types each tensor gets.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "base/status.h"

namespace troupe::llm {

struct SyntheticModelOptions {
  std::filesystem::path output;  // written atomically
  std::string shape = "tiny";    // tiny, smollm2-135m, qwen2.5-0.5b or llama-1b
  std::string architecture;      // llama or qwen2; empty: the shape's
  // Each set one overrides the shape's.
  std::optional<uint64_t> embedding_length, block_count, head_count, head_count_kv, feed_forward_length,
      vocab_size, context_length;
  std::optional<bool> tied_embeddings;
  // f32 f16 bf16 q8_0 q4_0 q5_0 q4_k q5_k q6_k, or llama-quantize's mixes q4_k_m q5_k_m.
  std::string weight_type = "f16";
  uint64_t seed = 1;  // the same options write the same bytes
  // A GGUF whose tokenizer is copied; empty: a small built-in byte-level vocabulary.
  std::filesystem::path vocab_file;
  std::string name;  // general.name; empty: "synthetic-<arch>"
};

struct SyntheticModelFile {
  uint64_t parameter_count = 0;
  uint64_t file_size = 0;
};

// Checks the shape and architecture names without writing anything: kInvalidArgument naming the
// unknown one and the known ones.
Status CheckSyntheticModelOptions(const SyntheticModelOptions& options);

// Writes the model. kInvalidArgument for what CheckSyntheticModelOptions refuses, an unknown
// weight type, an inconsistent shape or a bad vocabulary file; kUnavailable when a file cannot be
// read or written. A failed write leaves nothing at `output`.
Result<SyntheticModelFile> WriteSyntheticModel(const SyntheticModelOptions& options);

}  // namespace troupe::llm
