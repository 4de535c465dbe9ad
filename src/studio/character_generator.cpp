// One step is one chat call per attempt; seeds differ per step and attempt so a retry is not the
// same reply again, yet a run with the same seed is repeatable on the local engine.
#include "studio/character_generator.h"

#include <algorithm>

namespace troupe::studio {
namespace {

constexpr int kGeneratorReplyFloorTokens = 16;

bool GeneratorCancelled(const std::atomic<bool>* cancel) {
  return cancel != nullptr && cancel->load(std::memory_order_relaxed);
}

Status GeneratorCancelledStatus(CharacterStep step) {
  return Status(StatusCode::kUnavailable, std::string(StepName(step)) + ": cancelled", std::string(StepName(step)));
}

}  // namespace

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
  TROUPE_ASSIGN_OR_RETURN(std::vector<llm::ChatMessage> messages, StepPrompt(draft, step, options_.limits));
  llm::ChatRequest request;
  request.messages = std::move(messages);
  request.response_format.kind = llm::ResponseFormat::Kind::kJsonSchema;
  request.response_format.name = "character_" + name;
  request.response_format.schema_json = StepSchema(step, options_.limits);
  request.response_format.strict = true;
  request.sampling.temperature = options_.temperature;
  request.cancel = options_.cancel;
  const int64_t context = provider_.info().context_length;
  const int64_t prompt_tokens = provider_.CountChatTokens(request.messages);
  int64_t max_tokens = options_.max_tokens;
  if (context > 0) max_tokens = std::min<int64_t>(max_tokens, context - prompt_tokens - 1);
  if (max_tokens < kGeneratorReplyFloorTokens) {
    return InvalidArgument(name + ": the prompt (" + std::to_string(prompt_tokens) + " tokens) leaves no room for a " +
                               "reply in the model's context of " + std::to_string(context) + " tokens",
                           name);
  }
  request.sampling.max_tokens = static_cast<int>(max_tokens);

  const size_t step_index = static_cast<size_t>(step);
  Status last = InvalidArgument(name + ": no attempt was made", name);
  const int attempts = std::max(1, options_.attempts_per_step);
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    if (GeneratorCancelled(options_.cancel)) return GeneratorCancelledStatus(step);
    if (options_.on_progress) {
      options_.on_progress(GenerationProgress{step, static_cast<int>(step_index) + 1,
                                              static_cast<int>(kCharacterSteps.size()), options_.candidate_number,
                                              options_.candidate_count, attempt});
    }
    request.sampling.seed = options_.seed * 1000003ULL + step_index * 101ULL + static_cast<uint64_t>(attempt);
    Result<llm::ChatResult> reply = provider_.Chat(request, {});
    if (!reply.ok()) return reply.status().WithContext(name);
    if (reply->finish_reason == llm::FinishReason::kCancelled) return GeneratorCancelledStatus(step);
    last = ApplyStepReply(draft, step, reply->content, options_.limits);
    if (last.ok()) return last;
    if (reply->finish_reason == llm::FinishReason::kLength) {
      last = InvalidArgument(last.message() + " (the reply reached the limit of " + std::to_string(max_tokens) +
                                 " tokens)",
                             last.field());
    }
  }
  return InvalidArgument(name + ": no valid reply after " + std::to_string(attempts) + " attempts; last: " +
                             last.message(),
                         last.field().empty() ? name : last.field());
}

}  // namespace troupe::studio
