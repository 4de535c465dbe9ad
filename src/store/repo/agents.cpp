// Agent presence and handoff assignments (agent_repository.h). Assigning writes the assignment row
// and metadata.handoff of the conversation in one write transaction, so the two never disagree.
#include <algorithm>
#include <utility>

#include <nlohmann/json.hpp>

#include "store/agent_repository.h"
#include "store/repo/repositories.h"

namespace troupe::store {

std::string_view ToString(AgentStatus status) {
  switch (status) {
    case AgentStatus::kAvailable:
      return "available";
    case AgentStatus::kAway:
      return "away";
    case AgentStatus::kOffline:
      break;
  }
  return "offline";
}

std::optional<AgentStatus> ParseAgentStatus(std::string_view text) {
  for (AgentStatus status : {AgentStatus::kAvailable, AgentStatus::kAway, AgentStatus::kOffline}) {
    if (text == ToString(status)) return status;
  }
  return std::nullopt;
}

namespace repo {
namespace {

// Handed-off conversations assigned to each agent, as a subquery joined on key_id.
constexpr std::string_view kAgentLoad =
    "(SELECT a.key_id, COUNT(*) AS assigned FROM handoff_assignments a JOIN conversations c "
    "ON c.id = a.conversation_id WHERE c.status = 'handed_off' GROUP BY a.key_id)";

std::string SelectPresence(std::string_view where) {
  return "SELECT p.key_id, k.prefix, p.status, p.max_conversations, p.last_seen_at, COALESCE(busy.assigned, 0) "
         "FROM agent_presence p JOIN api_keys k ON k.id = p.key_id LEFT JOIN " +
         std::string(kAgentLoad) + " busy ON busy.key_id = p.key_id " + std::string(where);
}

AgentPresence ReadPresence(const sql::Row& row) {
  AgentPresence presence;
  presence.key_id = row.Int(0);
  presence.key_prefix = row.Text(1);
  presence.status = ParseAgentStatus(row.Text(2)).value_or(AgentStatus::kOffline);
  presence.max_conversations = static_cast<int>(row.Int(3));
  presence.last_seen_at = row.Int(4);
  presence.assigned = static_cast<int>(row.Int(5));
  return presence;
}

// metadata.handoff.at of a conversation's metadata text; 0 when it has none.
int64_t HandedOffAtOf(const std::string& metadata_json) {
  const nlohmann::json metadata = nlohmann::json::parse(metadata_json, nullptr, false);
  if (!metadata.is_object() || !metadata.contains("handoff") || !metadata["handoff"].is_object()) return 0;
  const nlohmann::json& at = metadata["handoff"]["at"];
  return at.is_number_integer() ? at.get<int64_t>() : 0;
}

class Agents final : public AgentRepository {
 public:
  explicit Agents(const Context& context) : context_(context) {}

  Result<AgentPresence> SetPresence(int64_t key_id, AgentStatus status, std::optional<int> max_conversations) override {
    if (max_conversations && (*max_conversations < 1 || *max_conversations > 1000)) {
      return InvalidArgument("max_conversations must be between 1 and 1000", "max_conversations");
    }
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
    TROUPE_ASSIGN_OR_RETURN(sql::Rows key, connection->Query("SELECT 1 FROM api_keys WHERE id = $1", {key_id}));
    if (key.empty()) {
      return FieldError(StatusCode::kNotFound, "API key " + std::to_string(key_id) + " not found", "key_id");
    }
    const int64_t max = max_conversations.value_or(kDefaultMaxAgentConversations);
    // An omitted max keeps the stored one.
    TROUPE_RETURN_IF_ERROR(
        connection
            ->Exec("INSERT INTO agent_presence (key_id, status, max_conversations, last_seen_at) "
                   "VALUES ($1, $2, $3, $4) ON CONFLICT (key_id) DO UPDATE SET status = excluded.status, "
                   "last_seen_at = excluded.last_seen_at" +
                       std::string(max_conversations ? ", max_conversations = excluded.max_conversations" : ""),
                   {key_id, std::string(ToString(status)), max, context_.Now()})
            .status());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows, connection->Query(SelectPresence("WHERE p.key_id = $1"), {key_id}));
    TROUPE_RETURN_IF_ERROR(transaction.Commit());
    return ReadPresence(rows.at(0));
  }

  Result<AgentPresence> GetPresence(int64_t key_id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows, connection->Query(SelectPresence("WHERE p.key_id = $1"), {key_id}));
    if (rows.empty()) return NotFound("API key " + std::to_string(key_id) + " has set no presence");
    return ReadPresence(rows.front());
  }

