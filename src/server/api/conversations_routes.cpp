// /api/v1/conversations and what hangs off one: messages and feedback. A client key acts for one
// end user: it sees only that user's conversations, and anyone else's answer 404 exactly like a
// conversation that does not exist, so ids cannot be probed.
#include <charconv>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "chat/experiments.h"
#include "chat/reply_media.h"
#include "server/api/api_call.h"
#include "server/api/handoff_assignment.h"
#include "server/api/json_io.h"

namespace troupe::server::api {
namespace {

using nlohmann::json;

// Client keys: their end user's conversations. Other keys: one user's (?user_id=) or everyone's,
// for the agent console; ?status= and ?character_id= narrow either.
Response ListConversations(ApiCall& call) {
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

// The end user a studio key's playground conversations belong to, made on first use.
Result<store::User> PlaygroundUser(ApiCall& call) {
  const std::string external_id = "playground:" + call.principal().key.prefix;
  Result<store::User> found = call.store.users().GetByExternalId(external_id);
  if (found.ok() || found.status().code() != StatusCode::kNotFound) return found;
  store::User user;
  user.external_id = external_id;
  user.display_name = "Studio";
  user.segment = "playground";
  Result<store::User> created = call.store.users().Create(user);
  if (created.ok() || created.status().code() != StatusCode::kConflict) return created;
  return call.store.users().GetByExternalId(external_id);  // created meanwhile by another request
}

Response CreateConversation(ApiCall& call) {
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  JsonObjectReader reader(*body);
  store::Conversation conversation;
  conversation.character_id = reader.RequireInt("character_id", 1);
  // Client calls start conversations for their own end user, so user_id is not theirs to send.
  // Studio (and admin) keys may leave it out: the conversation is then their playground user's (a
  // draft character tried before it is published).
  if (!call.as_client()) {
    if (std::optional<int64_t> user_id = reader.OptionalInt("user_id", 1)) {
      conversation.user_id = *user_id;
    } else if (!call.principal().HasScope(kScopeStudio) && !call.principal().HasScope(kScopeAdmin)) {
      conversation.user_id = reader.RequireInt("user_id", 1);  // reports it missing
    }
  }
  if (auto title = reader.OptionalString("title")) conversation.title = std::move(*title);
  if (auto metadata = OptionalJsonText(reader, "metadata", JsonShape::kObject)) {
    conversation.metadata_json = std::move(*metadata);
  }
  if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);

  if (!call.as_client() && conversation.user_id == 0) {
    Result<store::User> playground = PlaygroundUser(call);
    if (!playground.ok()) return Response::Error(playground.status());
    conversation.user_id = playground->id;
  }
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
  Result<chat::StartedConversation> started = chat::StartConversation(call.store, std::move(conversation));
  if (!started.ok()) return Response::Error(started.status());
  const store::Conversation* created = &started->conversation;
  const json stored = ToJson(*created);
  call.events.Publish({"conversation.created", created->user_id, created->id, stored.dump()});
  return Response::Json(stored, 201);
}

Response GetConversation(ApiCall& call) {
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  return Response::Json(ToJson(*conversation));
}

Response Close(ApiCall& call) {
  Result<store::Conversation> conversation = call.VisibleConversation();
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

// The conversation after a status change, announced to open event streams.
Response AfterStatusChange(ApiCall& call, int64_t id) {
  Result<store::Conversation> changed = call.store.conversations().Get(id);
  if (!changed.ok()) return Response::Error(changed.status());
  const json body = ToJson(*changed);
  call.events.Publish({"conversation.updated", changed->user_id, changed->id, body.dump()});
  return Response::Json(body);
}

// {"reason"?}: a human takes over. The end user asks for one (client keys) and the conversation
// goes to the least busy available agent, or waits in the queue; an agent takes it over and has
// it. The character stops replying until it is handed back.
Response Handoff(ApiCall& call) {
  std::string reason;
  if (!call.request.body.empty()) {  // the body is optional
    HttpResult<json> body = ObjectBody(call.request);
    if (!body.ok()) return Response::Error(body.error());
    JsonObjectReader reader(*body);
    reason = reader.OptionalString("reason").value_or("");
    if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  }
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  if (conversation->status == store::ConversationStatus::kClosed) {
    return Response::Error(Status(StatusCode::kFailedPrecondition,
                                  "conversation " + std::to_string(conversation->id) + " is closed"));
  }
  json metadata = json::parse(conversation->metadata_json, nullptr, false);
  if (!metadata.is_object()) metadata = json::object();
  metadata["handoff"] = {{"requested_by", call.as_client() ? "user" : "agent"},
                         {"reason", reason},
                         {"agent", call.as_client() ? json(nullptr) : json(call.principal().key.prefix)},
                         {"at", NowMillis(call)}};
  store::Conversation updated = *conversation;
  updated.metadata_json = metadata.dump();
  if (Result<store::Conversation> written = call.store.conversations().UpdateState(updated); !written.ok()) {
    return Response::Error(written.status());
  }
  if (Status status = call.store.conversations().SetStatus(conversation->id, store::ConversationStatus::kHandedOff);
      !status.ok()) {
    return Response::Error(status);
  }
  // A new handoff: whoever had an earlier one of this conversation does not have this one.
  if (Status status = call.store.agents().Unassign(conversation->id); !status.ok()) return Response::Error(status);
  if (call.as_client()) {
    if (Result<bool> assigned = AssignToLeastBusy(call, conversation->id); !assigned.ok()) {
      return Response::Error(assigned.status());
    }
  } else if (Result<store::HandoffAssignment> taken = call.store.agents().Assign(conversation->id, call.principal().key.id);
             !taken.ok()) {
    return Response::Error(taken.status());
  }
  call.Audit("conversation.handoff", "conversation", conversation->id, {{"reason", reason}});
  return AfterStatusChange(call, conversation->id);
}

// The character speaks again; the agent's place frees up for a waiting conversation.
Response Handback(ApiCall& call) {
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  if (conversation->status != store::ConversationStatus::kHandedOff) {
    return Response::Error(Status(StatusCode::kFailedPrecondition,
                                  "conversation " + std::to_string(conversation->id) + " is not with a human agent"));
  }
  if (Result<store::Conversation> recorded = UpdateHandoffRecord(call, conversation->id, {{"handed_back_at", NowMillis(call)}});
      !recorded.ok()) {
    return Response::Error(recorded.status());
  }
  if (Status status = call.store.conversations().SetStatus(conversation->id, store::ConversationStatus::kActive);
      !status.ok()) {
    return Response::Error(status);
  }
  if (Status status = call.store.agents().Unassign(conversation->id); !status.ok()) return Response::Error(status);
  call.Audit("conversation.handback", "conversation", conversation->id);
  Response response = AfterStatusChange(call, conversation->id);
  AssignWaiting(call);
  return response;
}

// The first agent message of a handoff: it is answered (first_agent_reply_at), and an unassigned
// conversation becomes the writer's.
Status RecordFirstAgentReply(ApiCall& call, const store::Conversation& conversation) {
  const json metadata = json::parse(conversation.metadata_json, nullptr, false);
  const json handoff = metadata.is_object() ? metadata.value("handoff", json::object()) : json::object();
  if (handoff.is_object() && handoff.contains("first_agent_reply_at")) return Status::Ok();
  TROUPE_ASSIGN_OR_RETURN(std::optional<store::HandoffAssignment> assignment,
                          call.store.agents().GetAssignment(conversation.id));
  if (!assignment) {
    TROUPE_RETURN_IF_ERROR(call.store.agents().Assign(conversation.id, call.principal().key.id).status());
  }
  TROUPE_ASSIGN_OR_RETURN(store::Conversation recorded,
                          UpdateHandoffRecord(call, conversation.id, {{"first_agent_reply_at", NowMillis(call)}}));
  PublishConversationUpdated(call.events, recorded);
  return Status::Ok();
}

// {"content"}: a human agent's message in a handed-off conversation (role "agent").
Response PostAgentMessage(ApiCall& call) {
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  JsonObjectReader reader(*body);
  std::string content = reader.RequireString("content");
  if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  if (content.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Response::Error(InvalidArgument("content: must not be empty", "content"));
  }
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  if (conversation->status != store::ConversationStatus::kHandedOff) {
    return Response::Error(Status(StatusCode::kFailedPrecondition,
                                  "conversation " + std::to_string(conversation->id) +
                                      " is not handed off: take it over first (POST .../handoff)"));
  }
  Result<std::vector<store::Message>> last = call.store.messages().Latest(conversation->id, 1);
  if (!last.ok()) return Response::Error(last.status());
  store::Message message;
  message.conversation_id = conversation->id;
  message.role = store::MessageRole::kAgent;
  message.content = std::move(content);
  if (!last->empty()) message.parent_id = last->back().id;
  message.metadata_json = json{{"agent", call.principal().key.prefix}}.dump();
  Result<store::Message> stored = call.store.messages().Append(std::move(message));
  if (!stored.ok()) return Response::Error(stored.status());
  PublishMessageCreated(call.events, *conversation, *stored);
  if (Status status = RecordFirstAgentReply(call, *conversation); !status.ok()) return Response::Error(status);
  return Response::Json(ToJson(*stored), 201);
}

Response ListMessages(ApiCall& call) {
  Result<store::PageRequest> page = PageFromQuery(call.request);
  if (!page.ok()) return Response::Error(page.status());
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  Result<store::Page<store::Message>> found = call.store.messages().List(conversation->id, *page);
  if (!found.ok()) return Response::Error(found.status());
  return Response::Json(PageJson(*found));
}

// The file of medium {media_index} of a message (a voice message's audio, a picture the character
// sent; chat/reply_media.h), served as its MIME type. Anyone who may read the conversation may read
// its media; a message of another conversation answers 404.
Response GetMessageMedia(ApiCall& call) {
  Result<int64_t> message_id = PathId(call.request, "message_id");
  if (!message_id.ok()) return Response::Error(message_id.status());
  const std::string_view index_text = call.request.PathParam("media_index");
  int index = -1;
  const auto [end, error] = std::from_chars(index_text.data(), index_text.data() + index_text.size(), index);
  if (error != std::errc() || end != index_text.data() + index_text.size() || index < 0) {
    return Response::Error(InvalidArgument("media_index must be a whole number from 0", "media_index"));
  }
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  Result<store::Message> message = call.store.messages().Get(*message_id);
  if (!message.ok() && message.status().code() != StatusCode::kNotFound) return Response::Error(message.status());
  if (!message.ok() || message->conversation_id != conversation->id) {
    return Response::Error(Status(StatusCode::kNotFound,
                                  "conversation " + std::to_string(conversation->id) + " has no message " +
                                      std::to_string(*message_id),
                                  "message_id"));
  }
  if (call.options.data_dir.empty()) {
    return Response::Error(Status(StatusCode::kNotFound, "this server keeps no media files", "media_index"));
  }
  Result<chat::MediaFile> file =
      chat::ReadMediaFile(std::filesystem::path(call.options.data_dir) / "media", *message, index);
  if (!file.ok()) return Response::Error(file.status());
  // A file never changes once written, but which file an index shows does when the user picks
  // another alternative of the reply: revalidated each time, by the file's number.
  const std::string etag = "\"" + std::to_string(message->id) + "-" + std::to_string(file->file) + "\"";
  Response response;
  if (call.request.Header("If-None-Match") == std::optional<std::string_view>(etag)) {
    response.status = 304;
  } else {
    response.content_type = file->mime_type;
    response.body = std::move(file->bytes);
  }
  response.WithHeader("Cache-Control", "private, no-cache");
  response.WithHeader("ETag", etag);
  return response;
}

Response ListFeedback(ApiCall& call) {
  Result<store::PageRequest> page = PageFromQuery(call.request);
  if (!page.ok()) return Response::Error(page.status());
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  Result<store::Page<store::FeedbackEvent>> found =
      call.store.feedback().ListForConversation(conversation->id, *page);
  if (!found.ok()) return Response::Error(found.status());
  return Response::Json(PageJson(*found));
}

// "rating" needs a message of this conversation and -1, 0 or +1; "csat" (the end user's
// satisfaction after the conversation, for the KPIs) 1 to 5 and no message; "comment" and "report"
// need text and may name a message.
Response CreateFeedback(ApiCall& call) {
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());

  JsonObjectReader reader(*body);
  store::FeedbackEvent event;
  event.conversation_id = conversation->id;
  event.kind = reader.RequireString("kind");
  if (auto message_id = reader.OptionalInt("message_id", 1)) event.message_id = *message_id;
  if (auto rating = reader.OptionalInt("rating", -1, 5)) event.rating = static_cast<int>(*rating);
  if (auto comment = reader.OptionalString("comment")) event.comment = std::move(*comment);
  if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);

