// /api/v1/studio/experiments: experiments between variants of a character's flow, system prompt
// or whole card (chat/experiments.h), their life (draft -> running -> stopped) and their reports
// (studio/experiment_report.h). While one runs, every conversation created with the character is
// assigned a variant.
#include <nlohmann/json.hpp>

#include "chat/experiments.h"
#include "server/api/api_call.h"
#include "server/api/json_io.h"
#include "studio/experiment_report.h"
#include "studio/experiment_stats.h"

namespace troupe::server::api {
namespace {

// planned_trials, or the trials a plan {baseline_rate, minimum_effect, alpha, power} needs per
// variant, with alpha split over the comparisons with the control as the stop rule does.
void ReadPlannedTrials(JsonObjectReader& reader, store::ExperimentRecord& experiment, size_t variant_count) {
  std::optional<int64_t> planned = reader.OptionalInt("planned_trials", 0, 10'000'000);
  const nlohmann::json* plan = reader.OptionalObject("plan");
  if (planned && plan != nullptr) {
    reader.Fail("plan", "give planned_trials or plan, not both");
    return;
  }
  if (planned) experiment.planned_trials = *planned;
  if (plan == nullptr) return;
  JsonObjectReader plan_reader(*plan, reader.FieldPath("plan"));
  const double baseline = plan_reader.RequireNumber("baseline_rate");
  const double effect = plan_reader.RequireNumber("minimum_effect");
  const double alpha = plan_reader.OptionalNumber("alpha").value_or(0.05);
  const double power = plan_reader.OptionalNumber("power").value_or(0.8);
  if (Status read = plan_reader.Finish(); !read.ok()) {
    reader.Fail("plan", read.message());
    return;
  }
  const double comparisons = variant_count > 1 ? static_cast<double>(variant_count - 1) : 1.0;
  Result<int64_t> trials = studio::RequiredTrialsPerVariant(baseline, effect, alpha / comparisons, power);
  if (!trials.ok()) {
    reader.Fail(reader.FieldPath("plan") + "." + trials.status().field(), trials.status().message());
    return;
  }
  experiment.planned_trials = *trials;
}

Result<store::ExperimentRecord> ReadExperiment(const nlohmann::json& body) {
  JsonObjectReader reader(body);
  store::ExperimentRecord experiment;
  experiment.character_id = reader.RequireInt("character_id", 1);
  experiment.name = reader.RequireString("name");
  experiment.kind = reader.RequireString("kind");
  experiment.metric = reader.RequireString("metric");
  experiment.return_days = reader.OptionalInt("return_days", 1, 365).value_or(7);
  const nlohmann::json* variants = reader.OptionalArray("variants");
  if (variants == nullptr) reader.Fail("variants", "variants is required: 2 to 8 objects, the control first");
  ReadPlannedTrials(reader, experiment, variants != nullptr ? variants->size() : 0);
  TROUPE_RETURN_IF_ERROR(reader.Finish());
  experiment.variants_json = variants->dump();
  return experiment;
}

Response ListExperiments(ApiCall& call) {
  Result<store::PageRequest> page = PageFromQuery(call.request);
  if (!page.ok()) return Response::Error(page.status());
  Result<std::optional<int64_t>> character_id = IdQuery(call.request, "character_id");
  if (!character_id.ok()) return Response::Error(character_id.status());
  Result<store::Page<store::ExperimentRecord>> found = call.store.experiments().List(*character_id, *page);
  if (!found.ok()) return Response::Error(found.status());
  return Response::Json(PageJson(*found));
}

Response CreateExperiment(ApiCall& call) {
  HttpResult<nlohmann::json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  Result<store::ExperimentRecord> experiment = ReadExperiment(*body);
  if (!experiment.ok()) return Response::Error(experiment.status());
  if (Status checked = chat::CheckExperiment(call.store, *experiment); !checked.ok()) return Response::Error(checked);
  Result<store::ExperimentRecord> created = call.store.experiments().Create(std::move(experiment).value());
  if (!created.ok()) return Response::Error(created.status());
  call.Audit("experiment.create", "experiment", created->id,
             {{"character_id", created->character_id}, {"kind", created->kind}, {"metric", created->metric}});
  return Response::Json(ToJson(*created), 201);
}

Response GetExperiment(ApiCall& call) {
  Result<int64_t> id = PathId(call.request, "experiment_id");
  if (!id.ok()) return Response::Error(id.status());
  Result<store::ExperimentRecord> experiment = call.store.experiments().Get(*id);
  if (!experiment.ok()) return Response::Error(experiment.status());
  return Response::Json(ToJson(*experiment));
}

Response MoveExperiment(ApiCall& call, bool start) {
  Result<int64_t> id = PathId(call.request, "experiment_id");
  if (!id.ok()) return Response::Error(id.status());
  Result<store::ExperimentRecord> moved =
      start ? call.store.experiments().Start(*id) : call.store.experiments().Stop(*id);
  if (!moved.ok()) return Response::Error(moved.status());
  call.Audit(start ? "experiment.start" : "experiment.stop", "experiment", moved->id,
             {{"character_id", moved->character_id}});
  return Response::Json(ToJson(*moved));
}

Response DeleteExperiment(ApiCall& call) {
  Result<int64_t> id = PathId(call.request, "experiment_id");
  if (!id.ok()) return Response::Error(id.status());
  if (Status deleted = call.store.experiments().Delete(*id); !deleted.ok()) return Response::Error(deleted);
  call.Audit("experiment.delete", "experiment", *id, nlohmann::json::object());
  return Response::Text("", 204, "");
}

Response ExperimentReport(ApiCall& call) {
  Result<int64_t> id = PathId(call.request, "experiment_id");
  if (!id.ok()) return Response::Error(id.status());
  Result<store::ExperimentRecord> experiment = call.store.experiments().Get(*id);
  if (!experiment.ok()) return Response::Error(experiment.status());
  Result<std::vector<store::ExperimentObservation>> observations = call.store.experiments().Observations(*id);
  if (!observations.ok()) return Response::Error(observations.status());
  const Clock& clock = call.options.clock != nullptr ? *call.options.clock : SystemClock::Instance();
  Result<studio::ExperimentReport> report = studio::BuildExperimentReport(*experiment, *observations, clock.NowMillis());
  if (!report.ok()) return Response::Error(report.status());
  nlohmann::json out = nlohmann::json::parse(studio::ExperimentReportJson(*report).dump());
  out["experiment"] = ToJson(*experiment);
  return Response::Json(out);
}

}  // namespace

void AddExperimentRoutes(RouteTable& table) {
  const std::vector<std::string_view> studio = {kScopeStudio};
  table.push_back({"GET", "/api/v1/studio/experiments", "listExperiments", "studio", "List experiments, oldest first",
                   studio, false, {{"character_id", "integer", "only this character's"}}, "", "Experiment", true, 200,
                   ListExperiments});
  table.push_back({"POST", "/api/v1/studio/experiments", "createExperiment", "studio",
                   "Create an experiment (a draft) between 2 to 8 variants of a character's flow, system prompt or "
                   "card, the first being the control, measured by length, return, rating or resolution",
                   studio, false, {}, "ExperimentCreate", "Experiment", false, 201, CreateExperiment});
  table.push_back({"GET", "/api/v1/studio/experiments/{experiment_id}", "getExperiment", "studio", "Get an experiment",
                   studio, false, {}, "", "Experiment", false, 200, GetExperiment});
  table.push_back({"POST", "/api/v1/studio/experiments/{experiment_id}/start", "startExperiment", "studio",
                   "Start a draft: from now on each new conversation with the character plays a variant (412 when "
                   "it is not a draft or the character runs another experiment)",
                   studio, false, {}, "", "Experiment", false, 200, [](ApiCall& call) { return MoveExperiment(call, true); }});
  table.push_back({"POST", "/api/v1/studio/experiments/{experiment_id}/stop", "stopExperiment", "studio",
                   "Stop a running experiment: new conversations play the character as it is; assigned ones keep "
                   "their variant",
                   studio, false, {}, "", "Experiment", false, 200, [](ApiCall& call) { return MoveExperiment(call, false); }});
  table.push_back({"DELETE", "/api/v1/studio/experiments/{experiment_id}", "deleteExperiment", "studio",
                   "Delete a draft or stopped experiment with its assignments (412 while it runs)", studio, false, {},
                   "", "", false, 204, DeleteExperiment});
  table.push_back({"GET", "/api/v1/studio/experiments/{experiment_id}/report", "getExperimentReport", "studio",
                   "The experiment's report: per variant the outcome with its confidence interval, the test against "
                   "the control and the stop rule, and assignments per day",
                   studio, false, {}, "", "ExperimentReport", false, 200, ExperimentReport});
}

}  // namespace troupe::server::api
