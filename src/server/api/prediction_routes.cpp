// The analytics that run as jobs and what they store: outcome prediction (training a predictor,
// server/services/outcome_predictions.h; the stored models with their held-out reports; a
// conversation's predictions, which the runtime writes as the conversation goes,
// chat/outcome_prediction.h) and the topics of a period's stored messages or feedback comments
// (server/services/topic_jobs.h).
#include <nlohmann/json.hpp>

#include "server/api/api_call.h"
#include "server/api/json_io.h"
#include "server/services/outcome_predictions.h"
#include "server/services/topic_jobs.h"

namespace troupe::server::api {
namespace {

using PredictionJson = nlohmann::json;

Response TrainOutcomeModel(ApiCall& call) {
  HttpResult<PredictionJson> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  Result<PredictionJson> payload = CheckTrainOutcomesPayload(*body);
  if (!payload.ok()) return Response::Error(payload.status());
  return QueueJob(call, kTrainOutcomesJob, *payload, {{"outcome", (*payload)["outcome"]}});
}

Response FindTopicsOfPeriod(ApiCall& call) {
  HttpResult<PredictionJson> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  const Clock& clock = call.options.clock != nullptr ? *call.options.clock : SystemClock::Instance();
  Result<PredictionJson> payload = CheckTopicsPayload(*body, clock.NowMillis());
  if (!payload.ok()) return Response::Error(payload.status());
  if ((*payload)["character_id"].is_number_integer()) {
    const int64_t character_id = (*payload)["character_id"].get<int64_t>();
    Result<store::Character> character = call.store.characters().Get(character_id);
    if (!character.ok()) {
      if (character.status().code() != StatusCode::kNotFound) return Response::Error(character.status());
      return Response::Error(
          Status(StatusCode::kNotFound, "character " + std::to_string(character_id) + " not found", "character_id"));
    }
  }
  return QueueJob(call, kFindTopicsJob, *payload,
                  {{"source", (*payload)["source"]},
                   {"from", (*payload)["from"]},
                   {"to", (*payload)["to"]},
                   {"character_id", (*payload)["character_id"]}});
}

Response ListOutcomeModels(ApiCall& call) {
  Result<store::PageRequest> page = PageFromQuery(call.request);
  if (!page.ok()) return Response::Error(page.status());
  std::optional<std::string> outcome = call.request.QueryParam("outcome");
  if (outcome && outcome->empty()) outcome.reset();
  Result<store::Page<store::OutcomeModelRecord>> found = call.store.predictions().ListModels(outcome, *page);
  if (!found.ok()) return Response::Error(found.status());
  return Response::Json(PageJson(*found));
}

Response GetConversationPredictions(ApiCall& call) {
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  Result<std::vector<store::OutcomePrediction>> predictions = call.store.predictions().ForConversation(conversation->id);
  if (!predictions.ok()) return Response::Error(predictions.status());
  PredictionJson data = PredictionJson::array();
  for (const store::OutcomePrediction& prediction : *predictions) {
    data.push_back({{"outcome", prediction.outcome},
                    {"probability", prediction.probability},
                    {"model_id", prediction.model_id},
                    {"messages_seen", prediction.messages_seen},
                    {"created_at", prediction.created_at},
                    {"updated_at", prediction.updated_at}});
  }
  return Response::Json({{"conversation_id", conversation->id}, {"predictions", std::move(data)}});
}

}  // namespace

void AddPredictionRoutes(RouteTable& table) {
  table.push_back({"POST", "/api/v1/analytics/outcome-models", "trainOutcomeModel", "analytics",
                   "Train an outcome predictor (handoff, return or good_end) on the stored conversations as a job: "
                   "202 with the queued job, whose result holds the stored model's id and its held-out report",
                   {kScopeStudio}, false, {}, "OutcomeTraining", "Job", false, 202, TrainOutcomeModel});
  table.push_back({"POST", "/api/v1/analytics/topics", "findTopics", "analytics",
                   "Find the topics of the users' messages (or, with source comments, of their feedback "
                   "comments) stored over a period (UTC days, every character or one) as a job: 202 with the queued job, whose result holds each topic's top words, share, "
                   "coherence, weekly trend and, when asked, a name from the language model",
                   {kScopeStudio}, false, {}, "TopicsRequest", "Job", false, 202, FindTopicsOfPeriod});
  table.push_back({"GET", "/api/v1/analytics/outcome-models", "listOutcomeModels", "analytics",
                   "The stored outcome predictors with their held-out reports, newest first (the newest of each "
                   "outcome is the one in use)",
                   {kScopeAgent, kScopeStudio}, false, {{"outcome", "string", "handoff, return or good_end"}}, "",
                   "OutcomeModel", true, 200, ListOutcomeModels});
  table.push_back({"GET", "/api/v1/conversations/{conversation_id}/predictions", "getConversationPredictions",
                   "analytics",
                   "A conversation's predicted outcomes, as the runtime stored them from its first messages",
                   {kScopeAgent, kScopeStudio}, false, {}, "", "ConversationPredictions", false, 200,
                   GetConversationPredictions});
}

}  // namespace troupe::server::api
