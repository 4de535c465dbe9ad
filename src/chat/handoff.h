// Internal to the chat runtime: a reply that hands the conversation to a human on its own. For a
// character with an intent catalog, the user's message goes to a person when they ask for one (a
// handoff intent), when the router is not confident enough for the classifier or the LLM, when the
// message is strongly negative (the catalog's routing.handoff_sentiment), or when the same intent
// has gone unresolved routing.handoff_after_failures times in a row (asked again right after an
// answer whose tools failed or returned nothing; for an intent without tools, asked again at all).
// A short yes or no to a change the character asked about is an answer, never a handoff. The reply then only tells the user a colleague
// takes over; the conversation is handed off with a summary written for the agent (who, what they
// want, what was tried and what the tools returned), and the character stays quiet until an agent
// hands it back.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "chat/reply_stream.h"
#include "chat/turn_context.h"

namespace troupe::chat::internal {

// Why the reply to the plan's latest user message goes to a human: "asked", "low_confidence",
// "negative_sentiment", "predicted" (plan.predicted_handoff reached routing.handoff_predicted_above)
// or "repeated_failure"; nullopt when it does not (or the character has no catalog).
std::optional<std::string> AutomaticHandoff(const Scene& scene, const Plan& plan);

// What the reply is told to say instead of answering.
std::string HandoffInstruction(const Scene& scene, const Plan& plan);

// The agent's summary: {"customer": {name, external_id, segment}, "reason", "wants": {intent,
// description, last_messages}, "tried": [{tool, outcome, http_status, error}], "text"}.
nlohmann::json HandoffSummary(TurnContext& context, const Scene& scene, const Plan& plan, const std::string& reason);

// Hands the conversation off: metadata.handoff = {requested_by: "assistant", reason, at, summary}
// and status handed_off, then assigns it to the least busy available agent (store/agent_repository.h;
// none: it waits in the queue). Returns the conversation as stored.
Result<store::Conversation> HandOff(TurnContext& context, int64_t conversation_id, const std::string& reason,
                                    nlohmann::json summary);

}  // namespace troupe::chat::internal
