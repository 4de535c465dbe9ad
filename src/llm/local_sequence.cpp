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
  std::vector<int32_t> tokens;  // what cache holds
};

// Defined here rather than in local_model.cpp so LocalSequence::Impl stays in this file.
Result<std::unique_ptr<LocalSequence>> LocalModel::NewSequence(uint32_t max_tokens) {
  const std::shared_ptr<engine::Model>& model = LocalModelAccess::EngineModel(*this);
  try {
    std::unique_ptr<engine::KvCache> cache = model->NewSequence(max_tokens);
    return std::unique_ptr<LocalSequence>(
        new LocalSequence(std::make_unique<LocalSequence::Impl>(LocalSequence::Impl{model, std::move(cache), {}})));
  } catch (const engine::EngineError& error) {
    return StatusFromEngineError(error);
  }
}

LocalSequence::LocalSequence(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

LocalSequence::~LocalSequence() = default;

Result<Generation> LocalSequence::Generate(std::span<const int32_t> prompt, const GenerationSettings& settings,
                                           const std::function<void(std::string_view piece)>& on_piece) {
  std::vector<int32_t>& tokens = impl_->tokens;
  engine::KvCache& cache = *impl_->cache;
  size_t shared = 0;
  while (shared < tokens.size() && shared < prompt.size() && tokens[shared] == prompt[shared]) ++shared;
  // At least one token must run to get logits for the reply (an empty prompt is the engine's to refuse).
  if (shared > 0 && shared == prompt.size()) --shared;
  cache.Truncate(static_cast<uint32_t>(shared));
  tokens.resize(shared);

  engine::GenerationRequest request = RequestFrom(settings);
  request.prompt.assign(prompt.begin() + static_cast<std::ptrdiff_t>(shared), prompt.end());
  engine::GenerationCallbacks callbacks;
  callbacks.on_piece = on_piece;
  engine::GenerationResult result;
  try {
    result = impl_->model->Generate(cache, request, callbacks);
  } catch (const engine::EngineError& error) {
    cache.Truncate(0);
    tokens.clear();
    return StatusFromEngineError(error);
  }
  tokens.insert(tokens.end(), request.prompt.begin(), request.prompt.end());
  tokens.insert(tokens.end(), result.tokens.begin(), result.tokens.end());
  // The cache holds every generated token but the last, which was sampled and never run (a
  // cancelled run may hold less): keep the token list and the cache the same length.
  tokens.resize(std::min<size_t>(tokens.size(), cache.size()));
  cache.Truncate(static_cast<uint32_t>(tokens.size()));
  return GenerationFrom(std::move(result));
}

}  // namespace troupe::llm
