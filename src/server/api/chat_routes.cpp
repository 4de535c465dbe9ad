// The chat routes: a user's message and the character's streamed reply, the opening message, a
// reply to the latest message (after a refused or failed turn), regenerate with alternatives
// (swipes), and editing a message. Streamed routes answer with Server-Sent Events whose event
// names and payloads are chat::TurnEvent's (chat/turn_events.h, written by turn_event_json.h; docs/api.md); the turn runs on
// the background pool and stops when the client goes away.
#include <atomic>
#include <memory>

#include <nlohmann/json.hpp>

#include "server/api/api_call.h"
#include "server/api/json_io.h"
#include "server/api/provider_errors.h"
#include "server/api/turn_event_json.h"

namespace troupe::server::api {
namespace {

using nlohmann::json;

// The message named by the path, which must belong to `conversation`.
Result<store::Message> MessageOf(ApiCall& call, const store::Conversation& conversation) {
  TROUPE_ASSIGN_OR_RETURN(int64_t id, PathId(call.request, "message_id"));
  Result<store::Message> message = call.store.messages().Get(id);
  if (!message.ok() || message->conversation_id != conversation.id) {
    if (!message.ok() && message.status().code() != StatusCode::kNotFound) return message.status();
    return NotFound("message " + std::to_string(id) + " not found in conversation " +
                    std::to_string(conversation.id));
  }
  return message;
}

Status RuntimeAvailable(const ApiCall& call) {
  if (call.options.runtime == nullptr || !call.request.run_in_background) {
    return Status(StatusCode::kUnavailable, "the chat runtime is not running on this server");
  }
  return Status::Ok();
}

// Turn options from the optional body fields every streamed route accepts.
struct StreamFlags {
  bool typing_delays = true;
  bool split_messages = true;
};

void ReadStreamFlags(JsonObjectReader& reader, StreamFlags& flags) {
  if (auto typing = reader.OptionalBool("typing_delays")) flags.typing_delays = *typing;
  if (auto split = reader.OptionalBool("split_messages")) flags.split_messages = *split;
}

// A turn that failed before it started: the caller's own mistakes are told as they are; anything
// else may come from finding the provider.
Status BeforeTurnForCaller(const Status& status, const ErrorAudience& audience) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kConflict:
    case StatusCode::kFailedPrecondition:
      return status;
    default:
      return api::ForCaller(status, audience);
  }
}

// Starts `turn` on the background pool, streaming its events; 429 when the pool is full.
// `first` events (e.g. the stored user message) are queued before the turn's own.
Response StreamTurn(ApiCall& call, std::vector<SseEvent> first,
                    std::function<Status(chat::ChatRuntime&, const chat::TurnOptions&, const chat::TurnSink&)> turn,
                    const StreamFlags& flags) {
  const ErrorAudience audience{call.principal().HasScope(kScopeAdmin), call.request.request_id};
  SseStream stream;
  for (SseEvent& event : first) stream.Send(std::move(event));
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  stream.OnCancel([cancel] { cancel->store(true); });
  chat::ChatRuntime* runtime = call.options.runtime;
  const bool posted = call.request.run_in_background([stream, cancel, runtime, turn = std::move(turn), flags,
                                                      audience]() mutable {
    chat::TurnOptions options;
    options.typing_delays = flags.typing_delays;
    options.split_messages = flags.split_messages;
    options.cancel = cancel.get();
    chat::TurnSink sink = [&stream, &audience](const chat::TurnEvent& event) { stream.Send(ToSse(event, audience)); };
    // The runtime reports its own failures as "error" events before returning them; only a failure
    // before the turn started (nothing sent yet) needs one here.
    bool sent_error = false;
    chat::TurnSink watching = [&](const chat::TurnEvent& event) {
      if (std::holds_alternative<chat::ErrorEvent>(event)) sent_error = true;
      sink(event);
    };
    Status status = turn(*runtime, options, watching);
    if (!status.ok() && !sent_error) {
      status = BeforeTurnForCaller(status, audience);
      stream.Send("error", json{{"code", std::string(StatusCodeName(status.code()))},
                                {"message", status.message()}}
                               .dump());
    }
    stream.Close();
  });
  if (!posted) {
    stream.Close();
    Response response = Response::Error(
        Status(StatusCode::kResourceExhausted, "every chat worker is busy; retry with POST "
                                               "/api/v1/conversations/{id}/reply in a few seconds"));
    response.WithHeader("Retry-After", "2");
    return response;
  }
  return Response::EventStream(std::move(stream));
}

