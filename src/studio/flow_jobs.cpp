#include "studio/flow_jobs.h"

#include <atomic>
#include <cmath>
#include <limits>

#include "chat/flow.h"
#include "store/kpi_report.h"
#include "studio/flow_generation.h"
#include "studio/flow_optimizer.h"
#include "studio/payload_reader.h"
#include "studio/stage_funnel.h"

namespace troupe::studio {
namespace {

using JobJson = nlohmann::json;

constexpr int64_t kMaxSeed = std::numeric_limits<int64_t>::max();
constexpr int64_t kOneEditContextTokens = 1024;

Result<FlowBrief> BriefOf(const JobJson& payload) {
  FlowBrief brief;
  brief.topic = payload["topic"].get<std::string>();
  brief.goal = payload["goal"].get<std::string>();
  brief.minor = payload["minor"].get<bool>();
  brief.min_stages = payload["min_stages"].get<int>();
  brief.max_stages = payload["max_stages"].get<int>();
  TROUPE_RETURN_IF_ERROR(CheckFlowBrief(brief));
  return brief;
}

// Progress reports that stop the run when the job must stop.
struct HookedRun {
  std::atomic<bool> cancel{false};
  void Report(const JobHooks& hooks, double progress) {
    if (hooks.report_progress && !hooks.report_progress(progress)) cancel = true;
  }
};

JobJson PerformanceJson(const StageFunnel& funnel) {
  auto optional = [](const std::optional<double>& value) { return value ? JobJson(*value) : JobJson(); };
  JobJson list = JobJson::array();
  for (const FunnelStage& stage : funnel.stages) {
    list.push_back({{"stage", stage.name},
                    {"reached", stage.reached},
                    {"drop_off_rate", optional(stage.drop_off_rate)},
                    {"sentiment_mean", optional(stage.sentiment_mean)},
                    {"rating_mean", optional(stage.rating_mean)},
                    {"regenerated_rate", optional(stage.regenerated_rate)}});
  }
  return list;
}

}  // namespace

Result<JobJson> CheckGenerateFlowPayload(const JobJson& request) {
  if (!request.is_object()) return InvalidArgument("the request must be a JSON object", "");
  PayloadReader read(request);
  JobJson payload = {{"topic", read.Text("topic", true)},
                  {"goal", read.Text("goal", true)},
                  {"minor", read.Flag("minor")},
                  {"min_stages", read.Integer("min_stages", 5, 2, 12)},
                  {"max_stages", read.Integer("max_stages", 7, 2, 12)},
                  {"seed", read.Integer("seed", 1, 0, kMaxSeed)},
                  {"temperature", read.Number("temperature", 0.9, 0, 2)},
                  {"provider", read.Text("provider", false)}};
  TROUPE_RETURN_IF_ERROR(read.status());
  TROUPE_RETURN_IF_ERROR(BriefOf(payload).status());
  return payload;
}

Result<JobJson> CheckOptimizeFlowPayload(const JobJson& request, int64_t now_ms) {
  if (!request.is_object()) return InvalidArgument("the request must be a JSON object", "");
  PayloadReader read(request);
  JobJson payload = {{"character_id", read.Integer("character_id", 0, 1, kMaxSeed)},
                  {"seed", read.Integer("seed", 1, 0, kMaxSeed)},
                  {"temperature", read.Number("temperature", 0.7, 0, 2)},
                  {"max_edits", read.Integer("max_edits", 3, 1, 10)},
                  {"provider", read.Text("provider", false)}};
  const std::string from = read.Text("from", false);
  const std::string to = read.Text("to", false);
  if (!request.contains("character_id") && read.status().ok()) {
    return InvalidArgument("character_id is required", "character_id");
  }
  TROUPE_RETURN_IF_ERROR(read.status());
  TROUPE_ASSIGN_OR_RETURN(const auto period, store::ParseKpiPeriod(from, to, now_ms));
  payload["from"] = store::KpiDay(period.first);
  payload["to"] = store::KpiDay(period.second - 1);
  return payload;
}

Result<JobJson> RunGenerateFlowJob(const store::Job& job, const ProviderLookup& providers, const JobHooks& hooks) {
  TROUPE_ASSIGN_OR_RETURN(const JobJson payload, CheckGenerateFlowPayload(JobJson::parse(job.payload_json, nullptr, false)));
  TROUPE_ASSIGN_OR_RETURN(const FlowBrief brief, BriefOf(payload));
  TROUPE_ASSIGN_OR_RETURN(llm::Provider * provider, providers(payload["provider"].get<std::string>()));
  HookedRun run;
  FlowGeneratorOptions options;
  options.limits = LimitsForContext(provider->info().context_length);
  options.seed = payload["seed"].get<uint64_t>();
  options.temperature = payload["temperature"].get<double>();
  options.cancel = &run.cancel;
  options.on_progress = [&run, &hooks](int question, int questions, int) {
    run.Report(hooks, static_cast<double>(question - 1) / questions);
  };
  Result<GeneratedFlow> generated = GenerateFlow(*provider, brief, options);
  if (run.cancel) return Unavailable("cancelled");
  if (!generated.ok()) return generated.status();
  TROUPE_ASSIGN_OR_RETURN(const chat::Flow flow, chat::ParseFlow(generated->yaml));
  JobJson stages = JobJson::array();
  for (const chat::Stage& stage : flow.stages) stages.push_back(stage.name);
  if (hooks.report_progress) (void)hooks.report_progress(1.0);
  return JobJson{{"flow", generated->yaml}, {"stages", stages}, {"reply", JobJson::parse(generated->reply_json)}};
}

Result<JobJson> RunOptimizeFlowJob(const store::Job& job, const ProviderLookup& providers, store::Store& store,
                                const JobHooks& hooks) {
  // The payload names both days, so the period no longer depends on when the job runs.
  TROUPE_ASSIGN_OR_RETURN(const JobJson payload,
                          CheckOptimizeFlowPayload(JobJson::parse(job.payload_json, nullptr, false), 0));
  TROUPE_ASSIGN_OR_RETURN(const auto period, store::ParseKpiPeriod(payload["from"].get<std::string>(),
                                                                     payload["to"].get<std::string>(), 0));
  const int64_t character_id = payload["character_id"].get<int64_t>();
  TROUPE_ASSIGN_OR_RETURN(const store::Character character, store.characters().Get(character_id));
  if (character.flow.find_first_not_of(" \t\r\n") == std::string::npos) {
    return FailedPrecondition("character " + std::to_string(character_id) +
                              " has no flow of its own to optimize (it talks through the default stage)");
  }
  const chat::CharacterTraits traits = chat::TraitsFromExtensions(character.extensions_json);
  TROUPE_ASSIGN_OR_RETURN(const chat::Flow flow, chat::ParseFlow(character.flow));
  TROUPE_ASSIGN_OR_RETURN(const store::AnalyticsOverview overview,
                          store.analytics().Overview(period.first, period.second, character_id));
  const StageFunnel funnel = BuildStageFunnel(flow, overview.stages);
  TROUPE_ASSIGN_OR_RETURN(llm::Provider * provider, providers(payload["provider"].get<std::string>()));
  HookedRun run;
  FlowOptimizerOptions options;
  options.limits = LimitsForContext(provider->info().context_length);
  options.seed = payload["seed"].get<uint64_t>();
  options.temperature = payload["temperature"].get<double>();
  // A model with a small context has room to answer with one edit only.
  options.max_edits = provider->info().context_length < kOneEditContextTokens ? 1 : payload["max_edits"].get<int>();
  options.cancel = &run.cancel;
  options.on_attempt = [&run, &hooks, attempts = options.attempts](int attempt) {
    run.Report(hooks, 0.9 * (attempt - 1) / attempts);
  };
  Result<FlowProposal> proposal = ProposeFlowEdits(*provider, character.flow, traits, funnel, options);
  if (run.cancel) return Unavailable("cancelled");
  if (!proposal.ok()) return proposal.status();
  JobJson edits = JobJson::array();
  for (const FlowEdit& edit : proposal->edits) {
    edits.push_back({{"stage", edit.stage},
                     {"prompt", edit.prompt},
                     {"messages_at_least", edit.messages_at_least ? JobJson(*edit.messages_at_least) : JobJson()},
                     {"reason", edit.reason}});
  }
  if (hooks.report_progress) (void)hooks.report_progress(1.0);
  return JobJson{{"character_id", character_id},     {"edits", edits},
              {"flow_before", proposal->yaml_before}, {"flow_after", proposal->yaml_after},
              {"diff", proposal->diff},             {"performance", PerformanceJson(funnel)}};
}

}  // namespace troupe::studio
