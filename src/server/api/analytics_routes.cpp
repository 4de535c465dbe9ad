// The web studio's analytics dashboards: per-day volume, sentiment, ratings and feedback comments
// of a period (all characters or one, with that character's stage funnel), and a character's
// evaluation runs with their reports so two can be compared side by side.
#include <nlohmann/json.hpp>

#include "chat/flow.h"
#include "server/api/api_call.h"
#include "server/api/json_io.h"
#include "analytics/sentiment_trajectory.h"
#include "studio/stage_funnel.h"
#include "store/kpi_report.h"

namespace troupe::server::api {
namespace {

using nlohmann::json;
using studio::BuildStageFunnel;
using studio::FunnelStage;
using studio::StageFunnel;

json AnalyticsOptional(const std::optional<double>& value) { return value ? json(*value) : json(nullptr); }

json AnalyticsMean(double sum, int64_t count) {
  return count == 0 ? json(nullptr) : json(sum / static_cast<double>(count));
}

json AnalyticsDayJson(const store::AnalyticsDay& day) {
  return {{"day", store::KpiDay(day.start_ms)},
          {"conversations", day.conversations},
          {"user_messages", day.user_messages},
          {"assistant_messages", day.assistant_messages},
          {"sentiment_count", day.sentiment_count},
          {"sentiment_mean", AnalyticsMean(day.sentiment_sum, day.sentiment_count)},
          {"thumbs_up", day.thumbs_up},
          {"thumbs_down", day.thumbs_down},
          {"csat_count", day.csat_count},
          {"csat_mean", AnalyticsMean(day.csat_sum, day.csat_count)},
          {"comments", day.comments},
          {"comment_sentiment_count", day.comment_sentiment_count},
          {"comment_sentiment_mean", AnalyticsMean(day.comment_sentiment_sum, day.comment_sentiment_count)}};
}

json FunnelStageJson(const FunnelStage& stage) {
  return {{"stage", stage.name},
          {"at_stage", stage.at_stage},
          {"reached", stage.reached},
          {"drop_off", stage.drop_off ? json(*stage.drop_off) : json(nullptr)},
          {"drop_off_rate", AnalyticsOptional(stage.drop_off_rate)},
          {"sentiment_count", stage.sentiment_count},
          {"sentiment_mean", AnalyticsOptional(stage.sentiment_mean)},
          {"rating_count", stage.rating_count},
          {"rating_mean", AnalyticsOptional(stage.rating_mean)},
          {"replies", stage.replies},
          {"regenerated", stage.regenerated},
          {"first_kept", stage.first_kept},
          {"regenerated_rate", AnalyticsOptional(stage.regenerated_rate)}};
}

// The character's flow as the runtime reads it: "" is the default single-stage flow.
Result<chat::Flow> AnalyticsFlowOf(const store::Character& character) {
  if (character.flow.find_first_not_of(" \t\r\n") == std::string::npos) return chat::DefaultFlow();
  Result<chat::Flow> flow = chat::ParseFlow(character.flow);
  if (!flow.ok()) {
    return Status(StatusCode::kFailedPrecondition,
                  "character " + std::to_string(character.id) + "'s flow does not parse: " + flow.status().message(),
                  "flow");
  }
  return flow;
}

Result<json> FunnelJson(const store::Character& character, const store::AnalyticsOverview& overview) {
  TROUPE_ASSIGN_OR_RETURN(chat::Flow flow, AnalyticsFlowOf(character));
  const StageFunnel funnel = BuildStageFunnel(flow, overview.stages);
  json stages = json::array();
  for (const FunnelStage& stage : funnel.stages) stages.push_back(FunnelStageJson(stage));
  json other = json::array();
  for (const FunnelStage& stage : funnel.other) other.push_back(FunnelStageJson(stage));
  return json{{"flow", flow.name}, {"stages", std::move(stages)}, {"other_stages", std::move(other)}};
}

// ?from=YYYY-MM-DD&to=YYYY-MM-DD[&character_id=N]
Response GetAnalyticsOverview(ApiCall& call) {
  const Clock& clock = call.options.clock != nullptr ? *call.options.clock : SystemClock::Instance();
  Result<std::pair<int64_t, int64_t>> period =
      store::ParseKpiPeriod(call.request.QueryParam("from").value_or(""), call.request.QueryParam("to").value_or(""),
                            clock.NowMillis());
  if (!period.ok()) return Response::Error(period.status());
  Result<std::optional<int64_t>> character_id = IdQuery(call.request, "character_id");
  if (!character_id.ok()) return Response::Error(character_id.status());
  std::optional<store::Character> character;
  if (*character_id) {
    Result<store::Character> found = call.store.characters().Get(**character_id);
    if (!found.ok()) return Response::Error(found.status());
    character = std::move(found).value();
  }
  Result<store::AnalyticsOverview> overview =
      call.store.analytics().Overview(period->first, period->second, *character_id);
  if (!overview.ok()) return Response::Error(overview.status());
  json days = json::array();
  for (const store::AnalyticsDay& day : overview->days) days.push_back(AnalyticsDayJson(day));
  json body = {{"from", store::KpiDay(period->first)},
               {"to", store::KpiDay(period->second - 1)},
               {"character_id", character ? json(character->id) : json(nullptr)},
               {"days", std::move(days)},
               {"funnel", nullptr}};
  if (character) {
    Result<json> funnel = FunnelJson(*character, *overview);
    if (!funnel.ok()) return Response::Error(funnel.status());
    body["funnel"] = std::move(funnel).value();
  }
  return Response::Json(body);
}

json EvalRunJson(const store::EvalRunRecord& run) {
  return {{"id", run.id},
          {"character_id", run.character_id},
          {"dataset", run.dataset},
          {"dataset_fingerprint", run.dataset_fingerprint},
          {"provider", run.provider},
          {"cases", run.cases},
          {"bleu", run.bleu},
          {"chrf", run.chrf},
          {"rouge_l", run.rouge_l},
          {"perplexity", AnalyticsOptional(run.perplexity)},
          {"created_at", run.created_at}};
}

Response ListEvalRuns(ApiCall& call) {
  Result<int64_t> character_id = PathId(call.request, "character_id");
  if (!character_id.ok()) return Response::Error(character_id.status());
  if (Result<store::Character> character = call.store.characters().Get(*character_id); !character.ok()) {
    return Response::Error(character.status());
  }
  Result<store::PageRequest> page = PageFromQuery(call.request);
  if (!page.ok()) return Response::Error(page.status());
  Result<store::Page<store::EvalRunRecord>> found = call.store.eval_runs().ListForCharacter(*character_id, *page);
  if (!found.ok()) return Response::Error(found.status());
  json data = json::array();
  for (const store::EvalRunRecord& run : found->items) data.push_back(EvalRunJson(run));
  return Response::Json({{"data", std::move(data)},
                         {"next_cursor", found->next_cursor.empty() ? json(nullptr) : json(found->next_cursor)}});
}

Response GetEvalRun(ApiCall& call) {
  Result<int64_t> id = PathId(call.request, "eval_run_id");
  if (!id.ok()) return Response::Error(id.status());
  Result<store::EvalRunRecord> run = call.store.eval_runs().Get(*id);
  if (!run.ok()) return Response::Error(run.status());
  json body = EvalRunJson(*run);
  // The store checked the report is a JSON object when the run was written.
  body["report"] = json::parse(run->report_json, nullptr, false);
  if (body["report"].is_discarded()) body["report"] = json::object();
  return Response::Json(body);
}

// The conversation's most recent messages a trajectory is drawn from.
constexpr int kSentimentMessages = 5000;

Response GetConversationSentiment(ApiCall& call) {
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  Result<std::vector<store::Message>> messages = call.store.messages().Latest(conversation->id, kSentimentMessages);
  if (!messages.ok()) return Response::Error(messages.status());
  json points = json::array();
  std::vector<double> scores;
  for (const store::Message& message : *messages) {
    if (message.role != store::MessageRole::kUser || !message.sentiment) continue;
    points.push_back({{"message_id", message.id}, {"created_at", message.created_at}, {"score", *message.sentiment}});
    scores.push_back(*message.sentiment);
  }
  const analytics::SentimentTrajectory trajectory = analytics::SummarizeSentiment(scores);
  auto optional = [](const std::optional<double>& value) { return value ? json(*value) : json(); };
  return Response::Json({{"conversation_id", conversation->id},
                         {"points", points},
                         {"trajectory",
                          {{"count", trajectory.count},
                           {"mean", optional(trajectory.mean)},
                           {"start_mean", optional(trajectory.start_mean)},
                           {"end_mean", optional(trajectory.end_mean)},
                           {"slope", optional(trajectory.slope)},
                           {"min", optional(trajectory.min)},
                           {"max", optional(trajectory.max)},
                           {"trend", analytics::TrendName(trajectory.trend)}}}});
}

}  // namespace

void AddAnalyticsRoutes(RouteTable& table) {
  table.push_back({"GET", "/api/v1/conversations/{conversation_id}/sentiment", "getConversationSentiment", "analytics",
                   "The sentiment of the user's messages in a conversation, in order, and its trajectory (start, "
                   "end, slope per message, trend)",
                   {kScopeAgent, kScopeClient, kScopeStudio}, false, {}, "", "SentimentTrajectory", false, 200,
                   GetConversationSentiment});
  table.push_back({"GET", "/api/v1/analytics/overview", "getAnalyticsOverview", "analytics",
                   "Per-day volume, sentiment and ratings of a period (UTC days), of every character or one, "
                   "with that character's stage funnel",
                   {kScopeAgent, kScopeStudio}, false,
                   {{"from", "string", "first day, YYYY-MM-DD (default: 29 days before to)"},
                    {"to", "string", "last day, included, YYYY-MM-DD (default: today, UTC)"},
                    {"character_id", "integer", "only this character's conversations, and its stage funnel"}},
                   "", "AnalyticsOverview", false, 200, GetAnalyticsOverview});
  table.push_back({"GET", "/api/v1/characters/{character_id}/eval-runs", "listEvalRuns", "analytics",
                   "List a character's evaluation runs (troupe eval --character), oldest first, without reports",
                   {kScopeStudio}, false, {}, "", "EvalRun", true, 200, ListEvalRuns});
  table.push_back({"GET", "/api/v1/eval-runs/{eval_run_id}", "getEvalRun", "analytics",
                   "Get an evaluation run with its report (every case's prompt, references, reply and scores)",
                   {kScopeStudio}, false, {}, "", "EvalRunWithReport", false, 200, GetEvalRun});
}

}  // namespace troupe::server::api