  Result<std::vector<AgentPresence>> List() override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows, connection->Query(SelectPresence("ORDER BY p.key_id"), {}));
    std::vector<AgentPresence> agents;
    for (const sql::Row& row : rows) agents.push_back(ReadPresence(row));
    return agents;
  }

  Result<HandoffAssignment> Assign(int64_t conversation_id, int64_t key_id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
    TROUPE_ASSIGN_OR_RETURN(sql::Rows key, connection->Query("SELECT prefix FROM api_keys WHERE id = $1", {key_id}));
    if (key.empty()) {
      return FieldError(StatusCode::kNotFound, "API key " + std::to_string(key_id) + " not found", "key_id");
    }
    TROUPE_ASSIGN_OR_RETURN(HandoffAssignment assignment, Write(*connection, conversation_id, key_id, key[0].Text(0)));
    TROUPE_RETURN_IF_ERROR(transaction.Commit());
    return assignment;
  }

  Result<std::optional<HandoffAssignment>> AssignLeastBusy(int64_t conversation_id, int64_t seen_since) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows taken,
        connection->Query("SELECT 1 FROM handoff_assignments WHERE conversation_id = $1", {conversation_id}));
    if (!taken.empty()) return std::optional<HandoffAssignment>();
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows chosen,
        connection->Query(SelectPresence("WHERE p.status = 'available' AND p.last_seen_at >= $1 AND k.revoked_at IS NULL "
                                         "AND COALESCE(busy.assigned, 0) < p.max_conversations "
                                         "ORDER BY COALESCE(busy.assigned, 0), p.last_seen_at DESC, p.key_id LIMIT 1"),
                          {seen_since}));
    if (chosen.empty()) return std::optional<HandoffAssignment>();
    const AgentPresence agent = ReadPresence(chosen.front());
    TROUPE_ASSIGN_OR_RETURN(HandoffAssignment assignment,
                            Write(*connection, conversation_id, agent.key_id, agent.key_prefix));
    TROUPE_RETURN_IF_ERROR(transaction.Commit());
    return std::optional<HandoffAssignment>(std::move(assignment));
  }

  Result<std::optional<HandoffAssignment>> GetAssignment(int64_t conversation_id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows,
                            connection->Query("SELECT a.conversation_id, a.key_id, k.prefix, a.assigned_at "
                                              "FROM handoff_assignments a JOIN api_keys k ON k.id = a.key_id "
                                              "WHERE a.conversation_id = $1",
                                              {conversation_id}));
    if (rows.empty()) return std::optional<HandoffAssignment>();
    const sql::Row& row = rows.front();
    return std::optional<HandoffAssignment>(HandoffAssignment{row.Int(0), row.Int(1), row.Text(2), row.Int(3)});
  }

  Status Unassign(int64_t conversation_id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    return connection->Exec("DELETE FROM handoff_assignments WHERE conversation_id = $1", {conversation_id}).status();
  }

  Result<std::vector<int64_t>> ListUnassigned(int limit) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query("SELECT c.id, c.metadata_json FROM conversations c WHERE c.status = 'handed_off' AND NOT "
                          "EXISTS (SELECT 1 FROM handoff_assignments a WHERE a.conversation_id = c.id)",
                          {}));
    std::vector<std::pair<int64_t, int64_t>> waiting;  // (handed off at, id)
    for (const sql::Row& row : rows) waiting.emplace_back(HandedOffAtOf(row.Text(1)), row.Int(0));
    std::sort(waiting.begin(), waiting.end());
    std::vector<int64_t> ids;
    for (size_t i = 0; i < waiting.size() && static_cast<int>(i) < std::max(limit, 0); ++i) {
      ids.push_back(waiting[i].second);
    }
    return ids;
  }

 private:
  // The assignment row and metadata.handoff.assigned_to / assigned_at, inside the caller's
  // transaction.
  Result<HandoffAssignment> Write(sql::Connection& connection, int64_t conversation_id, int64_t key_id,
                                  const std::string& prefix) {
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows found, connection.Query("SELECT metadata_json FROM conversations WHERE id = $1", {conversation_id}));
    if (found.empty()) {
      return FieldError(StatusCode::kNotFound, "conversation " + std::to_string(conversation_id) + " not found",
                        "conversation_id");
    }
    const int64_t now = context_.Now();
    nlohmann::json metadata = nlohmann::json::parse(found[0].Text(0), nullptr, false);
    if (!metadata.is_object()) metadata = nlohmann::json::object();
    if (!metadata["handoff"].is_object()) metadata["handoff"] = nlohmann::json::object();
    metadata["handoff"]["assigned_to"] = prefix;
    metadata["handoff"]["assigned_at"] = now;
    TROUPE_RETURN_IF_ERROR(connection
                               .Exec("UPDATE conversations SET metadata_json = $2, updated_at = $3 WHERE id = $1",
                                     {conversation_id, metadata.dump(), now})
                               .status());
    TROUPE_RETURN_IF_ERROR(
        connection
            .Exec("INSERT INTO handoff_assignments (conversation_id, key_id, assigned_at) VALUES ($1, $2, $3) "
                  "ON CONFLICT (conversation_id) DO UPDATE SET key_id = excluded.key_id, "
                  "assigned_at = excluded.assigned_at",
                  {conversation_id, key_id, now})
            .status());
    return HandoffAssignment{conversation_id, key_id, prefix, now};
  }

  Context context_;
};

}  // namespace

std::unique_ptr<AgentRepository> NewAgentRepository(const Context& context) {
  return std::make_unique<Agents>(context);
}

}  // namespace repo
}  // namespace troupe::store
