// `troupe kpis`: the support KPIs of a period from the operator's shell, through the same store
// calls and the same JSON as GET /api/v1/kpis; a table by default.
#include <cstdio>
#include <iostream>
#include <map>

#include "base/clock.h"
#include "cli/commands.h"
#include "server/api/kpi_json.h"
#include "store/kpi_report.h"

namespace troupe::cli {
namespace {

struct KpisOptions {
  std::string from;
  std::string to;
  std::string group_by = "day";
  bool json = false;
};

std::string KpiCell(const nlohmann::json& value, bool milliseconds) {
  if (value.is_null()) return "-";
  char text[32];
  if (milliseconds) {
    std::snprintf(text, sizeof text, "%.0f ms", value.get<double>());
  } else {
    std::snprintf(text, sizeof text, "%.0f%%", value.get<double>() * 100);
  }
  return text;
}

void PrintKpiTable(const nlohmann::json& report) {
  std::printf("%-28s %6s %10s %10s %8s %8s %8s %6s %8s\n", "", "convs", "first", "average", "resolved", "handoff",
              "load-red", "csat", "routing");
  auto row = [](const std::string& label, const nlohmann::json& v) {
    std::printf("%-28s %6lld %10s %10s %8s %8s %8s %6s %8s\n", label.substr(0, 28).c_str(),
                static_cast<long long>(v["conversations"].get<int64_t>()), KpiCell(v["first_response_ms"], true).c_str(),
                KpiCell(v["average_response_ms"], true).c_str(), KpiCell(v["resolution_rate"], false).c_str(),
                KpiCell(v["handoff_rate"], false).c_str(), KpiCell(v["agent_load_reduction"], false).c_str(),
                KpiCell(v["csat"], false).c_str(), KpiCell(v["routing_accuracy"], false).c_str());
  };
  for (const nlohmann::json& group : report["groups"]) {
    std::string label = group["key"].is_null() ? "(not routed)" : group["key"].get<std::string>();
    if (group.contains("character_slug") && group["character_slug"].is_string()) {
      label = group["character_slug"].get<std::string>();
    }
    row(label, group);
  }
  row("total " + report["from"].get<std::string>() + ".." + report["to"].get<std::string>(), report["totals"]);
}

Status ShowKpis(CommandContext& context, const KpisOptions& options) {
  Result<std::pair<int64_t, int64_t>> period =
      store::ParseKpiPeriod(options.from, options.to, SystemClock::Instance().NowMillis());
  if (!period.ok()) {
    // The API's messages name the query parameter ("from must be ..."): here it is a flag.
    const std::string flag = "--" + period.status().field();
    const std::string& message = period.status().message();
    return Status(StatusCode::kInvalidArgument,
                  message.rfind(period.status().field() + " ", 0) == 0 ? "--" + message : flag + ": " + message, flag);
  }
  std::optional<store::KpiGrouping> grouping = store::ParseKpiGrouping(options.group_by);
  if (!grouping || *grouping == store::KpiGrouping::kNone) {
    return Status(StatusCode::kInvalidArgument, "--group-by must be day, intent or character", "--group-by");
  }
  TROUPE_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> database, context.OpenStore());
  TROUPE_ASSIGN_OR_RETURN(store::KpiRows rows, database->kpis().Rows(period->first, period->second));
  const store::KpiReport report = store::AggregateKpis(rows, *grouping);
  std::map<int64_t, store::Character> characters;
  if (*grouping == store::KpiGrouping::kCharacter) {
    for (const store::KpiGroup& group : report.groups) {
      Result<store::Character> character = database->characters().Get(std::stoll(group.key));
      if (character.ok()) characters.emplace(character->id, *character);
    }
  }
  const nlohmann::json json = server::api::KpiReportJson(report, *grouping, characters);
  if (options.json) {
    std::cout << json.dump() << std::endl;
  } else {
    PrintKpiTable(json);
    std::fflush(stdout);
  }
  return Status::Ok();
}

}  // namespace

void AddKpisCommand(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<KpisOptions>();
  CLI::App* command = app.add_subcommand("kpis", "Support KPIs of a period (as GET /api/v1/kpis), per day, intent "
                                                 "or character");
  command->add_option("--from", options->from, "first day, YYYY-MM-DD (default: 29 days before --to)");
  command->add_option("--to", options->to, "last day, included, YYYY-MM-DD (default: today, UTC)");
  command->add_option("--group-by", options->group_by, "day (default), intent or character");
  command->add_flag("--json", options->json, "print the report as the API's JSON");
  command->callback([&context, options] {
    if (Status status = ShowKpis(context, *options); !status.ok()) context.Fail(status);
  });
}

}  // namespace troupe::cli
