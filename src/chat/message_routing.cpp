#include "chat/message_routing.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace troupe::chat::internal {

namespace {

std::string WithRouting(const std::string& metadata_json, const intents::RoutingDecision& decision) {
  nlohmann::json metadata = ParseObject(metadata_json);
  metadata["routing"] = decision.ToJson();
  return metadata.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Stores the final decision with the message; a failed write is logged, never fails the turn: the
// reply matters more than its audit record.
void StoreDecision(TurnContext& s, TurnJob& job, const intents::RoutingDecision& decision) {
  if (!job.posted) return;
  store::MessagePatch patch;
  patch.metadata_json = WithRouting(job.posted->metadata_json, decision);
  Result<store::Message> patched = s.store.messages().Patch(job.posted->id, patch);
  if (!patched.ok()) {
    spdlog::warn("message {}: the routing decision was not stored: {}", job.posted->id, patched.status().ToString());
    return;
  }
  job.posted = *patched;
}

}  // namespace

std::optional<intents::RoutingDecision> RouteFirst(const Scene& scene, store::Message& message) {
  if (scene.parts.router == nullptr) return std::nullopt;
  intents::RoutingDecision decision = scene.parts.router->Classify(message.content);
  message.metadata_json = WithRouting(message.metadata_json, decision);
  return decision;
}

void RouteWithLlm(TurnContext& s, std::shared_ptr<const Scene> scene, const std::shared_ptr<TurnJob>& job,
                  intents::RoutingDecision first, std::function<void()> then) {
  std::shared_ptr<const intents::IntentRouter> router = scene->parts.router;
  const Stage* stage = s.StageOf(*scene);
  Result<llm::Provider*> provider = stage != nullptr ? s.ProviderFor(*scene, *stage, job->options)
                                                     : Result<llm::Provider*>(Status(StatusCode::kNotFound, "no stage"));
  if (!provider.ok()) {
    StoreDecision(s, *job, router->WithLlmAnswer(std::move(first), provider.status()));
    return then();
  }
  llm::ChatRequest request = router->LlmRequest(job->posted ? job->posted->content : "", first);
  llm::ChatCallbacks callbacks;
  // On the provider's thread: the store write and the reply go to the workers.
  callbacks.on_done = [&s, router, job, first = std::move(first),
                       then = std::move(then)](Result<llm::ChatResult> answer) mutable {
    s.Post([&s, router, job, decision = router->WithLlmAnswer(std::move(first), answer), then = std::move(then)] {
      StoreDecision(s, *job, decision);
      then();
    });
  };
  job->control->SetCall((*provider)->Start(std::move(request), std::move(callbacks)));
}

}  // namespace troupe::chat::internal
