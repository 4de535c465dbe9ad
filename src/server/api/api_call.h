// Internal to the API: a route's description (what the OpenAPI document says about it, and who may
// call it) and the context its handler gets. Handlers are plain functions of an ApiCall.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/api/api.h"
#include "server/api/character_json_cache.h"
#include "server/api/auth.h"
#include "server/api/event_hub.h"
#include "server/http/http_message.h"
#include "store/store.h"

namespace troupe::server::api {

struct QueryParam {
  std::string name;
  std::string type;  // OpenAPI type: "string", "integer", "boolean"
  std::string description;
};

class ApiCall;

struct ApiRoute {
  std::string method;
  std::string pattern;  // path parameters are integer ids, named {character_id}, {user_id}, ...
  std::string operation_id;
  std::string tag;
  std::string summary;
  // Scopes that may call it besides admin (which may call everything). Empty and public: no key.
  std::vector<std::string_view> scopes;
  bool is_public = false;
  std::vector<QueryParam> query;
  std::string request_schema;   // components/schemas name, or "" for no body
  std::string response_schema;  // components/schemas name, or "" for an empty response
  bool paginated = false;       // the response is {"data":[response_schema...],"next_cursor"}
  int success_status = 200;
  std::function<Response(ApiCall&)> handler;
  bool event_stream = false;  // the response is text/event-stream (last: tables list the rest in order)
  // Errors raised before the handler runs (no or a bad key, scopes, the rate limit, a full worker
  // pool) in the route's own error shape (the /v1 routes answer in OpenAI's); empty: this API's.
  std::function<Response(const Status&)> error_response = {};
};

// What a handler sees: the request, who is calling, the store.
class ApiCall {
 public:
  ApiCall(Request& request, const Principal* principal, store::Store& store, EventHub& events,
          CharacterJsonCache& character_json, const ApiOptions& options, bool as_client)
      : request(request),
        store(store),
        events(events),
        character_json(character_json),
        options(options),
        principal_(principal),
        as_client_(as_client) {}

  Request& request;
  store::Store& store;
  // Live events for open /api/v1/events streams; handlers publish what they change.
  EventHub& events;
  CharacterJsonCache& character_json;
  // What the server was built with (the chat runtime, background execution, ...).
  const ApiOptions& options;

  // The caller's key; only for authenticated routes.
  const Principal& principal() const { return *principal_; }
  // True when the route was granted through the client scope alone: the call acts for one end
  // user, sees only that user's conversations and only published characters.
  bool as_client() const { return as_client_; }
  // The end user of a client call (see ResolveEndUser); resolved once per call.
  Result<store::User> EndUser();
  // The conversation named by the path's {conversation_id}, if this caller may see it: client keys
  // only their end user's (another's answers kNotFound, like a conversation that does not exist).
  Result<store::Conversation> VisibleConversation();

  // Records an administrative action with actor "key:<prefix>". A failure is logged, not returned:
  // the action itself has happened.
  void Audit(std::string action, std::string target_type, int64_t target_id,
             nlohmann::json details = nlohmann::json::object());

 private:
  const Principal* principal_;
  bool as_client_;
  std::optional<Result<store::User>> end_user_;
};

using RouteTable = std::vector<ApiRoute>;

// Each resource adds its routes.
void AddCharacterRoutes(RouteTable& table);
void AddUserRoutes(RouteTable& table);
void AddConversationRoutes(RouteTable& table);  // conversations, messages, feedback
void AddMemoryRoutes(RouteTable& table);  // a conversation's memories, search of its messages
void AddChatRoutes(RouteTable& table);  // a user's message and the streamed reply, regenerate, edit
void AddKeyRoutes(RouteTable& table);
void AddJobRoutes(RouteTable& table);
void AddEventRoutes(RouteTable& table);
void AddOpenAiRoutes(RouteTable& table);  // /v1/models, /v1/chat/completions
void AddToolCallRoutes(RouteTable& table);  // the audit of tool calls
void AddHandoffQueueRoutes(RouteTable& table);  // agents' presence, the handoff queue, assignment
void AddKpiRoutes(RouteTable& table);  // the support KPIs and the routing reviews they measure against
void AddTemplateRoutes(RouteTable& table);  // response templates: a character's, one rendered
void AddCustomerRoutes(RouteTable& table);  // end users' profiles and activity, CSV import
void AddSegmentRoutes(RouteTable& table);   // customer segments by rules or k-means
void AddCampaignRoutes(RouteTable& table);  // engagement campaigns
void AddAnalyticsRoutes(RouteTable& table);  // the web studio's dashboards, evaluation runs
void AddExperimentRoutes(RouteTable& table);  // experiments between variants, their reports
void AddPredictionRoutes(RouteTable& table);  // outcome models and conversations' predictions
void AddStudioRoutes(RouteTable& table);     // character generation jobs, saving drafts
void AddStudioPreviewRoutes(RouteTable& table);  // a voice and a picture made for the wizard, not stored

// Queues a job of `kind` with `payload`, wakes the runner and audits it: 202 with the job
// (jobs_routes.cpp).
Response QueueJob(ApiCall& call, std::string_view kind, const nlohmann::json& payload, nlohmann::json audit);

// The OpenAPI 3 document for `table` (plus the server's unauthenticated built-in routes).
nlohmann::json BuildOpenApi(const RouteTable& table);

}  // namespace troupe::server::api
