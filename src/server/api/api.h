// The REST API under /api/v1: characters, users, conversations, messages, feedback, API keys and
// jobs over the store, with bearer-key authentication, scopes, per-key rate limiting, audit
// records for administrative actions, and an OpenAPI 3 document (GET /api/v1/openapi.json)
// generated from the same route table the handlers are registered from. docs/api.md has the
// table of which scope may call which route.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "chat/campaigns.h"
#include "chat/runtime.h"
#include "server/api/event_hub.h"
#include "server/http/router.h"
#include "store/store.h"

namespace troupe::server {

struct ApiOptions {
  // Per API key token bucket (config server.rate_limit_per_second / rate_limit_burst); a rate of
  // 0 disables limiting.
  double rate_limit_per_second = 50;
  int rate_limit_burst = 100;
  // How often at most a key's last_used_at is written.
  int64_t touch_interval_ms = 60'000;
  const Clock* clock = nullptr;  // nullptr: the system clock
  // Where handlers publish live events and /api/v1/events subscribes; it must outlive the router.
  // nullptr: the API keeps a hub of its own.
  EventHub* events = nullptr;
  // The conversation runtime behind the chat routes (messages, regenerate, open); nullptr: those
  // routes answer 503. It must outlive the router. It admits turns (429 past its limits) and runs
  // them; the routes only start them.
  chat::ChatRuntime* runtime = nullptr;
  // Providers by name ("" = the default), for the OpenAI-compatible /v1 routes; empty: they
  // answer 503.
  chat::ProviderResolver providers;
  // The data directory (config data_dir): a PNG card's image is kept there as the character's
  // avatar (avatars/<slug>.png) and carries its exported card PNG. Empty: images are not kept.
  std::string data_dir;
  // An agent whose presence was not renewed for this long counts as offline (config
  // support.presence_timeout): nothing is assigned to it.
  int64_t agent_presence_timeout_ms = 90'000;
  // Drafting and delivery of engagement campaigns; nullptr: /draft and /deliver answer 503 (the
  // other campaign routes work on the store alone). It must outlive the router.
  chat::Campaigns* campaigns = nullptr;
  // Called after a route enqueued a job (a studio pipeline), so the runner claims it at once rather
  // than at its next poll. Empty: the job waits for the poll.
  std::function<void()> on_job_enqueued;
};

// One registered API route, as the OpenAPI document lists it.
struct ApiRouteInfo {
  std::string method;
  std::string pattern;
  std::vector<std::string> scopes;  // scopes that may call it; empty for public routes
};

// Publishes "message.created" for a message written outside a request (a proactive message, a
// reply finished by the runtime), in the same shape the routes publish.
void PublishMessageCreated(EventHub& events, const store::Conversation& conversation, const store::Message& message);
// "conversation.updated" with the conversation resource (a reply handed it to a human).
void PublishConversationUpdated(EventHub& events, const store::Conversation& conversation);
// "job.updated" with the job resource (claimed, progress, finished), to the streams that see every
// user's events (studio, agent and admin keys), not to client keys.
void PublishJobUpdated(EventHub& events, const store::Job& job);

// Registers every /api/v1 route on `router`. `store` (migrated) must outlive the router and any
// server built from it. Returns what was registered, in registration order.
std::vector<ApiRouteInfo> AddApiRoutes(Router& router, store::Store& store,
                                       const ApiOptions& options = {});

}  // namespace troupe::server
