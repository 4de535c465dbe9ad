// Runs the character steps through a language model: each step asks for JSON with the step's
// schema as response_format (the local engine enforces it token by token; a remote endpoint gets
// it passed on) and checks the reply before it enters the draft. A reply that does not parse or
// validate is asked for again with another seed, a bounded number of times.
//
// Threads: the calls block on the provider (Provider::Chat), so run them on a thread of the
// caller's own (the CLI, a job). A generator is not shared between threads; the provider may be.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <utility>

#include "base/status.h"
#include "llm/provider.h"
#include "studio/character_steps.h"

namespace troupe::studio {

struct GenerationProgress {
  CharacterStep step = CharacterStep::kConcept;
  int step_number = 1;  // 1..step_count
  int step_count = static_cast<int>(kCharacterSteps.size());
  int candidate_number = 1;  // 1..candidate_count
  int candidate_count = 1;
  int attempt = 1;  // 1..attempts_per_step
};

struct GeneratorOptions {
  TextLimits limits;
  int attempts_per_step = 3;
  uint64_t seed = 1;  // each step and attempt derives its own from it
  double temperature = 0.9;
  int max_tokens = 2048;  // per reply; lowered to what the context leaves after the prompt
  std::function<void(const GenerationProgress&)> on_progress;  // before each attempt; must not throw
  const std::atomic<bool>* cancel = nullptr;                   // may be null; must outlive the calls
  // After each step's reply entered the draft (a job saves its checkpoint there); must not throw.
  std::function<void(const CharacterDraft& draft)> on_step_done;
  int candidate_number = 1;  // for progress reports (candidate_diversity.h sets them)
  int candidate_count = 1;
};

class CharacterGenerator {
 public:
  // `provider` must outlive the generator.
  CharacterGenerator(llm::Provider& provider, GeneratorOptions options);

  // Every step in order. Errors: CheckBrief's; RunStep's.
  Result<CharacterDraft> Generate(const GenerationBrief& brief);

  // Runs one step (its earlier steps must be there) and marks the later ones stale. Errors:
  // kFailedPrecondition naming a missing earlier step; the provider's own, prefixed with the step;
  // kInvalidArgument naming the step when no attempt gave a reply that parses and validates (the
  // last attempt's reason kept); kUnavailable "cancelled" when the cancel flag was set. The draft
  // is unchanged on any error.
  Status RunStep(CharacterDraft& draft, CharacterStep step);
  // RunStep for a step already present, for an operator who wants another take.
  Status RerunStep(CharacterDraft& draft, CharacterStep step) { return RunStep(draft, step); }
  // Runs, in order, every stale step and every missing one.
  Status RefreshStale(CharacterDraft& draft);

  const GeneratorOptions& options() const { return options_; }
  void set_seed(uint64_t seed) { options_.seed = seed; }
  void set_on_step_done(std::function<void(const CharacterDraft&)> callback) {
    options_.on_step_done = std::move(callback);
  }
  void set_candidate(int number, int count) {
    options_.candidate_number = number;
    options_.candidate_count = count;
  }

 private:
  llm::Provider& provider_;
  GeneratorOptions options_;
};

}  // namespace troupe::studio
