// The support desk: agents' presence (/api/v1/agents), the handoff queue with waiting times, and
// assigning a handed-off conversation to an agent. An agent is an API key with the agent scope
// (admin keys may act as one); its presence lives in the store so every node sees it.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "server/api/handoff_assignment.h"
#include "server/api/json_io.h"

namespace troupe::server::api {
namespace {

using nlohmann::json;

// Handed-off conversations the queue reads at most.
constexpr int kQueueLimit = 1000;

json AgentJson(const ApiCall& call, const store::ApiKey& key, const std::optional<store::AgentPresence>& presence) {
  return {{"key_prefix", key.prefix},
          {"name", key.name},
          {"status", presence ? EffectivePresence(call, *presence) : "offline"},
          {"max_conversations", presence ? presence->max_conversations : store::kDefaultMaxAgentConversations},
          {"last_seen_at", presence ? json(presence->last_seen_at) : json()},
          {"assigned", presence ? presence->assigned : 0}};
}

bool ActsAsAgent(const store::ApiKey& key) {
  return !key.revoked_at && std::any_of(key.scopes.begin(), key.scopes.end(), [](const std::string& scope) {
           return scope == kScopeAgent || scope == kScopeAdmin;
         });
}

// {status, max_conversations?} for the calling key. Becoming available takes waiting
// conversations at once.
Response PutPresence(ApiCall& call) {
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  JsonObjectReader reader(*body);
  const std::string status_text = reader.RequireString("status");
  std::optional<int64_t> max = reader.OptionalInt("max_conversations", 1, 1000);
  if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  std::optional<store::AgentStatus> status = store::ParseAgentStatus(status_text);
  if (!status) return Response::Error(InvalidArgument("status must be available, away or offline", "status"));
  Result<store::AgentPresence> presence = call.store.agents().SetPresence(
      call.principal().key.id, *status, max ? std::optional<int>(static_cast<int>(*max)) : std::nullopt);
  if (!presence.ok()) return Response::Error(presence.status());
  if (*status == store::AgentStatus::kAvailable) {
    AssignWaiting(call);
    if (Result<store::AgentPresence> after = call.store.agents().GetPresence(call.principal().key.id); after.ok()) {
      presence = std::move(after);
    }
  }
  return Response::Json(AgentJson(call, call.principal().key, *presence));
}

// Every agent key (not revoked), with its presence and load.
Response ListAgents(ApiCall& call) {
  Result<std::vector<store::AgentPresence>> presences = call.store.agents().List();
  if (!presences.ok()) return Response::Error(presences.status());
  json data = json::array();
  store::PageRequest page{"", 500};
  for (int pages = 0; pages < 100; ++pages) {
    Result<store::Page<store::ApiKey>> keys = call.store.api_keys().List(page);
    if (!keys.ok()) return Response::Error(keys.status());
    for (const store::ApiKey& key : keys->items) {
      if (!ActsAsAgent(key)) continue;
      auto found = std::find_if(presences->begin(), presences->end(),
                                [&key](const store::AgentPresence& p) { return p.key_id == key.id; });
      // Admin keys are listed once they act as agents (have set a presence).
      const bool agent = std::find(key.scopes.begin(), key.scopes.end(), kScopeAgent) != key.scopes.end();
      if (!agent && found == presences->end()) continue;
      data.push_back(AgentJson(call, key, found == presences->end() ? std::nullopt : std::optional(*found)));
    }
    if (keys->next_cursor.empty()) break;
    page.cursor = keys->next_cursor;
  }
  return Response::Json(json{{"data", std::move(data)}, {"next_cursor", nullptr}});
}

// The customer's latest message of the conversation, or null.
Result<json> LastCustomerMessage(ApiCall& call, int64_t conversation_id) {
  TROUPE_ASSIGN_OR_RETURN(std::vector<store::Message> latest, call.store.messages().Latest(conversation_id, 20));
  for (auto it = latest.rbegin(); it != latest.rend(); ++it) {
    if (it->role == store::MessageRole::kUser) {
      return json{{"id", it->id}, {"content", it->content}, {"created_at", it->created_at}};
    }
  }
  return json();
}

Result<json> HandoffQueueEntryJson(ApiCall& call, const store::Conversation& conversation, int64_t now) {
  const json metadata = json::parse(conversation.metadata_json, nullptr, false);
  json handoff = metadata.is_object() ? metadata.value("handoff", json::object()) : json::object();
  if (!handoff.is_object()) handoff = json::object();
  auto number = [&handoff](const char* name) -> std::optional<int64_t> {
    const auto found = handoff.find(name);
    if (found == handoff.end() || !found->is_number_integer()) return std::nullopt;
    return found->get<int64_t>();
  };
  const int64_t at = number("at").value_or(conversation.updated_at);
  const std::optional<int64_t> answered = number("first_agent_reply_at");
  const json summary = handoff.value("summary", json::object());
  TROUPE_ASSIGN_OR_RETURN(json last, LastCustomerMessage(call, conversation.id));
  return json{{"conversation_id", conversation.id},
              {"user_id", conversation.user_id},
              {"character_id", conversation.character_id},
              {"title", conversation.title},
              {"handed_off_at", at},
              {"waiting_ms", std::max<int64_t>(0, answered.value_or(now) - at)},
              {"answered", answered.has_value()},
              {"requested_by", handoff.value("requested_by", json())},
              {"reason", handoff.value("reason", json())},
              {"summary_text", summary.is_object() ? summary.value("text", json()) : json()},
              {"assigned_to", handoff.value("assigned_to", json())},
              {"assigned_at", handoff.value("assigned_at", json())},
              {"last_customer_message", last}};
}

// Handed-off conversations, the longest waiting first.
Response ListQueue(ApiCall& call) {
  store::ConversationQuery query;
  query.status = store::ConversationStatus::kHandedOff;
  query.page.limit = 500;
  std::vector<store::Conversation> handed_off;
  while (static_cast<int>(handed_off.size()) < kQueueLimit) {
    Result<store::Page<store::Conversation>> found = call.store.conversations().List(query);
    if (!found.ok()) return Response::Error(found.status());
    handed_off.insert(handed_off.end(), found->items.begin(), found->items.end());
    if (found->next_cursor.empty()) break;
    query.page.cursor = found->next_cursor;
  }
  const int64_t now = NowMillis(call);
  std::vector<json> entries;
  for (const store::Conversation& conversation : handed_off) {
    Result<json> entry = HandoffQueueEntryJson(call, conversation, now);
    if (!entry.ok()) return Response::Error(entry.status());
    entries.push_back(std::move(*entry));
  }
  std::sort(entries.begin(), entries.end(), [](const json& a, const json& b) {
    return std::pair(a["handed_off_at"].get<int64_t>(), a["conversation_id"].get<int64_t>()) <
           std::pair(b["handed_off_at"].get<int64_t>(), b["conversation_id"].get<int64_t>());
  });
  return Response::Json(json{{"data", json(std::move(entries))}, {"next_cursor", nullptr}});
}

// The key that is to take the conversation: the caller (no "agent"), or the agent an admin names.
Result<store::ApiKey> AssigneeOf(ApiCall& call, const std::optional<std::string>& named) {
  if (!named || *named == call.principal().key.prefix) return call.principal().key;
  if (!call.principal().HasScope(kScopeAdmin)) {
    return Status(StatusCode::kPermissionDenied, "an agent key claims conversations for itself; only admin keys "
                                                 "assign them to another agent", "agent");
  }
  Result<store::ApiKey> key = call.store.api_keys().GetByPrefix(*named);
  if (!key.ok() && key.status().code() != StatusCode::kNotFound) return key.status();
  if (!key.ok() || key->revoked_at) return NotFoundField("no agent key with prefix '" + *named + "'", "agent");
  if (!ActsAsAgent(*key)) return InvalidArgument("key '" + *named + "' is not an agent key", "agent");
  return key;
}

// {agent?}: the conversation is assigned to the caller, or to the named agent (admin keys).
Response Assign(ApiCall& call) {
  std::optional<std::string> named;
  if (!call.request.body.empty()) {
    HttpResult<json> body = ObjectBody(call.request);
    if (!body.ok()) return Response::Error(body.error());
    JsonObjectReader reader(*body);
    named = reader.OptionalString("agent");
    if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  }
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  if (conversation->status != store::ConversationStatus::kHandedOff) {
    return Response::Error(Status(StatusCode::kFailedPrecondition,
                                  "conversation " + std::to_string(conversation->id) + " is not handed off"));
  }
  Result<store::ApiKey> assignee = AssigneeOf(call, named);
  if (!assignee.ok()) return Response::Error(assignee.status());
  Result<store::AgentPresence> presence = call.store.agents().GetPresence(assignee->id);
  if (!presence.ok() && presence.status().code() != StatusCode::kNotFound) return Response::Error(presence.status());
  if (!presence.ok() || EffectivePresence(call, *presence) == "offline") {
    return Response::Error(Status(StatusCode::kFailedPrecondition,
                                  "agent '" + assignee->prefix +
                                      "' is offline: it sets its presence with PUT /api/v1/agents/me/presence",
                                  "agent"));
  }
  if (Result<store::HandoffAssignment> assigned = call.store.agents().Assign(conversation->id, assignee->id);
      !assigned.ok()) {
    return Response::Error(assigned.status());
  }
  call.Audit("conversation.assign", "conversation", conversation->id, {{"agent", assignee->prefix}});
  Result<store::Conversation> changed = call.store.conversations().Get(conversation->id);
  if (!changed.ok()) return Response::Error(changed.status());
  PublishConversationUpdated(call.events, *changed);
  return Response::Json(ToJson(*changed));
}

}  // namespace

void AddHandoffQueueRoutes(RouteTable& table) {
  const std::vector<std::string_view> agents = {kScopeAgent};
  table.push_back({"PUT", "/api/v1/agents/me/presence", "setAgentPresence", "agents",
                   "Say whether the calling agent takes conversations (available, away, offline) and how many at "
                   "once; also its heartbeat: an agent not seen for support.presence_timeout counts as offline",
                   agents, false, {}, "AgentPresenceUpdate", "Agent", false, 200, PutPresence});
  table.push_back({"GET", "/api/v1/agents", "listAgents", "agents",
                   "Agents with their presence, when they were last seen and how many handed-off conversations "
                   "they have",
                   agents, false, {}, "", "Agent", true, 200, ListAgents});
  table.push_back({"GET", "/api/v1/handoff-queue", "listHandoffQueue", "agents",
                   "Handed-off conversations, the longest waiting first, with waiting time, reason, the summary "
                   "for the agent, the assigned agent and the customer's last message",
                   agents, false, {}, "", "HandoffQueueEntry", true, 200, ListQueue});
  table.push_back({"POST", "/api/v1/conversations/{conversation_id}/assign", "assignConversation", "agents",
                   "Assign a handed-off conversation: an agent claims it (no body), an admin names the agent",
                   agents, false, {}, "AssignConversation", "Conversation", false, 200, Assign});
}

}  // namespace troupe::server::api
