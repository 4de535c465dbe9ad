#include "server/api/kpi_json.h"

#include <optional>

namespace troupe::server::api {
namespace {

using nlohmann::json;

json OrNull(const std::optional<double>& value) { return value ? json(*value) : json(nullptr); }

}  // namespace

json KpiValuesJson(const store::KpiValues& v) {
  return {{"conversations", v.conversations},
          {"first_response_ms", OrNull(v.first_response_ms)},
          {"first_responses", v.first_responses},
          {"average_response_ms", OrNull(v.average_response_ms)},
          {"replies", v.replies},
          {"resolution_rate", OrNull(v.resolution_rate)},
          {"resolved", v.resolved},
          {"handoff_rate", OrNull(v.handoff_rate)},
          {"handed_off", v.handed_off},
          {"agent_load_reduction", OrNull(v.agent_load_reduction)},
          {"resolved_without_human", v.resolved_without_human},
          {"csat", OrNull(v.csat)},
          {"csat_mean", OrNull(v.csat_mean)},
          {"csat_ratings", v.csat_ratings},
          {"csat_satisfied", v.csat_satisfied},
          {"routing_accuracy", OrNull(v.routing_accuracy)},
          {"routing_reviews", v.routing_reviews},
          {"routing_correct", v.routing_correct},
          {"campaign_reply_rate", OrNull(v.campaign_reply_rate)},
          {"campaign_sends", v.campaign_sends},
          {"campaign_replies", v.campaign_replies}};
}

json KpiReportJson(const store::KpiReport& report, store::KpiGrouping grouping,
                   const std::map<int64_t, store::Character>& characters) {
  json groups = json::array();
  for (const store::KpiGroup& group : report.groups) {
    json row = KpiValuesJson(group.values);
    row["key"] = grouping == store::KpiGrouping::kIntent && group.key.empty() ? json(nullptr) : json(group.key);
    if (grouping == store::KpiGrouping::kCharacter) {
      const int64_t id = std::stoll(group.key);
      auto found = characters.find(id);
      row["character_id"] = id;
      row["character_slug"] = found != characters.end() ? json(found->second.slug) : json(nullptr);
      row["character_name"] = found != characters.end() ? json(found->second.name) : json(nullptr);
    }
    groups.push_back(std::move(row));
  }
  return {{"from", store::KpiDay(report.from_ms)},
          {"to", store::KpiDay(report.to_ms - 1)},
          {"group_by", std::string(store::ToString(grouping))},
          {"totals", KpiValuesJson(report.totals)},
          {"groups", std::move(groups)}};
}

}  // namespace troupe::server::api
