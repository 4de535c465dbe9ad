// Raw generation with a local model (`troupe generate`): one sequence keeps its KV cache between
// calls, so a conversation that resends its whole history each turn only runs the new tokens.
// The chat providers do not use this: they run through local_provider.h.
//
// Streaming: `on_piece` receives text as soon as it is whole UTF-8 and known not to begin a stop
// string; no piece carries any part of a stop string, and the pieces joined equal the text.
//
// Thread safety: one call at a time per sequence, and per model (it runs the network); `cancel`
// may be set from any thread and stops generation within one token.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace troupe::llm {

// Sampling and stopping. The defaults are llama.cpp's.
struct GenerationSettings {
  float temperature = 0.8f;  // <= 0: greedy
  int32_t top_k = 40;        // <= 0: off
  float top_p = 0.95f;       // 1: off
  float min_p = 0.05f;       // 0: off
  float repeat_penalty = 1.0f;
  int32_t repeat_last_n = 64;  // the penalty window: 0 = no penalties, -1 = the whole history
  float frequency_penalty = 0.0f;
  float presence_penalty = 0.0f;
  uint64_t seed = 0;
  int32_t max_tokens = 256;  // negative: until a stop or the sequence is full
  std::vector<std::string> stop;  // the text ends before the first of these
  bool stop_at_end_of_generation = true;
  // Set by another thread to stop; may be null; must outlive the call.
  const std::atomic<bool>* cancel = nullptr;
};

struct Generation {
  std::string text;             // ends before any stop string
  std::vector<int32_t> tokens;  // every sampled token, including one that ended generation
  std::string stop_reason;      // "eos", "stop", "length", "context_full" or "cancelled"
  uint32_t prompt_tokens = 0;   // prompt tokens run (those past the reused prefix)
  uint32_t generated_tokens = 0;
  double prompt_ms = 0.0;
  double generation_ms = 0.0;
  double tokens_per_second = 0.0;  // generated_tokens over generation_ms (0 when nothing ran)
};

// Made by LocalModel::NewSequence; keeps the model alive.
class LocalSequence {
 public:
  ~LocalSequence();
  LocalSequence(const LocalSequence&) = delete;
  LocalSequence& operator=(const LocalSequence&) = delete;

  // Generates after `prompt`, running only the tokens past the longest prefix it shares with what
  // the sequence holds (at least one, for the first reply token's logits). Afterwards the sequence
  // holds the prompt and the reply. kInvalidArgument for an empty prompt, an empty stop string,
  // bad sampling settings or a prompt that does not fit; after an error the sequence is empty.
  Result<Generation> Generate(std::span<const int32_t> prompt, const GenerationSettings& settings,
                              const std::function<void(std::string_view piece)>& on_piece = {});

 private:
  // The engine model and its KV cache, defined in local_sequence.cpp so no engine type reaches
  // this header.
  struct Impl;
  friend class LocalModel;
  explicit LocalSequence(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace troupe::llm
