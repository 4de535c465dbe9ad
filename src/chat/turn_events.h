// What a turn reports while it runs, as typed values: the runtime emits them, and whoever shows
// them (the server's SSE and JSON, the CLI's terminal) writes them in its own form, so a stored
// message or the conversation travels as the record itself and every writer shows the same thing.
// In the order they come:
//   UserMessageEvent   the user's message, stored (a posted message's turn only)
//   MessageStartEvent  a message of the reply begins (index 0 streams as the model writes)
//   DeltaEvent         text of the message at message_index
//   TypingEvent        the next message is being written (announced as soon as it begins)
//   ToolCallEvent      the model asked for a tool (between a reply's steps; see chat/tool_calls.h)
//   ToolResultEvent    the tool's outcome: what it returned went back to the model
//   MessageEndEvent    the message is stored (no message: the model wrote nothing)
//   MediaEvent         a stored message got its voice or picture (or the medium failed: the message
//                      stays, its metadata says why); after every part's MessageEndEvent
//   HandoffEvent       the conversation is with a human agent: no character reply follows (a
//                      message posted while handed off, or a reply that handed it off)
//   ErrorEvent         the turn failed; what was stored before stays (partial_message_id)
//   DoneEvent          the turn is over: tokens used, the conversation's state, incomplete or not
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/status.h"
#include "llm/provider.h"
#include "store/records.h"

namespace troupe::chat {

struct UserMessageEvent {
  store::Message message;
};

struct MessageStartEvent {
  int message_index = 0;
  std::string role = "assistant";
  std::string stage;
  std::string mood;
  std::optional<int64_t> regenerating;  // the message whose new alternative this is
};

struct DeltaEvent {
  int message_index = 0;
  std::string text;
};

struct TypingEvent {
  int message_index = 0;
};

struct MessageEndEvent {
  int message_index = 0;
  std::optional<store::Message> message;
};

struct ToolCallEvent {
  std::string call_id;
  std::string tool;
  std::string arguments_json;  // secrets and personal data masked
  bool needs_confirmation = false;  // the tool changes something: it runs once the user says yes
};

struct ToolResultEvent {
  std::string call_id;
  std::string tool;
  std::string outcome;  // "ok", a status code's name, "awaiting_confirmation" or "declined"
  int http_status = 0;  // 0: no answer
  double latency_ms = 0;
  std::string error;    // why not, when not ok
};

struct MediaEvent {
  int message_index = 0;  // the reply's part
  int media_index = 0;    // in the message's metadata.media
  store::Message message;  // as stored now
};

struct HandoffEvent {
  store::Conversation conversation;  // handed off; metadata.handoff says to whom, if anyone yet
};

struct ErrorEvent {
  Status error;
  std::optional<int64_t> partial_message_id;
};

struct DoneEvent {
  llm::Usage usage;
  store::Conversation conversation;
  bool incomplete = false;
};

using TurnEvent = std::variant<UserMessageEvent, MessageStartEvent, DeltaEvent, TypingEvent, ToolCallEvent,
                               ToolResultEvent, MessageEndEvent, MediaEvent, HandoffEvent, ErrorEvent, DoneEvent>;
using TurnSink = std::function<void(const TurnEvent&)>;

// The event's name on the wire: "message", "message.start", "delta", "typing", "tool.call", "tool.result",
// "message.end", "message.media", "handoff", "error", "done".
std::string_view EventName(const TurnEvent& event);

}  // namespace troupe::chat
