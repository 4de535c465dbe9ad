// Human agents and the handed-off conversations they work on. An agent is an API key with the
// agent scope; its presence is what it last said (available, away or offline, and how many
// conversations it takes at once) with when it was last seen. Whether a presence is still fresh
// is the caller's rule (config support.presence_timeout): methods that choose an agent take the
// oldest last_seen_at that still counts.
//
// An assignment ties one handed-off conversation to one agent. Assigning also records it in the
// conversation's metadata, in the same transaction: metadata.handoff.assigned_to (the key's
// prefix) and metadata.handoff.assigned_at. Only conversations whose status is handed_off count
// as an agent's load. Thread-safe; failures are Status values as store.h says for every repository.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace troupe::store {

enum class AgentStatus { kAvailable, kAway, kOffline };
std::string_view ToString(AgentStatus status);
std::optional<AgentStatus> ParseAgentStatus(std::string_view text);

// What an agent gets when it never said how many conversations it takes.
inline constexpr int kDefaultMaxAgentConversations = 5;

struct AgentPresence {
  int64_t key_id = 0;
  std::string key_prefix;
  AgentStatus status = AgentStatus::kOffline;  // as the agent last set it
  int max_conversations = kDefaultMaxAgentConversations;
  int64_t last_seen_at = 0;
  int assigned = 0;  // handed-off conversations assigned to the agent now
};

struct HandoffAssignment {
  int64_t conversation_id = 0;
  int64_t key_id = 0;
  std::string key_prefix;
  int64_t assigned_at = 0;
};

class AgentRepository {
 public:
  virtual ~AgentRepository() = default;
  // Stores the agent's status with last_seen_at = now; max_conversations, when given, replaces
  // the stored one (kInvalidArgument naming max_conversations unless 1..1000). kNotFound naming
  // key_id when the key does not exist.
  virtual Result<AgentPresence> SetPresence(int64_t key_id, AgentStatus status,
                                            std::optional<int> max_conversations) = 0;
  // The agent's presence; kNotFound when it never set one.
  virtual Result<AgentPresence> GetPresence(int64_t key_id) = 0;
  // Every agent that has set a presence, with its current load, by key id.
  virtual Result<std::vector<AgentPresence>> List() = 0;

  // Assigns the conversation to the agent (replacing an earlier assignment) and records it in
  // the conversation's metadata. kNotFound naming conversation_id or key_id.
  virtual Result<HandoffAssignment> Assign(int64_t conversation_id, int64_t key_id) = 0;
  // Assigns the conversation to the available agent seen at or after `seen_since` with the fewest
  // assigned conversations below its max (ties: the one seen last), as Assign does; nullopt when
  // no agent qualifies or the conversation is already assigned.
  virtual Result<std::optional<HandoffAssignment>> AssignLeastBusy(int64_t conversation_id, int64_t seen_since) = 0;
  // The conversation's assignment; nullopt when it has none.
  virtual Result<std::optional<HandoffAssignment>> GetAssignment(int64_t conversation_id) = 0;
  // Ends the conversation's assignment (the metadata is left as it is: it is the handoff's
  // record). Idempotent.
  virtual Status Unassign(int64_t conversation_id) = 0;
  // Handed-off conversations without an assignment, oldest handoff first (by metadata.handoff.at,
  // then id), at most `limit`.
  virtual Result<std::vector<int64_t>> ListUnassigned(int limit) = 0;
};

}  // namespace troupe::store
