// Live events for open streams. A handler publishes "message 41 was written in conversation 12 of
// end user 7"; every open event stream allowed to see it gets it at once. This is how a chat front
// end learns of replies written elsewhere (a human agent, a proactive message) and how the agent
// console sees its queue move.
//
// In-process only: with several nodes sharing PostgreSQL, each node's hub sees its own publishes.
// Clients that reconnect catch up through the REST lists (cursor pagination), so a missed event
// costs a refetch, never a lost message. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "server/http/sse_stream.h"

namespace troupe::server {

struct LiveEvent {
  std::string type;  // "message.created", "conversation.updated", ...
  int64_t user_id = 0;
  int64_t conversation_id = 0;
  std::string data_json;  // the event's payload, a JSON object
};

struct LiveEventFilter {
  std::optional<int64_t> user_id;  // one end user's events; nullopt: every user's (agents, admins)
};

class EventHub {
 public:
  EventHub();
  ~EventHub();
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // Sends `stream` every event that passes `filter` until the stream is cancelled or closed.
  void Subscribe(SseStream stream, LiveEventFilter filter);

  // Queues the event on every matching stream (never blocks on a client); returns how many.
  int Publish(const LiveEvent& event);

  int subscriber_count() const;

 private:
  struct State;
  // Shared with each subscription's cancel callback, which may run after the hub is gone.
  std::shared_ptr<State> state_;
};

}  // namespace troupe::server
