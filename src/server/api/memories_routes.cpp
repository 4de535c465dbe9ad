// A conversation's memories (pinned notes, summaries, facts) and full-text search of its
// messages. Client keys act on their end user's conversations only (others answer 404, like a
// conversation that does not exist), and of the memories they may write only pinned ones: the
// summaries and facts the model keeps are for agents and operators to correct.
#include <charconv>

#include <nlohmann/json.hpp>

#include "server/api/api_call.h"
#include "server/api/json_io.h"

namespace troupe::server::api {
namespace {

using nlohmann::json;

constexpr int kDefaultSearchLimit = 20;
constexpr int kMaxSearchLimit = 100;
constexpr size_t kMaxSearchQueryBytes = 1000;

// The memory named by the path, which must belong to `conversation`; for a client key, also a
// pinned one (403 otherwise: the caller can see it, it may not change it).
Result<store::Memory> WritableMemory(ApiCall& call, const store::Conversation& conversation) {
  TROUPE_ASSIGN_OR_RETURN(int64_t id, PathId(call.request, "memory_id"));
  Result<store::Memory> memory = call.store.memories().Get(id);
  if (!memory.ok() || memory->conversation_id != conversation.id) {
    if (!memory.ok() && memory.status().code() != StatusCode::kNotFound) return memory.status();
    return NotFound("memory " + std::to_string(id) + " not found in conversation " + std::to_string(conversation.id));
  }
  if (call.as_client() && memory->kind != store::MemoryKind::kPinned) {
    return Status(StatusCode::kPermissionDenied, "client keys may change only pinned memories");
  }
  return memory;
}

// An optional integer query parameter in [min, max]; kInvalidArgument naming it otherwise.
Result<std::optional<int64_t>> IntQuery(const Request& request, std::string_view name, int64_t min, int64_t max) {
  std::optional<std::string> text = request.QueryParam(name);
  if (!text) return std::optional<int64_t>();
  int64_t value = 0;
  const char* end = text->data() + text->size();
  const auto [stop, error] = std::from_chars(text->data(), end, value);
  if (text->empty() || error != std::errc() || stop != end || value < min || value > max) {
    return InvalidArgument(std::string(name) + " must be an integer from " + std::to_string(min) + " to " +
                               std::to_string(max),
                           std::string(name));
  }
  return std::optional<int64_t>(value);
}

Response ListMemories(ApiCall& call) {
  std::optional<store::MemoryKind> kind;
  if (std::optional<std::string> text = call.request.QueryParam("kind")) {
    kind = store::ParseMemoryKind(*text);
    if (!kind) return Response::Error(InvalidArgument("kind must be pinned, summary or fact", "kind"));
  }
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  Result<std::vector<store::Memory>> memories = call.store.memories().ListForConversation(conversation->id, kind);
  if (!memories.ok()) return Response::Error(memories.status());
  json data = json::array();
  for (const store::Memory& memory : *memories) data.push_back(ToJson(memory));
  return Response::Json({{"data", std::move(data)}});
}

// {"content"}: a pinned memory (201).
Response CreateMemory(ApiCall& call) {
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  JsonObjectReader reader(*body);
  store::Memory memory;
  memory.kind = store::MemoryKind::kPinned;
  memory.content = reader.RequireString("content");
  if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  memory.conversation_id = conversation->id;
  Result<store::Memory> created = call.store.memories().Create(std::move(memory));
  if (!created.ok()) return Response::Error(created.status());
  return Response::Json(ToJson(*created), 201);
}

// {"content"}: new text for the memory.
Response UpdateMemory(ApiCall& call) {
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  JsonObjectReader reader(*body);
  std::string content = reader.RequireString("content");
  if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  Result<store::Memory> memory = WritableMemory(call, *conversation);
  if (!memory.ok()) return Response::Error(memory.status());
  memory->content = std::move(content);
  Result<store::Memory> updated = call.store.memories().Update(*memory);
  if (!updated.ok()) return Response::Error(updated.status());
  return Response::Json(ToJson(*updated));
}

Response DeleteMemory(ApiCall& call) {
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  Result<store::Memory> memory = WritableMemory(call, *conversation);
  if (!memory.ok()) return Response::Error(memory.status());
  if (Status status = call.store.memories().Delete(memory->id); !status.ok()) return Response::Error(status);
  return Response::Text("", 204, "");
}

// ?q= (required), ?limit=, ?before_message_id=: the conversation's messages best match first.
Response SearchMemories(ApiCall& call) {
  std::optional<std::string> query = call.request.QueryParam("q");
  if (!query || query->empty()) return Response::Error(InvalidArgument("q is required", "q"));
  if (query->size() > kMaxSearchQueryBytes) {
    return Response::Error(
        InvalidArgument("q is longer than " + std::to_string(kMaxSearchQueryBytes) + " bytes", "q"));
  }
  Result<std::optional<int64_t>> limit = IntQuery(call.request, "limit", 1, kMaxSearchLimit);
  if (!limit.ok()) return Response::Error(limit.status());
  Result<std::optional<int64_t>> before = IntQuery(call.request, "before_message_id", 1, INT64_MAX);
  if (!before.ok()) return Response::Error(before.status());
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  Result<std::vector<store::Message>> found = call.store.messages().Search(
      conversation->id, *query, static_cast<int>(limit->value_or(kDefaultSearchLimit)), *before);
  if (!found.ok()) return Response::Error(found.status());
  json data = json::array();
  for (const store::Message& message : *found) data.push_back(ToJson(message));
  return Response::Json({{"data", std::move(data)}});
}

}  // namespace

void AddMemoryRoutes(RouteTable& table) {
  const std::vector<std::string_view> agents_and_own = {kScopeAgent, kScopeClient};
  table.push_back({"GET", "/api/v1/conversations/{conversation_id}/memories", "listMemories", "memories",
                   "List a conversation's memories (pinned notes, summaries, facts), oldest first", agents_and_own,
                   false, {{"kind", "string", "only memories of this kind: pinned, summary or fact"}}, "",
                   "MemoryList", false, 200, ListMemories});
  table.push_back({"POST", "/api/v1/conversations/{conversation_id}/memories", "createMemory", "memories",
                   "Pin a memory: a note the character keeps in mind for the rest of the conversation",
                   agents_and_own, false, {}, "MemoryCreate", "Memory", false, 201, CreateMemory});
  table.push_back({"PATCH", "/api/v1/conversations/{conversation_id}/memories/{memory_id}", "updateMemory",
                   "memories", "Rewrite a memory (client keys: pinned memories only)", agents_and_own, false, {},
                   "MemoryUpdate", "Memory", false, 200, UpdateMemory});
  table.push_back({"DELETE", "/api/v1/conversations/{conversation_id}/memories/{memory_id}", "deleteMemory",
                   "memories", "Forget a memory (client keys: pinned memories only)", agents_and_own, false, {}, "",
                   "", false, 204, DeleteMemory});
  table.push_back({"GET", "/api/v1/conversations/{conversation_id}/search", "searchMessages", "messages",
                   "Full-text search of a conversation's messages, best match first (any word counts; "
                   "words match by stem)",
                   {kScopeAgent, kScopeStudio, kScopeClient}, false,
                   {{"q", "string", "what to look for (required; at most 1000 bytes)"},
                    {"limit", "integer", "at most this many messages, 1 to 100 (default 20)"},
                    {"before_message_id", "integer", "only messages older than this one"}},
                   "", "MessageList", false, 200, SearchMemories});
}

}  // namespace troupe::server::api
