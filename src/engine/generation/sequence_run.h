// One sequence's generation, step by step, for Generate (one sequence) and BatchGenerator (many
// in one pass): which tokens to run next (a chunk of the prompt, or the token just sampled), and
// what to do with the logits they give: sample (with the grammar's mask when there is one),
// stream text held back while it may still turn into a stop string, and decide whether to stop.
// The stopping rules are generator.h's; this class only lets a caller own the forward passes.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/generator.h"

namespace troupe::engine::generation {

class StopStringWatcher;
class TriggerWatch;

class SequenceRun {
 public:
  // Checks the request (EngineError(kInvalidInput) as Generate documents) and prepares the
  // sampler and the grammar. `tokenizer`, `cache`, `request` and `callbacks` must outlive it.
  SequenceRun(const Tokenizer& tokenizer, KvCache& cache, const GenerationRequest& request,
              const GenerationCallbacks& callbacks, int32_t vocab_size);
  ~SequenceRun();

  // The tokens to run next, at most `budget` of them: the rest of the prompt (in chunks) or the
  // token last sampled. Empty once the run has ended (a cancel seen here ends it).
  std::span<const int32_t> NextTokens(size_t budget);
  // After running `count` tokens of NextTokens: `logits` are the last one's (ignored while the
  // prompt is not finished). Samples the next token and streams its text, or ends the run.
  void Ran(size_t count, std::span<const float> logits);
  // Ends the run as cancelled (a pass that stopped part way: the cache is as it was before it).
  void Cancel();

  bool finished() const { return finished_; }
  // The whole result, once finished.
  GenerationResult TakeResult() { return std::move(result_); }
  KvCache& cache() { return cache_; }
  bool in_prompt() const { return prompt_offset_ < request_.prompt.size(); }
  size_t prompt_left() const { return request_.prompt.size() - prompt_offset_; }

 private:
  using Clock = std::chrono::steady_clock;

  void SampleNext(std::span<const float> logits);
  void Finish(StopReason reason);
  void Constrain();
  bool Cancelled() const;
  bool ReachedMax() const;

  const Tokenizer& tokenizer_;
  KvCache& cache_;
  const GenerationRequest& request_;
  const GenerationCallbacks& callbacks_;
  Sampler sampler_;
  std::optional<TokenConstraint> constraint_;
  std::unique_ptr<TriggerWatch> trigger_;
  std::unique_ptr<StopStringWatcher> watcher_;
  StreamingDecoder decoder_;
  std::vector<float> masked_;  // the logits with the grammar's mask, reused
  size_t prompt_offset_ = 0;
  int32_t pending_token_ = 0;
  bool finished_ = false;
  bool started_ = false;
  Clock::time_point prompt_start_;
  Clock::time_point generation_start_;
  GenerationResult result_;
};

}  // namespace troupe::engine::generation
