// The audit of tool calls (chat/tool_calls.h): one conversation's, for the agent looking at it, and
// everyone's with filters, for the agent console. Arguments are stored masked; the backend URLs are
// the operator's, so end users' client keys do not read them.
#include <nlohmann/json.hpp>

#include "server/api/api_call.h"
#include "server/api/json_io.h"

namespace troupe::server::api {
namespace {

using nlohmann::json;

// A time in milliseconds since the epoch from the query string; nullopt when absent.
Result<std::optional<int64_t>> TimeQuery(const Request& request, std::string_view name) {
  std::optional<std::string> text = request.QueryParam(name);
  if (!text) return std::optional<int64_t>();
  int64_t value = 0;
  size_t used = 0;
  try {
    value = std::stoll(*text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text->size() || value < 0) {
    return InvalidArgument(std::string(name) + " must be a time in milliseconds since 1970, got '" + *text + "'",
                           std::string(name));
  }
  return std::optional<int64_t>(value);
}

Response ListConversationToolCalls(ApiCall& call) {
  Result<store::PageRequest> page = PageFromQuery(call.request);
  if (!page.ok()) return Response::Error(page.status());
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  Result<store::Page<store::ToolCallRecord>> found = call.store.tool_calls().ListForConversation(conversation->id, *page);
  if (!found.ok()) return Response::Error(found.status());
  return Response::Json(PageJson(*found));
}

Response ListToolCalls(ApiCall& call) {
  Result<store::PageRequest> page = PageFromQuery(call.request);
  if (!page.ok()) return Response::Error(page.status());
  store::ToolCallFilter filter;
  filter.tool = call.request.QueryParam("tool").value_or("");
  filter.outcome = call.request.QueryParam("outcome").value_or("");
  for (auto [name, out] : {std::pair{"since", &filter.since}, std::pair{"until", &filter.until}}) {
    Result<std::optional<int64_t>> time = TimeQuery(call.request, name);
    if (!time.ok()) return Response::Error(time.status());
    *out = *time;
  }
  Result<store::Page<store::ToolCallRecord>> found = call.store.tool_calls().List(filter, *page);
  if (!found.ok()) return Response::Error(found.status());
  return Response::Json(PageJson(*found));
}

}  // namespace

void AddToolCallRoutes(RouteTable& table) {
  table.push_back({"GET", "/api/v1/conversations/{conversation_id}/tool-calls", "listConversationToolCalls",
                   "tools", "The tool calls a conversation's replies made, refused or asked about, oldest first",
                   {kScopeAgent, kScopeStudio}, false, {}, "", "ToolCall", true, 200, ListConversationToolCalls});
  table.push_back({"GET", "/api/v1/tool-calls", "listToolCalls", "tools",
                   "Tool calls across conversations, newest first (the agent console)", {kScopeAgent}, false,
                   {{"tool", "string", "only this tool's calls"},
                    {"outcome", "string", "only calls with this outcome: ok, declined, awaiting_confirmation, "
                                          "invalid_argument, permission_denied, ..."},
                    {"since", "integer", "only calls made at or after this time (ms since 1970)"},
                    {"until", "integer", "only calls made before this time (ms since 1970)"}},
                   "", "ToolCall", true, 200, ListToolCalls});
}

}  // namespace troupe::server::api
