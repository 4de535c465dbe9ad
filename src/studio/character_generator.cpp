// One step is one chat call per attempt; seeds differ per step and attempt so a retry is not the
// same reply again, yet a run with the same seed is repeatable on the local engine.
#include "studio/character_generator.h"

#include <utility>

#include "studio/structured_reply.h"

namespace troupe::studio {

CharacterGenerator::CharacterGenerator(llm::Provider& provider, GeneratorOptions options)
    : provider_(provider), options_(std::move(options)) {}

Result<CharacterDraft> CharacterGenerator::Generate(const GenerationBrief& brief) {
  TROUPE_RETURN_IF_ERROR(CheckBrief(brief));
  CharacterDraft draft;
  draft.brief = brief;
  for (CharacterStep step : kCharacterSteps) TROUPE_RETURN_IF_ERROR(RunStep(draft, step));
  return draft;
}

Status CharacterGenerator::RefreshStale(CharacterDraft& draft) {
  for (CharacterStep step : kCharacterSteps) {
    if (!draft.Has(step) || draft.stale.count(step) > 0) TROUPE_RETURN_IF_ERROR(RunStep(draft, step));
  }
  return Status::Ok();
}

Status CharacterGenerator::RunStep(CharacterDraft& draft, CharacterStep step) {
  const std::string name(StepName(step));
  const size_t step_index = static_cast<size_t>(step);
  StructuredQuestion question;
  question.what = name;
  TROUPE_ASSIGN_OR_RETURN(question.messages, StepPrompt(draft, step, options_.limits));
  question.schema_name = "character_" + name;
  question.schema_json = StepSchema(step, options_.limits);
  question.temperature = options_.temperature;
  question.seed = options_.seed * 1000003ULL + step_index * 101ULL;
  question.max_tokens = options_.max_tokens;
  question.attempts = options_.attempts_per_step;
  question.cancel = options_.cancel;
  if (options_.on_progress) {
    question.on_attempt = [this, step, step_index](int attempt) {
      options_.on_progress(GenerationProgress{step, static_cast<int>(step_index) + 1,
                                              static_cast<int>(kCharacterSteps.size()), options_.candidate_number,
                                              options_.candidate_count, attempt});
    };
  }
  CharacterDraft updated = draft;
  Result<std::string> accepted = AskForJson(provider_, question, [&](std::string_view reply) {
    updated = draft;
    return ApplyStepReply(updated, step, reply, options_.limits);
  });
  if (!accepted.ok()) return accepted.status();
  draft = std::move(updated);
  if (options_.on_step_done) options_.on_step_done(draft);
  return Status::Ok();
}

}  // namespace troupe::studio
