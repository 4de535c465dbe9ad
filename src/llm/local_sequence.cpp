#include "llm/local_sequence.h"

#include <algorithm>

#include "engine/engine.h"
#include "llm/engine_status_internal.h"
#include "llm/local_model.h"
#include "llm/local_model_internal.h"

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

struct LocalSequence::Impl {
  std::shared_ptr<engine::Model> model;  // kept alive while the sequence lives
  std::unique_ptr<engine::KvCache> cache;
};

// Defined here rather than in local_model.cpp so LocalSequence::Impl stays in this file.
Result<std::unique_ptr<LocalSequence>> LocalModel::NewSequence(uint32_t max_tokens) {
  const std::shared_ptr<engine::Model>& model = LocalModelAccess::EngineModel(*this);
  try {
    std::unique_ptr<engine::KvCache> cache = model->NewSequence(max_tokens);
    return std::unique_ptr<LocalSequence>(
        new LocalSequence(std::make_unique<LocalSequence::Impl>(LocalSequence::Impl{model, std::move(cache)})));
  } catch (const engine::EngineError& error) {
    return StatusFromEngineError(error);
  }
}

LocalSequence::LocalSequence(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

LocalSequence::~LocalSequence() = default;

Result<Generation> LocalSequence::Generate(std::span<const int32_t> prompt, const GenerationSettings& settings,
                                           const std::function<void(std::string_view piece)>& on_piece) {
  engine::KvCache& cache = *impl_->cache;
  const std::span<const int32_t> held = cache.tokens();
  size_t shared = static_cast<size_t>(std::mismatch(held.begin(), held.end(), prompt.begin(), prompt.end()).first - held.begin());
  // At least one token must run to get logits for the reply (an empty prompt is the engine's to refuse).
  if (shared > 0 && shared == prompt.size()) --shared;
  cache.Truncate(static_cast<uint32_t>(shared));

  engine::GenerationRequest request = RequestFrom(settings);
  request.prompt.assign(prompt.begin() + static_cast<std::ptrdiff_t>(shared), prompt.end());
  engine::GenerationCallbacks callbacks;
  callbacks.on_piece = on_piece;
  engine::GenerationResult result;
  try {
    result = impl_->model->Generate(cache, request, callbacks);
  } catch (const engine::EngineError& error) {
    cache.Truncate(0);
    return StatusFromEngineError(error);
  }
  // The cache knows the tokens it holds (every generated one but the last, which was sampled and
  // never run), so the next call compares its prompt with them.
  return GenerationFrom(std::move(result));
}

}  // namespace troupe::llm
