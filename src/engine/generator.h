// Text generation for one sequence: run the prompt through the Transformer, then sample, stream
// and stop.
//
// Streaming: `on_piece` receives text as soon as it is both whole UTF-8 (StreamingDecoder) and
// known not to begin a stop string. Text that could be the start of a stop string is held back
// until a later token settles it, so no piece ever carries any part of a stop string, even one
// spread over several tokens. The pieces joined equal `GenerationResult::text`.
//
// Stopping, checked after each sampled token: a grammar fully matched (see `grammar`), an end-of-generation token
// (Tokenizer::IsEndOfGeneration, when stop_on_end_of_generation), a stop string (the text ends
// just before its first occurrence), max_tokens, or the cache reaching its capacity. `cancel`,
// set from any thread, is checked before each step and, during the prompt, before each layer, so
// generation stops within one step and a long prompt within one layer's work (the cache then
// holds the prompt batches that completed).
//
// The KV cache: the prompt continues whatever `cache` already holds (pass an empty cache for a
// fresh sequence, or Truncate one to a shared prefix and pass only the rest). Afterwards it holds
// the prompt and every generated token but the last, which was sampled and never run.
//
// Errors: throws EngineError(kInvalidInput) for an empty prompt, a stop string that is empty,
// bad sampling parameters (Sampler), or a prompt that does not fit the cache; EngineError from
// the Transformer passes through. Callbacks may throw; the exception passes through too.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/grammar.h"
#include "engine/sampler.h"
#include "engine/token_constraint.h"
#include "engine/tokenizer.h"
#include "engine/transformer.h"

namespace troupe::engine {

enum class StopReason {
  kEndOfGeneration,  // the model produced an end-of-generation token
  kStopString,       // the text reached one of the stop strings
  kMaxTokens,        // max_tokens were generated
  kContextFull,      // the cache has no room for another position
  kCancelled,        // the cancel flag was set
};

// "eos", "stop", "length", "context_full", "cancelled".
std::string_view StopReasonName(StopReason reason);

struct GenerationRequest {
  std::vector<int32_t> prompt;  // at least one token
  SamplingParams sampling;
  int32_t max_tokens = 256;  // 0 only runs the prompt; negative: until a stop or the cache is full
  std::vector<std::string> stop_strings;
  bool stop_on_end_of_generation = true;
  bool render_special = false;  // control tokens appear as their text (e.g. "<|im_end|>")
  // Set by another thread to stop; may be null. Must outlive the Generate call.
  const std::atomic<bool>* cancel = nullptr;
  uint32_t prompt_batch_size = 512;  // prompt tokens per Forward call
  // Constrained decoding: every sampled token keeps the text a prefix of a match of `grammar`
  // (token_constraint.h), and generation stops (kEndOfGeneration) once the text is a match that
  // nothing can extend, or with an end-of-generation token once it is any match.
  // `constraint_vocabulary`, made once per tokenizer, may be null: Generate then makes one.
  std::optional<Grammar> grammar;
  std::shared_ptr<const ConstraintVocabulary> constraint_vocabulary;
  // When set, the grammar applies only once the generated text contains this string: the text up
  // to and including its first occurrence is free, what follows it must match (e.g. the body of a
  // tool call after "<tool_call>"). Text already past the trigger in the token that completed it
  // must match too, or generation stops there (kEndOfGeneration).
  std::string grammar_trigger;
};

struct GenerationCallbacks {
  // Text ready to show; never splits a UTF-8 character and never holds any part of a stop string.
  std::function<void(std::string_view piece)> on_piece;
  // Every sampled token, as soon as it is sampled (including an end-of-generation token).
  std::function<void(int32_t token)> on_token;
};

struct GenerationResult {
  std::string text;             // the generated text, ending before any stop string
  std::vector<int32_t> tokens;  // every sampled token, including one that ended generation
  StopReason stop_reason = StopReason::kMaxTokens;
  std::string stop_string;      // the stop string that matched, for kStopString
  uint32_t prompt_tokens = 0;
  uint32_t generated_tokens = 0;  // tokens.size()
  double prompt_ms = 0.0;         // running the prompt
  double generation_ms = 0.0;     // sampling and running the generated tokens
  double tokens_per_second = 0.0; // generated_tokens over generation_ms (0 when nothing ran)
};

GenerationResult Generate(Transformer& transformer, const Tokenizer& tokenizer, KvCache& cache,
                          const GenerationRequest& request, const GenerationCallbacks& callbacks = {});

}  // namespace troupe::engine