Response PostMessage(ApiCall& call) {
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  if (Status status = RuntimeAvailable(call); !status.ok()) return Response::Error(status);
  JsonObjectReader reader(*body);
  std::string content = reader.RequireString("content");
  StreamFlags flags;
  ReadStreamFlags(reader, flags);
  if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);

  Result<store::Message> stored = call.options.runtime->AddUserMessage(conversation->id, std::move(content));
  if (!stored.ok()) return Response::Error(stored.status());
  const json message = ToJson(*stored);
  call.events.Publish({"message.created", conversation->user_id, conversation->id, message.dump()});
  const int64_t id = conversation->id;
  return StreamTurn(call, {SseEvent{"message", {}, message.dump()}},
                    [id](chat::ChatRuntime& runtime, const chat::TurnOptions& options, const chat::TurnSink& sink) {
                      return runtime.Reply(id, options, sink).status();
                    },
                    flags);
}

Response PostReply(ApiCall& call) {
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  if (Status status = RuntimeAvailable(call); !status.ok()) return Response::Error(status);
  StreamFlags flags;
  if (!call.request.body.empty()) {
    HttpResult<json> body = ObjectBody(call.request);
    if (!body.ok()) return Response::Error(body.error());
    JsonObjectReader reader(*body);
    ReadStreamFlags(reader, flags);
    if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  }
  const int64_t id = conversation->id;
  return StreamTurn(call, {},
                    [id](chat::ChatRuntime& runtime, const chat::TurnOptions& options, const chat::TurnSink& sink) {
                      return runtime.Reply(id, options, sink).status();
                    },
                    flags);
}

Response PostOpen(ApiCall& call) {
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  if (Status status = RuntimeAvailable(call); !status.ok()) return Response::Error(status);
  StreamFlags flags;
  int greeting = 0;
  if (!call.request.body.empty()) {
    HttpResult<json> body = ObjectBody(call.request);
    if (!body.ok()) return Response::Error(body.error());
    JsonObjectReader reader(*body);
    if (auto index = reader.OptionalInt("greeting", 0, 1000)) greeting = static_cast<int>(*index);
    ReadStreamFlags(reader, flags);
    if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  }
  const int64_t id = conversation->id;
  return StreamTurn(call, {},
                    [id, greeting](chat::ChatRuntime& runtime, const chat::TurnOptions& options,
                                   const chat::TurnSink& sink) {
                      return runtime.Open(id, greeting, options, sink).status();
                    },
                    flags);
}

Response PostRegenerate(ApiCall& call) {
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  if (Status status = RuntimeAvailable(call); !status.ok()) return Response::Error(status);
  Result<store::Message> message = MessageOf(call, *conversation);
  if (!message.ok()) return Response::Error(message.status());
  StreamFlags flags;
  flags.split_messages = false;  // an alternative is one message, so swipes line up
  if (!call.request.body.empty()) {
    HttpResult<json> body = ObjectBody(call.request);
    if (!body.ok()) return Response::Error(body.error());
    JsonObjectReader reader(*body);
    if (auto typing = reader.OptionalBool("typing_delays")) flags.typing_delays = *typing;
    if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  }
  const int64_t id = conversation->id;
  const int64_t message_id = message->id;
  return StreamTurn(call, {},
                    [id, message_id](chat::ChatRuntime& runtime, const chat::TurnOptions& options,
                                     const chat::TurnSink& sink) {
                      return runtime.Regenerate(id, message_id, options, sink).status();
                    },
                    flags);
}

