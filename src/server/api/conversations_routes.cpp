// /api/v1/conversations and what hangs off one: messages and feedback. A client key acts for one
// end user: it sees only that user's conversations, and anyone else's answer 404 exactly like a
// conversation that does not exist, so ids cannot be probed.
#include <nlohmann/json.hpp>

#include "server/api/api_call.h"
#include "server/api/json_io.h"

namespace troupe::server::api {
namespace {

using nlohmann::json;

Status ConversationNotFound(int64_t id) {
  return NotFound("conversation " + std::to_string(id) + " not found");
}

// The conversation named by the path, if this caller may see it.
Result<store::Conversation> VisibleConversation(ApiCall& call) {
  TROUPE_ASSIGN_OR_RETURN(int64_t id, PathId(call.request, "conversation_id"));
  Result<store::Conversation> conversation = call.store.conversations().Get(id);
  if (!conversation.ok()) return conversation.status();
  if (call.as_client()) {
    TROUPE_ASSIGN_OR_RETURN(store::User self, call.EndUser());
    if (conversation->user_id != self.id) return ConversationNotFound(id);
  }
  return conversation;
}

// A positive integer id from the query string; nullopt when absent.
Result<std::optional<int64_t>> IdQuery(const Request& request, std::string_view name) {
  std::optional<std::string> text = request.QueryParam(name);
  if (!text) return std::optional<int64_t>();
  Request probe;  // reuse PathId's parsing and message for a query parameter
  probe.path_params.emplace(std::string(name), *text);
  TROUPE_ASSIGN_OR_RETURN(int64_t id, PathId(probe, name));
  return std::optional<int64_t>(id);
}

// Client keys: their end user's conversations. Other keys: one user's (?user_id=) or everyone's,
// for the agent console; ?status= and ?character_id= narrow either.
Response List(ApiCall& call) {
  Result<store::PageRequest> page = PageFromQuery(call.request);
  if (!page.ok()) return Response::Error(page.status());
  store::ConversationQuery query;
  query.page = *page;
  Result<std::optional<int64_t>> user_id = IdQuery(call.request, "user_id");
  if (!user_id.ok()) return Response::Error(user_id.status());
  query.user_id = *user_id;
  Result<std::optional<int64_t>> character_id = IdQuery(call.request, "character_id");
  if (!character_id.ok()) return Response::Error(character_id.status());
  query.character_id = *character_id;
  if (std::optional<std::string> status = call.request.QueryParam("status")) {
    query.status = store::ParseConversationStatus(*status);
    if (!query.status) {
      return Response::Error(InvalidArgument("status must be active, handed_off or closed", "status"));
    }
  }
  if (call.as_client()) {
    Result<store::User> self = call.EndUser();
    if (!self.ok()) return Response::Error(self.status());
    if (query.user_id && *query.user_id != self->id) {
      return Response::Error(NotFound("user " + std::to_string(*query.user_id) + " not found"));
    }
    query.user_id = self->id;
  } else if (query.user_id) {
    if (Result<store::User> user = call.store.users().Get(*query.user_id); !user.ok()) {
      return Response::Error(user.status());
    }
  }
  Result<store::Page<store::Conversation>> found = call.store.conversations().List(query);
  if (!found.ok()) return Response::Error(found.status());
  return Response::Json(PageJson(*found));
}

Response Create(ApiCall& call) {
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  JsonObjectReader reader(*body);
  store::Conversation conversation;
  conversation.character_id = reader.RequireInt("character_id", 1);
  // Client calls start conversations for their own end user, so user_id is not theirs to send.
  if (!call.as_client()) conversation.user_id = reader.RequireInt("user_id", 1);
  if (auto title = reader.OptionalString("title")) conversation.title = std::move(*title);
  if (auto metadata = OptionalJsonText(reader, "metadata", JsonShape::kObject)) {
    conversation.metadata_json = std::move(*metadata);
  }
  if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);

