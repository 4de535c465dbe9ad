// The support KPIs (store/kpi_report.h) of a period, in total and per day, intent or character; and
// the agent's review of a message's routing that routing accuracy is measured against.
#include <map>

#include <nlohmann/json.hpp>

#include "server/api/api_call.h"
#include "server/api/json_io.h"
#include "server/api/kpi_json.h"

namespace troupe::server::api {
namespace {

using nlohmann::json;

constexpr size_t kMaxReviewedIntentLength = 200;

const Clock& KpiRouteClock(const ApiCall& call) {
  return call.options.clock != nullptr ? *call.options.clock : SystemClock::Instance();
}

Result<std::map<int64_t, store::Character>> KpiCharactersOf(ApiCall& call, const store::KpiReport& report) {
  std::map<int64_t, store::Character> characters;
  for (const store::KpiGroup& group : report.groups) {
    const int64_t id = std::stoll(group.key);
    Result<store::Character> character = call.store.characters().Get(id);
    if (character.ok()) {
      characters.emplace(id, std::move(character).value());
    } else if (character.status().code() != StatusCode::kNotFound) {
      return character.status();
    }
  }
  return characters;
}

// ?from=YYYY-MM-DD&to=YYYY-MM-DD&group_by=day|intent|character
Response GetKpis(ApiCall& call) {
  Result<std::pair<int64_t, int64_t>> period =
      store::ParseKpiPeriod(call.request.QueryParam("from").value_or(""), call.request.QueryParam("to").value_or(""),
                            KpiRouteClock(call).NowMillis());
  if (!period.ok()) return Response::Error(period.status());
  const std::string group_by = call.request.QueryParam("group_by").value_or("day");
  std::optional<store::KpiGrouping> grouping = store::ParseKpiGrouping(group_by);
  if (!grouping || *grouping == store::KpiGrouping::kNone) {
    return Response::Error(InvalidArgument("group_by must be day, intent or character, got '" + group_by + "'",
                                           "group_by"));
  }
  Result<store::KpiRows> rows = call.store.kpis().Rows(period->first, period->second);
  if (!rows.ok()) return Response::Error(rows.status());
  const store::KpiReport report = store::AggregateKpis(*rows, *grouping);
  std::map<int64_t, store::Character> characters;
  if (*grouping == store::KpiGrouping::kCharacter) {
    Result<std::map<int64_t, store::Character>> found = KpiCharactersOf(call, report);
    if (!found.ok()) return Response::Error(found.status());
    characters = std::move(found).value();
  }
  return Response::Json(KpiReportJson(report, *grouping, characters));
}

// {"intent"}: an agent's verdict on which intent a routed user message really had, kept beside the
// router's decision as metadata.routing.review = {intent, by (key prefix), at}.
Response PutRoutingReview(ApiCall& call) {
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  JsonObjectReader reader(*body);
  const std::string intent = reader.RequireString("intent");
  if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
  if (intent.find_first_not_of(" \t\r\n") == std::string::npos || intent.size() > kMaxReviewedIntentLength) {
    return Response::Error(InvalidArgument("intent: must be an intent's name (1 to 200 characters)", "intent"));
  }
  Result<store::Conversation> conversation = call.VisibleConversation();
  if (!conversation.ok()) return Response::Error(conversation.status());
  Result<int64_t> id = PathId(call.request, "message_id");
  if (!id.ok()) return Response::Error(id.status());
  Result<store::Message> message = call.store.messages().Get(*id);
  if (!message.ok() || message->conversation_id != conversation->id) {
    if (!message.ok() && message.status().code() != StatusCode::kNotFound) return Response::Error(message.status());
    return Response::Error(NotFound("message " + std::to_string(*id) + " not found in conversation " +
                                    std::to_string(conversation->id)));
  }
  json metadata = json::parse(message->metadata_json, nullptr, false);
  if (!metadata.is_object() || !metadata.contains("routing") || !metadata["routing"].is_object()) {
    return Response::Error(Status(StatusCode::kFailedPrecondition,
                                  "message " + std::to_string(*id) + " was not routed: there is nothing to review"));
  }
  metadata["routing"]["review"] = {
      {"intent", intent}, {"by", call.principal().key.prefix}, {"at", KpiRouteClock(call).NowMillis()}};
  store::MessagePatch patch;
  patch.metadata_json = metadata.dump();
  Result<store::Message> patched = call.store.messages().Patch(*id, patch);
  if (!patched.ok()) return Response::Error(patched.status());
  call.Audit("message.routing_review", "message", *id,
             {{"routed", metadata["routing"].value("intent", "")}, {"reviewed", intent}});
  return Response::Json(ToJson(*patched));
}

}  // namespace

void AddKpiRoutes(RouteTable& table) {
  table.push_back({"GET", "/api/v1/kpis", "getKpis", "kpis",
                   "Support KPIs of a period (conversations by their start day, UTC), in total and per day, "
                   "intent or character",
                   {kScopeAgent, kScopeStudio}, false,
                   {{"from", "string", "first day, YYYY-MM-DD (default: 29 days before to)"},
                    {"to", "string", "last day, included, YYYY-MM-DD (default: today, UTC)"},
                    {"group_by", "string", "day (default), intent or character"}},
                   "", "Kpis", false, 200, GetKpis});
  table.push_back({"PUT", "/api/v1/conversations/{conversation_id}/messages/{message_id}/routing-review",
                   "putRoutingReview", "kpis",
                   "An agent's verdict on a routed message's intent, which routing accuracy is measured against",
                   {kScopeAgent}, false, {}, "RoutingReview", "Message", false, 200, PutRoutingReview});
}

}  // namespace troupe::server::api
