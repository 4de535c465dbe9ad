// The chat routes: a user's message and the character's streamed reply, the opening message, a
// reply to the latest message (after a refused or failed turn), regenerate with alternatives
// (swipes), and editing a message. Streamed routes answer with Server-Sent Events whose event
// names and payloads are chat::TurnEvent's (chat/turn_events.h, written by turn_event_json.h;
// docs/api.md). The runtime admits the turn (429 with Retry-After past its limits) and queues it
// behind the conversation's earlier turns; the response goes out at once, the events follow as
// the turn runs, and a client that goes away cancels it.
#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <variant>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "chat/reply_media.h"
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
  if (call.options.runtime == nullptr) {
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
    case StatusCode::kResourceExhausted:  // a turn limit: the runtime's own words
      return status;
    default:
      return api::ForCaller(status, audience);
  }
}

// A turn the runtime refused: past a limit it is 429 with Retry-After, the client's own mistakes
// are told as they are, anything else may come from finding the provider.
Response Refused(int retry_after_seconds, const Status& status, const ErrorAudience& audience) {
  Response response = Response::Error(BeforeTurnForCaller(status, audience));
  if (status.code() == StatusCode::kResourceExhausted) {
    response.WithHeader("Retry-After", std::to_string(retry_after_seconds));
  }
  return response;
}

chat::TurnOptions OptionsOf(const StreamFlags& flags) {
  chat::TurnOptions options;
  options.typing_delays = flags.typing_delays;
  options.split_messages = flags.split_messages;
  return options;
}

// The event stream of one turn, before the turn is admitted: the runtime's events as they come,
// an "error" event for a failure the runtime had not reported, and the end.
struct TurnStream {
  SseStream stream;
  chat::TurnSink sink;
  chat::TurnDone done;
  ErrorAudience audience;
  int retry_after_seconds = 0;

  // The response once the runtime admitted the turn (`turn`) or refused it. A client that leaves
  // cancels the turn.
  Response Answer(const Result<std::shared_ptr<chat::TurnHandle>>& turn) {
    if (!turn.ok()) {
      stream.Close();
      return Refused(retry_after_seconds, turn.status(), audience);
    }
    stream.OnCancel([weak = std::weak_ptr<chat::TurnHandle>(*turn)] {
      if (auto handle = weak.lock()) handle->Cancel();
    });
    return Response::EventStream(stream);
  }
};

TurnStream NewTurnStream(const ApiCall& call) {
  TurnStream turn;
  turn.audience = ErrorAudience{call.principal().HasScope(kScopeAdmin), call.request.request_id};
  turn.retry_after_seconds = call.options.runtime->limits().retry_after_seconds;
  // The runtime reports its own failures as "error" events before ending; only a failure before
  // the turn started generating needs one here.
  auto sent_error = std::make_shared<std::atomic<bool>>(false);
  turn.sink = [stream = turn.stream, audience = turn.audience, sent_error](const chat::TurnEvent& event) mutable {
    if (std::holds_alternative<chat::ErrorEvent>(event)) *sent_error = true;
    stream.Send(ToSse(event, audience));
  };
  turn.done = [stream = turn.stream, audience = turn.audience, sent_error](Result<chat::TurnOutcome> outcome) mutable {
    if (!outcome.ok() && !sent_error->load()) {
      const Status status = BeforeTurnForCaller(outcome.status(), audience);
      stream.Send("error", json{{"code", std::string(StatusCodeName(status.code()))}, {"message", status.message()}}
                               .dump());
    }
    stream.Close();
  };
  return turn;
}

// A user's message: answered once the message is stored (with other messages arriving meanwhile),
// so no handler thread waits for the database.
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

  TurnStream turn = NewTurnStream(call);
  DeferredResponse pending;
  chat::ChatRuntime::Posted posted = [pending, turn, events = &call.events, user_id = conversation->user_id,
                                      conversation_id = conversation->id](Result<chat::PostedMessage> result) mutable {
    if (result.ok()) {
      events->Publish({"message.created", user_id, conversation_id, ToJson(result->message).dump()});
      pending.Complete(turn.Answer(result->turn));
    } else {
      pending.Complete(turn.Answer(result.status()));
    }
  };
  call.options.runtime->PostMessage(std::move(*conversation), std::move(content), OptionsOf(flags), turn.sink,
                                    turn.done, std::move(posted));
  return Response::Later(std::move(pending));
}

// Reads the optional stream flags (and `extra` fields) of a body that may be empty; the error
// response when it does not read.
std::optional<Response> ReadOptionalBody(ApiCall& call, StreamFlags& flags,
                                         const std::function<void(JsonObjectReader&)>& extra = {}) {
  if (call.request.body.empty()) return std::nullopt;
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  JsonObjectReader reader(*body);
  if (extra) extra(reader);
  ReadStreamFlags(reader, flags);
  if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  return std::nullopt;
}

Response StartStreamed(ApiCall& call, const chat::TurnRequest& request, const StreamFlags& flags) {
  TurnStream turn = NewTurnStream(call);
  return turn.Answer(call.options.runtime->StartTurn(request, OptionsOf(flags), turn.sink, turn.done));
}

Response PostReply(ApiCall& call) {
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  if (Status status = RuntimeAvailable(call); !status.ok()) return Response::Error(status);
  StreamFlags flags;
  if (std::optional<Response> refused = ReadOptionalBody(call, flags)) return std::move(*refused);
  return StartStreamed(call, {chat::TurnRequest::Kind::kReply, conversation->id, 0, 0}, flags);
}

Response PostOpen(ApiCall& call) {
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  if (Status status = RuntimeAvailable(call); !status.ok()) return Response::Error(status);
  StreamFlags flags;
  int greeting = 0;
  std::optional<Response> refused = ReadOptionalBody(call, flags, [&greeting](JsonObjectReader& reader) {
    if (auto index = reader.OptionalInt("greeting", 0, 1000)) greeting = static_cast<int>(*index);
  });
  if (refused) return std::move(*refused);
  return StartStreamed(call, {chat::TurnRequest::Kind::kOpen, conversation->id, greeting, 0}, flags);
}

Response PostRegenerate(ApiCall& call) {
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  if (Status status = RuntimeAvailable(call); !status.ok()) return Response::Error(status);
  Result<store::Message> message = MessageOf(call, *conversation);
  if (!message.ok()) return Response::Error(message.status());
  StreamFlags flags;
  if (!call.request.body.empty()) {
    HttpResult<json> body = ObjectBody(call.request);
    if (!body.ok()) return Response::Error(body.error());
    JsonObjectReader reader(*body);
    if (auto typing = reader.OptionalBool("typing_delays")) flags.typing_delays = *typing;
    if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  }
  flags.split_messages = false;  // an alternative is one message, so swipes line up
  return StartStreamed(call, {chat::TurnRequest::Kind::kRegenerate, conversation->id, 0, message->id}, flags);
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
  if (!call.options.data_dir.empty()) {
    // Hard links: a few file-system calls per medium, no bytes copied on one file system.
    Result<int> placed = chat::CopyBranchMedia(call.store, std::filesystem::path(call.options.data_dir) / "media", *branch);
    if (!placed.ok()) spdlog::warn("branch {}: its media were not copied: {}", branch->id, placed.status().ToString());
  }
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
