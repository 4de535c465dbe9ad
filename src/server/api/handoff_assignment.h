// Internal to the API: who works on a handed-off conversation. The routes that change a handoff
// (hand off, hand back, an agent's message, presence, claims) share these steps so the assignment
// in the store, metadata.handoff and the events that announce them never drift apart.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "server/api/api_call.h"

namespace troupe::server::api {

int64_t NowMillis(const ApiCall& call);

// "available", "away" or "offline": what the agent said, or offline once its presence is older
// than the configured timeout.
std::string EffectivePresence(const ApiCall& call, const store::AgentPresence& presence);

// The oldest last_seen_at that still counts as present.
int64_t PresentSince(const ApiCall& call);

// Gives the conversation to the least busy available agent, if any; true when it was assigned.
Result<bool> AssignToLeastBusy(ApiCall& call, int64_t conversation_id);

// Hands waiting conversations, oldest first, to available agents until none has room; announces
// each one assigned (conversation.updated).
void AssignWaiting(ApiCall& call);

// Writes `fields` into metadata.handoff of the conversation (kept: everything else).
Result<store::Conversation> UpdateHandoffRecord(ApiCall& call, int64_t conversation_id, const nlohmann::json& fields);

}  // namespace troupe::server::api