  if (call.as_client()) {
    Result<store::User> self = call.EndUser();
    if (!self.ok()) return Response::Error(self.status());
    conversation.user_id = self->id;
    Result<store::Character> character = call.store.characters().Get(conversation.character_id);
    if (!character.ok() || !character->published) {
      if (character.ok() || character.status().code() == StatusCode::kNotFound) {
        return Response::Error(NotFoundField(
            "character " + std::to_string(conversation.character_id) + " not found", "character_id"));
      }
      return Response::Error(character.status());
    }
  }
  Result<store::Conversation> created = call.store.conversations().Create(std::move(conversation));
  if (!created.ok()) return Response::Error(created.status());
  const json stored = ToJson(*created);
  call.events.Publish({"conversation.created", created->user_id, created->id, stored.dump()});
  return Response::Json(stored, 201);
}

Response Get(ApiCall& call) {
  Result<store::Conversation> conversation = VisibleConversation(call);
  if (!conversation.ok()) return Response::Error(conversation.status());
  return Response::Json(ToJson(*conversation));
}

Response Close(ApiCall& call) {
  Result<store::Conversation> conversation = VisibleConversation(call);
  if (!conversation.ok()) return Response::Error(conversation.status());
  if (Status status =
          call.store.conversations().SetStatus(conversation->id, store::ConversationStatus::kClosed);
      !status.ok()) {
    return Response::Error(status);
  }
  Result<store::Conversation> closed = call.store.conversations().Get(conversation->id);
  if (!closed.ok()) return Response::Error(closed.status());
  const json body = ToJson(*closed);
  call.events.Publish({"conversation.updated", closed->user_id, closed->id, body.dump()});
  return Response::Json(body);
}

Response ListMessages(ApiCall& call) {
  Result<store::PageRequest> page = PageFromQuery(call.request);
  if (!page.ok()) return Response::Error(page.status());
  Result<store::Conversation> conversation = VisibleConversation(call);
  if (!conversation.ok()) return Response::Error(conversation.status());
  Result<store::Page<store::Message>> found = call.store.messages().List(conversation->id, *page);
  if (!found.ok()) return Response::Error(found.status());
  return Response::Json(PageJson(*found));
}

Response ListFeedback(ApiCall& call) {
  Result<store::PageRequest> page = PageFromQuery(call.request);
  if (!page.ok()) return Response::Error(page.status());
  Result<store::Conversation> conversation = VisibleConversation(call);
  if (!conversation.ok()) return Response::Error(conversation.status());
  Result<store::Page<store::FeedbackEvent>> found =
      call.store.feedback().ListForConversation(conversation->id, *page);
  if (!found.ok()) return Response::Error(found.status());
  return Response::Json(PageJson(*found));
}

// "rating" needs a message of this conversation and -1, 0 or +1; "comment" and "report" need
// text and may name a message.
Response CreateFeedback(ApiCall& call) {
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  Result<store::Conversation> conversation = VisibleConversation(call);
  if (!conversation.ok()) return Response::Error(conversation.status());

  JsonObjectReader reader(*body);
  store::FeedbackEvent event;
  event.conversation_id = conversation->id;
  event.kind = reader.RequireString("kind");
  if (auto message_id = reader.OptionalInt("message_id", 1)) event.message_id = *message_id;
  if (auto rating = reader.OptionalInt("rating", -1, 1)) event.rating = static_cast<int>(*rating);
  if (auto comment = reader.OptionalString("comment")) event.comment = std::move(*comment);
  if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);

  if (event.kind == "rating") {
    if (!event.message_id) return Response::Error(InvalidArgument("a rating names a message", "message_id"));
    if (!event.rating) return Response::Error(InvalidArgument("rating is required: -1, 0 or 1", "rating"));
  } else if (event.kind == "comment" || event.kind == "report") {
    if (event.rating) return Response::Error(InvalidArgument("only kind 'rating' has a rating", "rating"));
    if (event.comment.empty()) return Response::Error(InvalidArgument("comment is required", "comment"));
  } else {
    return Response::Error(InvalidArgument("kind must be rating, comment or report", "kind"));
  }
  if (event.message_id) {
    Result<store::Message> message = call.store.messages().Get(*event.message_id);
    if (!message.ok() && message.status().code() != StatusCode::kNotFound) {
      return Response::Error(message.status());
    }
    if (!message.ok() || message->conversation_id != conversation->id) {
      return Response::Error(NotFoundField(
          "message " + std::to_string(*event.message_id) + " not found in this conversation",
          "message_id"));
    }
  }
  if (call.as_client()) event.user_id = conversation->user_id;
  Result<store::FeedbackEvent> recorded = call.store.feedback().Record(std::move(event));
  if (!recorded.ok()) return Response::Error(recorded.status());
  return Response::Json(ToJson(*recorded), 201);
}

}  // namespace

void AddConversationRoutes(RouteTable& table) {
  const std::vector<std::string_view> readers = {kScopeAgent, kScopeClient};
  const std::vector<std::string_view> end_user = {kScopeClient};
  table.push_back({"GET", "/api/v1/conversations", "listConversations", "conversations",
                   "List conversations, newest activity first: one end user's, or (except for client "
                   "keys, which list their own) everyone's",
                   readers, false,
                   {{"user_id", "integer", "only this end user's (client keys: their own, always)"},
                    {"status", "string", "only conversations in this status: active, handed_off or closed"},
                    {"character_id", "integer", "only conversations with this character"}},
                   "", "Conversation", true, 200, List});
  table.push_back({"POST", "/api/v1/conversations", "createConversation", "conversations",
                   "Start a conversation with a character", end_user, false, {},
                   "ConversationCreate", "Conversation", false, 201, Create});
  table.push_back({"GET", "/api/v1/conversations/{conversation_id}", "getConversation",
                   "conversations", "Get a conversation", readers, false, {}, "", "Conversation",
                   false, 200, Get});
  table.push_back({"POST", "/api/v1/conversations/{conversation_id}/close", "closeConversation",
                   "conversations", "Close a conversation", end_user, false, {}, "",
                   "Conversation", false, 200, Close});
  table.push_back({"GET", "/api/v1/conversations/{conversation_id}/messages", "listMessages",
                   "messages", "List a conversation's messages, oldest first", readers, false, {},
                   "", "Message", true, 200, ListMessages});
  table.push_back({"GET", "/api/v1/conversations/{conversation_id}/feedback", "listFeedback",
                   "feedback", "List feedback on a conversation", readers, false, {}, "",
                   "FeedbackEvent", true, 200, ListFeedback});
  table.push_back({"POST", "/api/v1/conversations/{conversation_id}/feedback", "createFeedback",
                   "feedback", "Rate a message or leave free-text feedback", end_user, false, {},
                   "FeedbackCreate", "FeedbackEvent", false, 201, CreateFeedback});
}

}  // namespace troupe::server::api
