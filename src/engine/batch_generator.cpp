#include "engine/batch_generator.h"

#include <algorithm>

#include "engine/error.h"
#include "engine/generation/sequence_run.h"
#include "engine/generation/speculative_pass.h"

namespace troupe::engine {

struct BatchGenerator::Sequence {
  GenerationRequest request;
  GenerationCallbacks callbacks;
  Finished finished;
  std::unique_ptr<generation::SequenceRun> run;  // refers to request and callbacks above
  std::exception_ptr error;                      // what ended it, when something failed
  std::unique_ptr<KvCache> draft_cache;          // made on its first speculative step
};

BatchGenerator::BatchGenerator(Transformer& transformer, const Tokenizer& tokenizer, BatchOptions options)
    : transformer_(transformer), tokenizer_(tokenizer), options_(options) {
  if (options_.max_step_tokens == 0 || options_.max_step_tokens > Transformer::kMaxForwardTokens) {
    ThrowInvalid("batch: max_step_tokens must be between 1 and " + std::to_string(Transformer::kMaxForwardTokens));
  }
  if (options_.draft != nullptr) {
    if (options_.draft->vocab_size() != transformer_.vocab_size()) {
      ThrowInvalid("batch: the draft model's vocabulary has " + std::to_string(options_.draft->vocab_size()) +
                   " tokens, the model's " + std::to_string(transformer_.vocab_size()));
    }
    if (options_.draft_tokens < 1 || options_.draft_tokens > 16) ThrowInvalid("batch: draft_tokens must be 1..16");
  }
}

BatchGenerator::~BatchGenerator() = default;

void BatchGenerator::Add(KvCache& cache, GenerationRequest request, GenerationCallbacks callbacks, Finished finished) {
  auto sequence = std::make_unique<Sequence>();
  sequence->request = std::move(request);
  sequence->callbacks = std::move(callbacks);
  sequence->finished = std::move(finished);
  sequence->run = std::make_unique<generation::SequenceRun>(tokenizer_, cache, sequence->request, sequence->callbacks,
                                                            transformer_.vocab_size());
  sequences_.push_back(std::move(sequence));
}

void BatchGenerator::FinishSequence(size_t index) {
  std::unique_ptr<Sequence> sequence = std::move(sequences_[index]);
  sequences_.erase(sequences_.begin() + static_cast<std::ptrdiff_t>(index));
  // The sequence is gone before its owner hears of it, so Finished may free its cache.
  Finished finished = std::move(sequence->finished);
  GenerationResult result = sequence->run->TakeResult();
  const std::exception_ptr error = sequence->error;
  sequence.reset();
  finished(std::move(result), error);
}

BatchGenerator::Sequence* BatchGenerator::SpeculativeCandidate() {
  if (options_.draft == nullptr || sequences_.size() != 1) return nullptr;
  Sequence& sequence = *sequences_.front();
  if (sequence.run->finished() || sequence.run->in_prompt() || sequence.request.sampling.temperature > 0.0f) {
    return nullptr;
  }
  return &sequence;
}

void BatchGenerator::SpeculativeStep(Sequence& sequence) {
  KvCache& cache = sequence.run->cache();
  try {
    if (!sequence.draft_cache) sequence.draft_cache = options_.draft->NewCache(cache.capacity());
    const generation::PassCount pass = generation::SpeculativePass(transformer_, *options_.draft, *sequence.run, cache,
                                                                   *sequence.draft_cache, options_.draft_tokens);
    last_step_tokens_ = pass.ran;
    last_step_sequences_ = pass.ran > 0 ? 1 : 0;
    draft_proposed_ += pass.proposed;
    draft_accepted_ += pass.accepted;
  } catch (...) {
    sequence.error = std::current_exception();
    sequence.run->Cancel();
  }
}

void BatchGenerator::FinishEnded() {
  for (size_t i = sequences_.size(); i-- > 0;) {
    if (sequences_[i]->run->finished()) FinishSequence(i);
  }
}

size_t BatchGenerator::Step() {
  if (Sequence* alone = SpeculativeCandidate()) {
    SpeculativeStep(*alone);
    FinishEnded();
    return sequences_.size();
  }
  entries_.clear();
  entry_sequences_.clear();
  size_t budget = options_.max_step_tokens;
  // Decoding sequences first, one token each; then prompt chunks in arrival order.
  for (bool prompts : {false, true}) {
    for (size_t i = 0; i < sequences_.size() && budget > 0; ++i) {
      generation::SequenceRun& run = *sequences_[i]->run;
      if (run.finished() || run.in_prompt() != prompts) continue;
      const std::span<const int32_t> tokens = run.NextTokens(budget);
      if (tokens.empty()) continue;  // it ended (cancelled): leaves below
      // Only a chunk that ends the prompt needs logits.
      const bool logits = !prompts || tokens.size() == run.prompt_left();
      entries_.push_back(ForwardEntry{&run.cache(), tokens, logits});
      entry_sequences_.push_back(i);
      budget -= std::min(budget, tokens.size());
    }
  }
  last_step_tokens_ = options_.max_step_tokens - budget;
  last_step_sequences_ = entries_.size();
  std::exception_ptr pass_failed;
  if (!entries_.empty()) {
    try {
      transformer_.ForwardBatch(entries_, logits_);
    } catch (...) {
      pass_failed = std::current_exception();
    }
  }
  const size_t vocab = static_cast<size_t>(transformer_.vocab_size());
  size_t row = 0;
  for (size_t e = 0; e < entries_.size(); ++e) {
    Sequence& sequence = *sequences_[entry_sequences_[e]];
    if (pass_failed) {
      sequence.error = pass_failed;
      sequence.run->Cancel();
      continue;
    }
    std::span<const float> logits;
    if (entries_[e].logits) logits = std::span<const float>(logits_).subspan(row++ * vocab, vocab);
    try {
      sequence.run->Ran(entries_[e].tokens.size(), logits);
    } catch (...) {
      sequence.error = std::current_exception();
      sequence.run->Cancel();
    }
  }
  FinishEnded();
  return sequences_.size();
}

}  // namespace troupe::engine
