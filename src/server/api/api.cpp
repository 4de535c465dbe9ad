// Wires the route table into the router: authentication, scope checks, rate limiting and the
// OpenAPI document happen here once, so resource handlers only validate input and call the store.
#include "server/api/api.h"

#include <algorithm>
#include <memory>
#include <optional>

#include <spdlog/spdlog.h>

#include "server/api/api_call.h"
#include "server/api/json_io.h"
#include "server/api/auth.h"
#include "server/http/rate_limiter.h"

namespace troupe::server {
namespace {

using api::ApiCall;
using api::ApiRoute;

// Shared by every handler the router holds (handlers are copied into the router, so they share
// ownership of the context; it lives exactly as long as the last of them).
struct ApiContext {
  ApiContext(store::Store& store, const Clock& clock, const ApiOptions& options)
      : store(store),
        options(options),
        events(options.events != nullptr ? *options.events : own_events),
        authenticator(store, clock, options.touch_interval_ms),
        limiter(options.rate_limit_per_second, options.rate_limit_burst, clock) {}

  store::Store& store;
  const ApiOptions options;
  EventHub own_events;  // used when the options name no hub
  EventHub& events;
  api::CharacterJsonCache character_json;
  Authenticator authenticator;
  RateLimiter limiter;
  std::string openapi_json;  // written once before the first request
};

// An error met before the handler runs, in the route's error shape.
Response RouteError(const ApiRoute& route, const Status& status) {
  return route.error_response ? route.error_response(status) : Response::Error(status);
}

Response Unauthorized(const ApiRoute& route, const Status& status) {
  Response response = RouteError(route, status);
  response.WithHeader("WWW-Authenticate", "Bearer realm=\"troupe\"");
  return response;
}

// Scope check: admin may call everything; otherwise one of the route's scopes. Sets as_client
// when the client scope is the only one that grants the call.
bool Allowed(const Principal& principal, const ApiRoute& route, bool& as_client) {
  if (principal.HasScope(kScopeAdmin)) {
    as_client = false;
    return true;
  }
  bool granted_other = false;
  bool granted_client = false;
  for (std::string_view scope : route.scopes) {
    if (!principal.HasScope(scope)) continue;
    (scope == kScopeClient ? granted_client : granted_other) = true;
  }
  as_client = granted_client && !granted_other;
  return granted_client || granted_other;
}

Response Handle(ApiContext& context, const ApiRoute& route, Request& request) {
  if (route.is_public) {
    ApiCall call(request, nullptr, context.store, context.events, context.character_json, context.options, false);
    return route.handler(call);
  }
  Result<Principal> principal = context.authenticator.Authenticate(request.Header("Authorization"));
  if (!principal.ok()) {
    if (principal.status().code() == StatusCode::kUnauthenticated) {
      return Unauthorized(route, principal.status());
    }
    return RouteError(route, principal.status());
  }
  request.key_id = principal->key.prefix;

  RateLimiter::Decision decision = context.limiter.Acquire(principal->key.prefix);
  if (!decision.allowed) {
    Response response = RouteError(route, Status(StatusCode::kResourceExhausted,
                                                 "rate limit exceeded for this API key; retry in " +
                                                     std::to_string(decision.retry_after_seconds) + " s"));
    response.WithHeader("Retry-After", std::to_string(decision.retry_after_seconds));
    return response;
  }

  bool as_client = false;
  if (!Allowed(*principal, route, as_client)) {
    std::string allowed = "admin";
    for (std::string_view scope : route.scopes) allowed += ", " + std::string(scope);
    return RouteError(route, Status(StatusCode::kPermissionDenied, "this key's scopes do not allow " + route.method +
                                                                       " " + route.pattern + " (allowed: " + allowed +
                                                                       ")"));
  }
  ApiCall call(request, &*principal, context.store, context.events, context.character_json, context.options, as_client);
  // A key bound to one end user that names another is refused on every route, not only on those
  // that look the user up.
  if (as_client && principal->key.user_id && request.Header(kEndUserHeader)) {
    if (Result<store::User> user = call.EndUser(); !user.ok()) return RouteError(route, user.status());
  }
  return route.handler(call);
}

}  // namespace

namespace api {

Result<store::User> ApiCall::EndUser() {
  if (!end_user_) {
    end_user_.emplace(ResolveEndUser(store, *principal_, request.Header(kEndUserHeader)));
  }
  return *end_user_;
}

Result<store::Conversation> ApiCall::VisibleConversation() {
  TROUPE_ASSIGN_OR_RETURN(int64_t id, PathId(request, "conversation_id"));
  Result<store::Conversation> conversation = store.conversations().Get(id);
  if (!conversation.ok()) return conversation.status();
  if (as_client_) {
    TROUPE_ASSIGN_OR_RETURN(store::User self, EndUser());
    if (conversation->user_id != self.id) return NotFound("conversation " + std::to_string(id) + " not found");
  }
  return conversation;
}

void ApiCall::Audit(std::string action, std::string target_type, int64_t target_id,
                    nlohmann::json details) {
  store::AuditEntry entry;
  entry.actor = principal_ != nullptr ? principal_->Actor() : "system";
  entry.action = std::move(action);
  entry.target_type = std::move(target_type);
  entry.target_id = std::to_string(target_id);
  entry.details_json = details.dump();
  Result<store::AuditEntry> recorded = store.audit().Record(std::move(entry));
  if (!recorded.ok()) {
    spdlog::error("audit log write failed: {}", recorded.status().ToString());
  }
}

}  // namespace api

void PublishMessageCreated(EventHub& events, const store::Conversation& conversation, const store::Message& message) {
  events.Publish({"message.created", conversation.user_id, conversation.id, api::ToJson(message).dump()});
}

void PublishConversationUpdated(EventHub& events, const store::Conversation& conversation) {
  events.Publish({"conversation.updated", conversation.user_id, conversation.id, api::ToJson(conversation).dump()});
}

void PublishJobUpdated(EventHub& events, const store::Job& job) {
  events.Publish({"job.updated", 0, 0, api::ToJson(job).dump()});
}

std::vector<ApiRouteInfo> AddApiRoutes(Router& router, store::Store& store,
                                       const ApiOptions& options) {
  const Clock& clock = options.clock != nullptr ? *options.clock : SystemClock::Instance();
  auto context = std::make_shared<ApiContext>(store, clock, options);

  api::RouteTable table;
  api::AddCharacterRoutes(table);
  api::AddUserRoutes(table);
  api::AddConversationRoutes(table);
  api::AddMemoryRoutes(table);
  api::AddChatRoutes(table);
  api::AddKeyRoutes(table);
  api::AddJobRoutes(table);
  api::AddEventRoutes(table);
  api::AddOpenAiRoutes(table);
  api::AddToolCallRoutes(table);
  api::AddHandoffQueueRoutes(table);
  api::AddKpiRoutes(table);
  api::AddTemplateRoutes(table);
  api::AddCustomerRoutes(table);
  api::AddSegmentRoutes(table);
  api::AddCampaignRoutes(table);
  api::AddAnalyticsRoutes(table);
  api::AddStudioRoutes(table);
  api::AddStudioPreviewRoutes(table);
  api::AddExperimentRoutes(table);
  api::AddPredictionRoutes(table);
  ApiRoute openapi;
  openapi.method = "GET";
  openapi.pattern = "/api/v1/openapi.json";
  openapi.operation_id = "getOpenApi";
  openapi.tag = "meta";
  openapi.summary = "This document: the OpenAPI 3 description of the API";
  openapi.is_public = true;
  openapi.handler = [weak = std::weak_ptr<ApiContext>(context)](ApiCall&) {
    Response response;
    response.content_type = "application/json";
    if (auto shared = weak.lock()) response.body = shared->openapi_json;
    return response;
  };
  table.push_back(std::move(openapi));

  context->openapi_json = api::BuildOpenApi(table).dump(2);

  std::vector<ApiRouteInfo> registered;
  for (ApiRoute& route : table) {
    ApiRouteInfo info{route.method, route.pattern, {}};
    if (!route.is_public) {
      info.scopes.emplace_back(kScopeAdmin);
      for (std::string_view scope : route.scopes) info.scopes.emplace_back(scope);
    }
    registered.push_back(std::move(info));
    auto shared_route = std::make_shared<const ApiRoute>(std::move(route));
    Router::Handler handler = [context, shared_route](Request& request) {
      return Handle(*context, *shared_route, request);
    };
    // Every API call, authentication included, runs on the server's handler pool: any of them may
    // wait (on the store's write lock, on a large body to validate), and an I/O thread never waits.
    router.AddBlocking(shared_route->method, shared_route->pattern, std::move(handler),
                       [shared_route](const Status& status) { return RouteError(*shared_route, status); });
  }
  return registered;
}

}  // namespace troupe::server