  if (event.kind == "rating") {
    if (!event.message_id) return Response::Error(InvalidArgument("a rating names a message", "message_id"));
    if (!event.rating || *event.rating > 1) {
      return Response::Error(InvalidArgument("rating is required: -1, 0 or 1", "rating"));
    }
  } else if (event.kind == "csat") {
    if (event.message_id) {
      return Response::Error(InvalidArgument("a csat rating is about the whole conversation: no message_id",
                                             "message_id"));
    }
    if (!event.rating || *event.rating < 1) {
      return Response::Error(InvalidArgument("rating is required for csat: 1 to 5", "rating"));
    }
  } else if (event.kind == "comment" || event.kind == "report") {
    if (event.rating) return Response::Error(InvalidArgument("only kind 'rating' has a rating", "rating"));
    if (event.comment.empty()) return Response::Error(InvalidArgument("comment is required", "comment"));
  } else {
    return Response::Error(InvalidArgument("kind must be rating, csat, comment or report", "kind"));
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
  // Studio keys too: the playground, where a draft character is tried before it is published.
  const std::vector<std::string_view> readers = {kScopeAgent, kScopeClient, kScopeStudio};
  const std::vector<std::string_view> end_user = {kScopeClient, kScopeStudio};
  table.push_back({"GET", "/api/v1/conversations", "listConversations", "conversations",
                   "List conversations, newest activity first: one end user's, or (except for client "
                   "keys, which list their own) everyone's",
                   readers, false,
                   {{"user_id", "integer", "only this end user's (client keys: their own, always)"},
                    {"status", "string", "only conversations in this status: active, handed_off or closed"},
                    {"character_id", "integer", "only conversations with this character"}},
                   "", "Conversation", true, 200, ListConversations});
  table.push_back({"POST", "/api/v1/conversations", "createConversation", "conversations",
                   "Start a conversation with a character", end_user, false, {},
                   "ConversationCreate", "Conversation", false, 201, CreateConversation});
  table.push_back({"GET", "/api/v1/conversations/{conversation_id}", "getConversation",
                   "conversations", "Get a conversation", readers, false, {}, "", "Conversation",
                   false, 200, GetConversation});
  // Agents too: closing a conversation is what makes it resolved in the KPIs.
  table.push_back({"POST", "/api/v1/conversations/{conversation_id}/close", "closeConversation",
                   "conversations", "Close a conversation (resolved, in the KPIs)",
                   {kScopeAgent, kScopeClient, kScopeStudio}, false, {}, "",
                   "Conversation", false, 200, Close});
  table.push_back({"GET", "/api/v1/conversations/{conversation_id}/messages", "listMessages",
                   "messages", "List a conversation's messages, oldest first", readers, false, {},
                   "", "Message", true, 200, ListMessages});
  table.push_back({"GET", "/api/v1/conversations/{conversation_id}/messages/{message_id}/media/{media_index}",
                   "getMessageMedia", "messages",
                   "A medium of a message (metadata.media[media_index]): a voice message's audio (audio/ogg or "
                   "audio/wav) or a picture the character sent (image/png, image/jpeg, image/webp)",
                   readers, false, {}, "", "", false, 200, GetMessageMedia});
  table.push_back({"GET", "/api/v1/conversations/{conversation_id}/feedback", "listFeedback",
                   "feedback", "List feedback on a conversation", readers, false, {}, "",
                   "FeedbackEvent", true, 200, ListFeedback});
  table.push_back({"POST", "/api/v1/conversations/{conversation_id}/feedback", "createFeedback",
                   "feedback", "Rate a message, rate the conversation (csat, 1 to 5) or leave free-text feedback", end_user, false, {},
                   "FeedbackCreate", "FeedbackEvent", false, 201, CreateFeedback});
  table.push_back({"POST", "/api/v1/conversations/{conversation_id}/handoff", "handoffConversation",
                   "conversations",
                   "Hand the conversation to a human: the end user asks for one, or an agent takes it over; "
                   "the character stops replying",
                   {kScopeAgent, kScopeClient}, false, {}, "Handoff", "Conversation", false, 200, Handoff});
  table.push_back({"POST", "/api/v1/conversations/{conversation_id}/handback", "handbackConversation",
                   "conversations", "Give a handed-off conversation back to the character", {kScopeAgent}, false,
                   {}, "", "Conversation", false, 200, Handback});
  table.push_back({"POST", "/api/v1/conversations/{conversation_id}/agent-messages", "postAgentMessage",
                   "messages", "A human agent's message in a handed-off conversation", {kScopeAgent}, false, {},
                   "MessageCreate", "Message", false, 201, PostAgentMessage});
}

}  // namespace troupe::server::api
