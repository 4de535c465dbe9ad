// Assignment steps the handoff routes share (handoff_assignment.h).
#include "server/api/handoff_assignment.h"

#include <spdlog/spdlog.h>

namespace troupe::server::api {

using nlohmann::json;

// How many waiting conversations one presence change may hand out.
constexpr int kAssignedPerPass = 200;

int64_t NowMillis(const ApiCall& call) {
  return (call.options.clock != nullptr ? *call.options.clock : SystemClock::Instance()).NowMillis();
}

int64_t PresentSince(const ApiCall& call) { return NowMillis(call) - call.options.agent_presence_timeout_ms; }

std::string EffectivePresence(const ApiCall& call, const store::AgentPresence& presence) {
  if (presence.last_seen_at < PresentSince(call)) return "offline";
  return std::string(store::ToString(presence.status));
}

Result<bool> AssignToLeastBusy(ApiCall& call, int64_t conversation_id) {
  TROUPE_ASSIGN_OR_RETURN(std::optional<store::HandoffAssignment> assigned,
                          call.store.agents().AssignLeastBusy(conversation_id, PresentSince(call)));
  return assigned.has_value();
}

void AssignWaiting(ApiCall& call) {
  Result<std::vector<int64_t>> waiting = call.store.agents().ListUnassigned(kAssignedPerPass);
  if (!waiting.ok()) {
    spdlog::warn("the handoff queue was not read: {}", waiting.status().ToString());
    return;
  }
  for (int64_t id : *waiting) {
    Result<bool> assigned = AssignToLeastBusy(call, id);
    if (!assigned.ok()) {
      spdlog::warn("conversation {}: not assigned: {}", id, assigned.status().ToString());
      return;
    }
    if (!*assigned) return;  // nobody has room: the rest wait too
    if (Result<store::Conversation> changed = call.store.conversations().Get(id); changed.ok()) {
      PublishConversationUpdated(call.events, *changed);
    }
  }
}

Result<store::Conversation> UpdateHandoffRecord(ApiCall& call, int64_t conversation_id, const json& fields) {
  TROUPE_ASSIGN_OR_RETURN(store::Conversation conversation, call.store.conversations().Get(conversation_id));
  json metadata = json::parse(conversation.metadata_json, nullptr, false);
  if (!metadata.is_object()) metadata = json::object();
  if (!metadata["handoff"].is_object()) metadata["handoff"] = json::object();
  for (const auto& [name, value] : fields.items()) metadata["handoff"][name] = value;
  conversation.metadata_json = metadata.dump();
  return call.store.conversations().UpdateState(conversation);
}

}  // namespace troupe::server::api
