// Continuous batching: many sequences generated together on one Transformer, one forward pass per
// step for all of them, so each step reads every weight once however many sequences it serves.
//
// Each step runs every decoding sequence's next token first, then prompt chunks of sequences
// still reading their prompts, in the order they were added, until the step holds
// `max_step_tokens` tokens: a long prompt is split over several steps, so sequences already
// streaming keep streaming (a step's work is bounded), and a new sequence joins at the next step.
// A sequence leaves the step it finishes (end of generation, stop string, max tokens, full cache,
// or its cancel flag, looked at before each of its steps). With a draft model, a greedy sequence
// running alone takes speculative steps (BatchOptions::draft). Each sequence follows generator.h's
// rules, and its tokens are the same as Generate's for the same request: the kernels give the same
// bits for a token whatever else is in its batch.
//
// Thread safety: not thread-safe; one thread owns a BatchGenerator (the engine thread) and every
// callback runs on it, inside Step.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <vector>

#include "engine/generator.h"
#include "engine/tokenizer.h"
#include "engine/transformer.h"

namespace troupe::engine {

namespace generation {
class SequenceRun;
}  // namespace generation

struct BatchOptions {
  size_t max_step_tokens = 256;  // at most Transformer::kMaxForwardTokens
  // Speculative decoding (generation/speculative_pass.h): when one greedy sequence runs alone
  // past its prompt, a step is a draft pass of up to draft_tokens proposals checked in one main
  // pass. The draft must share the main model's vocabulary and outlive the generator; null: off.
  // With company a sequence takes plain batched steps: the batch already reads each weight once
  // for several tokens.
  Transformer* draft = nullptr;
  int draft_tokens = 4;  // 1..16
};

class BatchGenerator {
 public:
  // Called once when a sequence ends: its result, or the exception it met (a grammar no token
  // can continue, a callback that threw; the result then holds what was generated before it).
  using Finished = std::function<void(GenerationResult result, std::exception_ptr error)>;

  BatchGenerator(Transformer& transformer, const Tokenizer& tokenizer, BatchOptions options = {});
  ~BatchGenerator();

  // Adds a sequence that joins the next step; `cache` must outlive it (Finished may free it). Throws EngineError like
  // Generate for a request it refuses (nothing is added then).
  void Add(KvCache& cache, GenerationRequest request, GenerationCallbacks callbacks, Finished finished);

  // One forward pass for every active sequence; sequences that end leave, after their last
  // piece, through their Finished. Returns how many are still active.
  size_t Step();
  size_t active() const { return sequences_.size(); }
  // Tokens the last step ran, and how many sequences it served (for metrics).
  size_t last_step_tokens() const { return last_step_tokens_; }
  size_t last_step_sequences() const { return last_step_sequences_; }
  // Draft tokens checked and kept, so far.
  uint64_t draft_proposed() const { return draft_proposed_; }
  uint64_t draft_accepted() const { return draft_accepted_; }

 private:
  struct Sequence;
  void FinishSequence(size_t index);
  // The sequence that may take a speculative step now, or null.
  Sequence* SpeculativeCandidate();
  void SpeculativeStep(Sequence& sequence);
  void FinishEnded();

  Transformer& transformer_;
  const Tokenizer& tokenizer_;
  BatchOptions options_;
  std::vector<std::unique_ptr<Sequence>> sequences_;
  // Reused by every step.
  std::vector<ForwardEntry> entries_;
  std::vector<size_t> entry_sequences_;
  std::vector<float> logits_;
  size_t last_step_tokens_ = 0;
  size_t last_step_sequences_ = 0;
  uint64_t draft_proposed_ = 0;
  uint64_t draft_accepted_ = 0;
};

}  // namespace troupe::engine
