#include "llm/local_sequence.h"

#include <algorithm>

#include "engine/engine.h"
#include "llm/engine_status.h"

namespace troupe::llm {
namespace {

engine::GenerationRequest RequestFrom(const GenerationSettings& settings) {
  engine::GenerationRequest request;
  request.sampling.temperature = settings.temperature;
  request.sampling.top_k = settings.top_k;
  request.sampling.top_p = settings.top_p;
  request.sampling.min_p = settings.min_p;
  request.sampling.repeat_penalty = settings.repeat_penalty;
  request.sampling.repeat_last_n = settings.repeat_last_n;
  request.sampling.frequency_penalty = settings.frequency_penalty;
  request.sampling.presence_penalty = settings.presence_penalty;
  request.sampling.seed = settings.seed;
  request.max_tokens = settings.max_tokens;
  request.stop_strings = settings.stop;
  request.stop_on_end_of_generation = settings.stop_at_end_of_generation;
  request.cancel = settings.cancel;
  return request;
}

Generation GenerationFrom(engine::GenerationResult&& result) {
  Generation out;
  out.text = std::move(result.text);
  out.tokens = std::move(result.tokens);
  out.stop_reason = std::string(engine::StopReasonName(result.stop_reason));
  out.prompt_tokens = result.prompt_tokens;
  out.generated_tokens = result.generated_tokens;
  out.prompt_ms = result.prompt_ms;
  out.generation_ms = result.generation_ms;
  out.tokens_per_second = result.tokens_per_second;
  return out;
}

}  // namespace

LocalSequence::LocalSequence(std::shared_ptr<engine::Model> model, std::unique_ptr<engine::KvCache> cache)
    : model_(std::move(model)), cache_(std::move(cache)) {}

LocalSequence::~LocalSequence() = default;

Result<Generation> LocalSequence::Generate(std::span<const int32_t> prompt, const GenerationSettings& settings,
                                           const std::function<void(std::string_view piece)>& on_piece) {
  size_t shared = 0;
  while (shared < tokens_.size() && shared < prompt.size() && tokens_[shared] == prompt[shared]) ++shared;
  // At least one token must run to get logits for the reply (an empty prompt is the engine's to refuse).
  if (shared > 0 && shared == prompt.size()) --shared;
  cache_->Truncate(static_cast<uint32_t>(shared));
  tokens_.resize(shared);

  engine::GenerationRequest request = RequestFrom(settings);
  request.prompt.assign(prompt.begin() + static_cast<std::ptrdiff_t>(shared), prompt.end());
  engine::GenerationCallbacks callbacks;
  callbacks.on_piece = on_piece;
  engine::GenerationResult result;
  try {
    result = model_->Generate(*cache_, request, callbacks);
  } catch (const engine::EngineError& error) {
    cache_->Truncate(0);
    tokens_.clear();
    return StatusFromEngineError(error);
  }
  tokens_.insert(tokens_.end(), request.prompt.begin(), request.prompt.end());
  tokens_.insert(tokens_.end(), result.tokens.begin(), result.tokens.end());
  // The cache holds every generated token but the last, which was sampled and never run (a
  // cancelled run may hold less): keep the token list and the cache the same length.
  tokens_.resize(std::min<size_t>(tokens_.size(), cache_->size()));
  cache_->Truncate(static_cast<uint32_t>(tokens_.size()));
  return GenerationFrom(std::move(result));
}

}  // namespace troupe::llm
