// The wire form of a chat turn's events (docs/api.md, "Chat"): each chat::TurnEvent as a named
// Server-Sent Event with JSON data. Stored messages and the conversation are written by json_io's
// ToJson, so the `done` event and GET .../conversations/{id} show the same resource; an error's
// message is what `audience` may read (provider_errors.h).
#pragma once

#include "chat/turn_events.h"
#include "server/api/provider_errors.h"
#include "server/http/sse_stream.h"

namespace troupe::server::api {

SseEvent ToSse(const chat::TurnEvent& event, const ErrorAudience& audience);

}  // namespace troupe::server::api
