// A GGUF model run in-process, as everything above src/llm sees it: load a file, say what it is,
// turn text into tokens, render a chat with the model's template, score text, and hand out
// sequences for raw generation (local_sequence.h). The engine behind it stays inside src/llm:
// every failure is a Status (engine_status_internal.h says which), never an exception.
//
// Thread safety: a loaded model is immutable; every const call may run on any thread. Score and
// LocalSequence::Generate run the network: one at a time per model.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"
#include "config/config.h"
#include "llm/provider.h"

namespace troupe::llm {

class LocalSequence;

struct LoadModelOptions {
  // Read only the tokenizer and chat template (tokenizers, inspection): the tensors are then
  // neither required nor checked, and the model cannot run.
  bool vocab_only = false;
  // Load a file that holds no tensors as a vocabulary instead of refusing it (inspection).
  bool vocab_only_without_tensors = false;
  int threads = 0;  // compute threads; 0: one per CPU core
};

// The architecture's hyperparameters, as the file states them.
struct ModelHyperparameters {
  uint64_t context_length = 0;  // trained context, in tokens
  uint64_t embedding_length = 0;
  uint64_t block_count = 0;
  uint64_t feed_forward_length = 0;
  uint64_t head_count = 0;
  uint64_t head_count_kv = 0;
  uint64_t key_length = 0;    // per head
  uint64_t value_length = 0;  // per head
  double rope_freq_base = 0.0;
  uint64_t rope_dimension_count = 0;
  std::string rope_scaling;  // none | linear | yarn | longrope
  double rms_norm_epsilon = 0.0;
  bool tied_embeddings = false;   // no output matrix: the token embedding is reused
  bool attention_biases = false;  // q/k/v projections carry biases (qwen2)
};

// A token and its text as the vocabulary stores it.
struct ModelToken {
  int32_t id = 0;
  std::string text;
};

// What a model file is: for `troupe models info`, the server's log and its readiness report.
struct ModelInfo {
  std::string path;
  uint64_t file_size = 0;
  uint32_t gguf_version = 0;
  std::string architecture;  // general.architecture, verbatim
  std::string name;          // general.name, or empty
  std::string file_type;     // "Q4_K_M", from general.file_type, or empty when absent or unknown
  uint64_t tensor_count = 0;
  uint64_t parameter_count = 0;
  uint64_t tensor_bytes = 0;
  std::map<std::string, uint64_t> tensors_by_type;      // "Q4_K" -> count
  std::optional<ModelHyperparameters> hyperparameters;  // absent for vocabulary-only files
  std::string tokenizer_model;                          // tokenizer.ggml.model
  std::string tokenizer_pre;                            // tokenizer.ggml.pre
  int32_t vocab_size = 0;
  std::optional<ModelToken> bos;
  std::optional<ModelToken> eos;
  std::optional<ModelToken> eot;  // end of turn
  bool adds_bos = false;
  bool has_chat_template = false;  // false: ChatML is used
};

// A metadata value for display: scalars in full (integers as int64 when they fit), arrays of at
// most 16 items in full, longer ones (vocabularies hold 100k+ entries) as their type and length.
struct MetadataValue {
  struct LongArray {
    std::string element_type;  // "string", "int32", ...
    uint64_t length = 0;
  };
  std::variant<std::string, bool, double, int64_t, uint64_t, std::vector<MetadataValue>, LongArray> value;
};

struct MetadataEntry {
  std::string key;
  std::string description;  // short human form: strings quoted and cut, arrays as "[type; count] ..."
  MetadataValue value;
};

struct TensorEntry {
  std::string name;
  std::string type;              // "Q4_K", "F32", ...
  std::vector<uint64_t> shape;   // ggml order: shape[0] is the row length
  uint64_t file_offset = 0;      // where its data starts in the file
  uint64_t bytes = 0;
};

// Teacher-forced log-probabilities of a text (perplexity).
struct TextScore {
  double total_log_prob = 0.0;  // sum of log P(token | tokens before it), from the second token on
  size_t predicted_tokens = 0;
};

class LocalModel {
 public:
  // Opens, checks and prepares `path`: the GGUF container, the architecture and tensor shapes
  // (unless vocab_only), the tokenizer and the chat template. kInvalidArgument naming the file and
  // the byte offset, key or tensor at fault for a malformed or unsupported file; kUnavailable when
  // it cannot be read.
  static Result<std::unique_ptr<LocalModel>> Load(const std::filesystem::path& path, LoadModelOptions options = {});

  ~LocalModel();
  LocalModel(const LocalModel&) = delete;
  LocalModel& operator=(const LocalModel&) = delete;

  const ModelInfo& info() const { return info_; }
  // Every metadata key in file order, and every tensor in file order.
  std::vector<MetadataEntry> Metadata() const;
  std::vector<TensorEntry> Tensors() const;

  // Text to token ids. `add_special` adds BOS/EOS as the vocabulary asks; `parse_special` turns
  // the text of control tokens ("<|im_start|>") into those tokens.
  Result<std::vector<int32_t>> Tokenize(std::string_view text, bool add_special, bool parse_special) const;
  // The text the vocabulary stores for `token`; empty for an id outside the vocabulary.
  std::string TokenText(int32_t token) const;
  // The prompt tokens of `messages` rendered with the model's chat template (ChatML when the file
  // has none), control tokens parsed and BOS added once. Text turns only (role, content, name):
  // tool calls are the local provider's (local_provider.h), and a message carrying one is
  // kInvalidArgument, as is a template that fails on the messages.
  Result<std::vector<int32_t>> TokenizeChat(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;

  // Scores `tokens` from a fresh cache. kInvalidArgument for fewer than two tokens, more than the
  // trained context, or a model loaded vocab_only.
  Result<TextScore> Score(std::span<const int32_t> tokens);
  // An empty sequence of at most `max_tokens` positions (capped by the trained context).
  // kInvalidArgument for a model loaded vocab_only.
  Result<std::unique_ptr<LocalSequence>> NewSequence(uint32_t max_tokens);

 private:
  // The engine model lives behind Impl (local_model_internal.h), which only src/llm includes: the
  // local provider and sequences reach it through LocalModelAccess.
  struct Impl;
  friend class LocalModelAccess;
  explicit LocalModel(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
  ModelInfo info_;
};

// Opens `path` as a GGUF container and checks its structure (counts, offsets, alignment), without
// matching its tensors to an architecture. The same errors as Load.
Status CheckGgufFile(const std::filesystem::path& path);

// The model `serve` and `chat` run: model.path, or the default catalog model once downloaded.
struct ConfiguredModel {
  // Shared: `serve` hands it to the local provider that runs it and keeps it for its reports.
  std::shared_ptr<LocalModel> model;  // null when none is configured or downloaded
  std::shared_ptr<LocalModel> draft;  // model.draft_path's, loaded with the model; else null
  std::string missing_hint;           // set when `model` is null: how to get one
};

// How to get a model, for logs and readiness when there is none.
std::string HowToGetAModel(const config::Config& config);

// Loads model.path with model.threads, or the default catalog model when it was downloaded. A
// configured model that does not load is an error with the field model.path (kNotFound for a
// missing file, else Load's); no model at all is not an error (missing_hint says how to get one).
Result<ConfiguredModel> LoadConfiguredModel(const config::Config& config);

}  // namespace troupe::llm