// {"content": "..."} edits the text; {"swipe": i} shows alternative i of a regenerated reply.
Response PatchMessage(ApiCall& call) {
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  if (Status status = RuntimeAvailable(call); !status.ok()) return Response::Error(status);
  Result<store::Message> message = MessageOf(call, *conversation);
  if (!message.ok()) return Response::Error(message.status());
  JsonObjectReader reader(*body);
  std::optional<std::string> content = reader.OptionalString("content");
  std::optional<int64_t> swipe = reader.OptionalInt("swipe", 0, 10'000);
  if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  if (content.has_value() == swipe.has_value()) {
    return Response::Error(InvalidArgument("send exactly one of content or swipe", "content"));
  }
  // A client may edit its own end user's words only; the character's lines are the operator's.
  if (call.as_client() && content && message->role != store::MessageRole::kUser) {
    return Response::Error(Status(StatusCode::kPermissionDenied, "client keys may edit only the user's messages"));
  }
  Result<store::Message> updated = content ? call.options.runtime->EditMessage(message->id, std::move(*content))
                                           : call.options.runtime->SelectSwipe(message->id, static_cast<int>(*swipe));
  if (!updated.ok()) return Response::Error(updated.status());
  const json result = ToJson(*updated);
  call.events.Publish({"message.updated", conversation->user_id, conversation->id, result.dump()});
  return Response::Json(result);
}

// {"message_id": M}: a new conversation with copies of the messages up to M (201).
Response PostBranch(ApiCall& call) {
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  JsonObjectReader reader(*body);
  const int64_t message_id = reader.RequireInt("message_id", 1);
  if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  Result<store::Conversation> branch = call.store.conversations().Branch(conversation->id, message_id);
  if (!branch.ok()) return Response::Error(branch.status());
  const json created = ToJson(*branch);
  call.events.Publish({"conversation.created", branch->user_id, branch->id, created.dump()});
  return Response::Json(created, 201);
}

ApiRoute Streamed(std::string method, std::string pattern, std::string operation, std::string summary,
                  std::string request_schema, std::function<Response(ApiCall&)> handler) {
  ApiRoute route;
  route.method = std::move(method);
  route.pattern = std::move(pattern);
  route.operation_id = std::move(operation);
  route.tag = "chat";
  route.summary = std::move(summary);
  // The end user's side of a conversation: client keys for their own user, studio keys in the
  // playground (and admin).
  route.scopes = {kScopeClient, kScopeStudio};
  route.request_schema = std::move(request_schema);
  route.event_stream = true;
  route.handler = std::move(handler);
  return route;
}

}  // namespace

void AddChatRoutes(RouteTable& table) {
  table.push_back(Streamed("POST", "/api/v1/conversations/{conversation_id}/messages", "postMessage",
                           "Send the user's message; the character's reply streams back as events "
                           "(message, typing, message.start, delta, message.end, error, done)",
                           "MessageCreate", PostMessage));
  table.push_back(Streamed("POST", "/api/v1/conversations/{conversation_id}/reply", "postReply",
                           "Have the character reply to the latest message (after a refused or failed turn)",
                           "StreamOptions", PostReply));
  table.push_back(Streamed("POST", "/api/v1/conversations/{conversation_id}/open", "openConversation",
                           "The character's opening message (first_mes, an alternate greeting, or written by "
                           "the model when the flow opens conversations); nothing when messages exist",
                           "OpenOptions", PostOpen));
  table.push_back(Streamed("POST", "/api/v1/conversations/{conversation_id}/messages/{message_id}/regenerate",
                           "regenerateMessage",
                           "A new alternative for the latest reply; every alternative is kept (swipes)",
                           "StreamOptions", PostRegenerate));
  table.push_back({"POST", "/api/v1/conversations/{conversation_id}/branch", "branchConversation", "chat",
                   "A new conversation continuing from any message of this one (copies up to it)",
                   {kScopeClient, kScopeStudio}, false, {}, "BranchCreate", "Conversation", false, 201, PostBranch});
  table.push_back({"PATCH", "/api/v1/conversations/{conversation_id}/messages/{message_id}", "updateMessage",
                   "chat", "Edit a message's text, or show another alternative of a regenerated reply",
                   {kScopeClient, kScopeStudio}, false, {}, "MessageUpdate", "Message", false, 200, PatchMessage});
}

}  // namespace troupe::server::api
