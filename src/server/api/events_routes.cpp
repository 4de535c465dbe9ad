// /api/v1/events: a live feed of what changes, as Server-Sent Events. A client key gets its end
// user's events only; agents and admins get everyone's (the handoff queue moving). The stream
// opens with a "ready" event so a front end knows it is live; after a reconnect it refetches
// through the REST lists, since events are not replayed.
#include <nlohmann/json.hpp>

#include "server/api/api_call.h"

namespace troupe::server::api {
namespace {

Response Subscribe(ApiCall& call) {
  LiveEventFilter filter;
  if (call.as_client()) {
    Result<store::User> self = call.EndUser();
    if (!self.ok()) return Response::Error(self.status());
    filter.user_id = self->id;
  }
  SseStream stream;
  nlohmann::json ready = {{"user_id", filter.user_id ? nlohmann::json(*filter.user_id) : nlohmann::json()}};
  stream.Send("ready", ready.dump());
  call.events.Subscribe(stream, filter);
  return Response::EventStream(std::move(stream));
}

}  // namespace

void AddEventRoutes(RouteTable& table) {
  ApiRoute route;
  route.method = "GET";
  route.pattern = "/api/v1/events";
  route.operation_id = "streamEvents";
  route.tag = "events";
  route.summary =
      "Live events (conversation.created, conversation.updated, ...) for the caller's end user, or "
      "for every user with an agent key";
  route.scopes = {kScopeAgent, kScopeClient, kScopeStudio};  // studio: the playground
  route.event_stream = true;
  route.handler = Subscribe;
  table.push_back(std::move(route));
}

}  // namespace troupe::server::api
