// The engine as the rest of Troupe sees it: load a GGUF model, read what it is, turn text into
// tokens and back, and render a chat into the prompt the model was trained on. Later engine work
// (generation, scheduling) arrives behind this same header.
//
// Errors: Model::Load and the calls below throw EngineError (error.h) with a message naming the
// file and the byte offset, key, tensor or template line at fault; src/llm, the one caller
// outside the engine, catches it at its edge and turns it into a Status.
//
// Numerics: what the engine promises about the logits it computes.
//  - Reproducible: on one machine, the logits of a token depend only on the model file, the
//    tokens before it and the kernel path (kernels/cpu_features.h; the best the CPU has, or the
//    one TROUPE_ENGINE_KERNELS asks for): not on the thread count, nor on how the prompt and the
//    generated tokens were grouped into forward passes (a prompt of 600 tokens run at once, or
//    590 then one by one, gives the same bits), nor on the other sequences sharing the model.
//  - Not promised: the same bits on another kernel path or another CPU. Paths sum in different
//    orders, so they agree to rounding, within the tolerances shared/testdata/README.md gives
//    against llama.cpp.
//  - Like llama.cpp, integer weight types (Q8_0, Q4_0, Q5_0, Q4_K, Q5_K, Q6_K) multiply 8-bit
//    quantized activations (kernels/quantized_activations.h), and the KV cache holds halves.
//
// Thread safety: a loaded Model is immutable; every const call may run on any thread. Generate
// and Score run the network and are not re-entrant: one caller at a time per Model (the
// scheduler, later, is that one caller); NewSequence may be called from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/chat_template.h"
#include "engine/error.h"
#include "engine/generator.h"
#include "engine/gguf.h"
#include "engine/model_spec.h"
#include "engine/scoring.h"
#include "engine/tokenizer.h"
#include "engine/transformer.h"

namespace troupe::engine {

struct LoadOptions {
  // Read only the tokenizer and chat template: for vocab-only files and for tools that never
  // run the network. The tensors are then neither required nor validated.
  bool vocab_only = false;
  // Load a file that holds no tensors as a vocabulary instead of refusing it (model inspectors).
  bool vocab_only_without_tensors = false;
  // Compute threads for the network; 0: one per CPU core.
  int threads = 0;
};

// What `troupe models info` and readiness checks report about a model file.
struct ModelSummary {
  std::string path;
  uint64_t file_size = 0;
  uint32_t gguf_version = 0;
  std::string architecture;  // general.architecture, verbatim
  std::string name;          // general.name, or empty
  std::string file_type;     // "Q4_K_M", from general.file_type, or empty when absent/unknown
  uint64_t tensor_count = 0;
  uint64_t parameter_count = 0;
  uint64_t tensor_bytes = 0;
  std::map<std::string, uint64_t> tensors_by_type;  // "Q4_K" -> count
  std::optional<ModelSpec> spec;                    // absent for vocab-only files
  // Tokenizer.
  std::string tokenizer_model;  // tokenizer.ggml.model
  std::string tokenizer_pre;    // tokenizer.ggml.pre
  int32_t vocab_size = 0;
  std::optional<int32_t> bos;
  std::optional<int32_t> eos;
  bool adds_bos = false;
  bool has_chat_template = false;  // false: ChatML is used
};

// The display name of a general.file_type number ("Q4_K_M", "F16"), or empty if unknown.
std::string FileTypeName(uint64_t file_type);

class Model {
 public:
  // Opens, validates and prepares `path`: the GGUF container, the architecture and tensor shapes
  // (unless vocab_only), the tokenizer and the chat template.
  static std::unique_ptr<Model> Load(const std::filesystem::path& path, LoadOptions options = {});

  ~Model();

  const GgufFile& file() const;
  const Tokenizer& tokenizer() const;
  // The model's own template, or ChatML when the file has none.
  const ChatTemplate& chat_template() const;
  const ModelSummary& summary() const;

  // Text to token ids. `add_special` adds BOS/EOS as the vocabulary asks; `parse_special` turns
  // the text of control tokens (e.g. "<|im_start|>") into those tokens.
  std::vector<int32_t> Tokenize(std::string_view text, bool add_special, bool parse_special) const;
  std::string Detokenize(std::span<const int32_t> tokens, bool render_special) const;

  // Renders a conversation with the model's template; BOS/EOS texts come from the tokenizer
  // when the inputs leave them empty.
  std::string RenderChat(ChatTemplateInputs inputs) const;
  // The tokens of a rendered chat: control-token text parsed, BOS added as the vocabulary asks
  // unless the template already wrote it (Llama 3's templates start with it), so the model never
  // sees two, as llama.cpp's server also ensures.
  std::vector<int32_t> TokenizeChat(std::string_view rendered) const;

  // The network; throws EngineError(kInvalidInput) for a model loaded vocab_only.
  Transformer& transformer();
  // A KV cache for one conversation: up to `max_tokens` positions, capped by the model's context.
  std::unique_ptr<KvCache> NewSequence(uint32_t max_tokens) const;
  // Generates after what `sequence` holds (see generator.h).
  GenerationResult Generate(KvCache& sequence, const GenerationRequest& request,
                            const GenerationCallbacks& callbacks = {});
  // Log-probability of each token given those before it (see scoring.h).
  TokenScores Score(std::span<const int32_t> tokens);

 private:
  struct State;
  explicit Model(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace troupe::engine
