// Internal to the chat runtime: a user's message to a character with an intent catalog is routed
// (intents/intent_router.h) and the decision is stored with it, in the message's metadata under
// "routing". The classifier's decision is made before the message is stored, so the stored
// message and its acknowledgement already carry it; when the classifier is unsure, the reply's turn
// first asks the LLM (cancellable with the turn) and patches the stored message with the final
// decision before it replies. A message stored without a turn (AddUserMessage) keeps the
// classifier's decision; at the LLM's level that is level "llm", reason "uncertain", no llm_answer.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "chat/intents/intent_router.h"
#include "chat/turn_context.h"
#include "chat/turn_control.h"

namespace troupe::chat::internal {

// The first level's decision for `message` (in the scene's character's catalog), also written into
// message.metadata_json; nullopt when the character has no catalog.
std::optional<intents::RoutingDecision> RouteFirst(const Scene& scene, store::Message& message);

// `then` once the LLM has decided on `first` (a decision at the LLM's level) and the stored message
// `job->posted` has been patched with the outcome; runs on the runtime's workers.
void RouteWithLlm(TurnContext& s, std::shared_ptr<const Scene> scene, const std::shared_ptr<TurnJob>& job,
                  intents::RoutingDecision first, std::function<void()> then);

}  // namespace troupe::chat::internal
