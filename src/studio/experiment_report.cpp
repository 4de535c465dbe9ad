// Outcomes per variant, their estimates and the comparison with the control (experiment_report.h).
#include "studio/experiment_report.h"

#include <cmath>
#include <map>
#include <utility>

#include "chat/experiments.h"

namespace troupe::studio {

namespace {

using ReportJson = nlohmann::ordered_json;

constexpr int64_t kMillisPerDay = 24LL * 60 * 60 * 1000;

enum class Metric { kLength, kReturn, kRating, kResolution };

std::optional<Metric> ParseMetric(std::string_view name) {
  if (name == "length") return Metric::kLength;
  if (name == "return") return Metric::kReturn;
  if (name == "rating") return Metric::kRating;
  if (name == "resolution") return Metric::kResolution;
  return std::nullopt;
}

bool Settled(const store::ExperimentObservation& seen, int64_t now_ms) {
  return seen.status != store::ConversationStatus::kActive || seen.last_activity_at + kConversationSettledAfterMs <= now_ms;
}

bool HandedOff(const store::ExperimentObservation& seen) {
  if (seen.status == store::ConversationStatus::kHandedOff || seen.agent_messages > 0) return true;
  const nlohmann::json metadata = nlohmann::json::parse(seen.metadata_json, nullptr, false);
  return metadata.is_object() && metadata.contains("handoff");
}

// What one conversation's outcome is: a value (1/0 for a rate), or nothing yet.
std::optional<double> OutcomeOf(Metric metric, const store::ExperimentObservation& seen, int64_t return_window_ms,
                                int64_t now_ms) {
  switch (metric) {
    case Metric::kLength:
      if (!Settled(seen, now_ms)) return std::nullopt;
      return static_cast<double>(seen.user_messages);
    case Metric::kReturn:
      if (seen.last_activity_at + return_window_ms > now_ms) return std::nullopt;
      return seen.next_start && *seen.next_start <= seen.last_activity_at + return_window_ms ? 1.0 : 0.0;
    case Metric::kRating:
      if (!seen.csat) return std::nullopt;
      return static_cast<double>(*seen.csat);
    case Metric::kResolution:
      if (!Settled(seen, now_ms)) return std::nullopt;
      return HandedOff(seen) ? 0.0 : 1.0;
  }
  return std::nullopt;
}

int64_t Successes(const std::vector<double>& values) {
  int64_t count = 0;
  for (double value : values) count += value > 0.5 ? 1 : 0;
  return count;
}

std::string SummaryOf(const ExperimentReport& report) {
  if (report.variants.empty() || report.variants.front().measured == 0) {
    return "No outcomes are known yet: the control has no measured conversation.";
  }
  if (report.planned_trials == 0) {
    return "No trials were planned, so there is no stop rule: read the intervals, and plan the trials before "
           "drawing a conclusion.";
  }
  std::vector<std::string> winners;
  bool waiting = false;
  for (size_t i = 1; i < report.variants.size(); ++i) {
    const VariantReport& variant = report.variants[i];
    if (!variant.decision || *variant.decision == StopDecision::kContinue) waiting = true;
    if (variant.decision == StopDecision::kSignificant && variant.against_control) {
      winners.push_back(variant.name + (variant.against_control->difference > 0 ? " (higher)" : " (lower)"));
    }
  }
  if (waiting) return "Keep running: some variant has not reached the planned trials.";
  if (winners.empty()) return "The planned trials are in and no variant differs from the control.";
  std::string text = "The planned trials are in; differs from the control:";
  for (const std::string& winner : winners) text += " " + winner;
  return text + ".";
}

}  // namespace

Result<ExperimentReport> BuildExperimentReport(const store::ExperimentRecord& experiment,
                                               const std::vector<store::ExperimentObservation>& observations,
                                               int64_t now_ms, double confidence) {
  const std::optional<Metric> metric = ParseMetric(experiment.metric);
  if (!metric) return InvalidArgument("unknown metric '" + experiment.metric + "'", "metric");
  const std::optional<chat::ExperimentKind> kind = chat::ParseExperimentKind(experiment.kind);
  if (!kind) return InvalidArgument("unknown kind '" + experiment.kind + "'", "kind");
  TROUPE_ASSIGN_OR_RETURN(std::vector<chat::ExperimentVariant> variants,
                          chat::ParseVariants(*kind, experiment.variants_json));

  ExperimentReport report;
  report.metric = experiment.metric;
  report.confidence = confidence;
  report.proportion = *metric == Metric::kReturn || *metric == Metric::kResolution;
  report.planned_trials = experiment.planned_trials;
  std::vector<std::vector<double>> values(variants.size());
  for (const chat::ExperimentVariant& variant : variants) {
    VariantReport named;
    named.name = variant.name;
    report.variants.push_back(std::move(named));
  }

  const int64_t window_ms = experiment.return_days * kMillisPerDay;
  std::map<int64_t, std::vector<int64_t>> per_day;
  for (const store::ExperimentObservation& seen : observations) {
    if (seen.variant < 0 || static_cast<size_t>(seen.variant) >= variants.size()) continue;
    const auto index = static_cast<size_t>(seen.variant);
    VariantReport& variant = report.variants[index];
    ++variant.assigned;
    std::vector<int64_t>& day = per_day[seen.created_at - seen.created_at % kMillisPerDay];
    day.resize(variants.size(), 0);
    ++day[index];
    if (std::optional<double> outcome = OutcomeOf(*metric, seen, window_ms, now_ms)) {
      values[index].push_back(*outcome);
      ++variant.measured;
    } else {
      ++variant.pending;
    }
  }
  for (auto& [day_start, counts] : per_day) report.days.push_back({day_start, counts});

  const int comparisons = static_cast<int>(variants.size()) - 1;
  for (size_t i = 0; i < variants.size(); ++i) {
    VariantReport& variant = report.variants[i];
    if (report.proportion) {
      Result<ProportionEstimate> rate = EstimateProportion(Successes(values[i]), variant.measured, confidence);
      if (rate.ok()) variant.rate = *rate;
    } else {
      Result<MeanEstimate> mean = EstimateMean(values[i], confidence);
      if (mean.ok()) variant.mean = *mean;
    }
    if (i == 0) continue;
    Result<Comparison> compared =
        report.proportion ? CompareProportions(Successes(values[0]), report.variants[0].measured, Successes(values[i]),
                                               variant.measured, confidence)
                          : CompareRanks(values[0], values[i], confidence);
    if (!compared.ok()) continue;
    variant.against_control = *compared;
    if (experiment.planned_trials > 0) {
      variant.decision = DecideStop(report.variants[0].measured, variant.measured, experiment.planned_trials,
                                    compared->p_value, comparisons);
    }
  }
  report.summary = SummaryOf(report);
  return report;
}

nlohmann::ordered_json ExperimentReportJson(const ExperimentReport& report) {
  ReportJson variants = ReportJson::array();
  for (const VariantReport& variant : report.variants) {
    ReportJson item = {{"name", variant.name},
                       {"assigned", variant.assigned},
                       {"measured", variant.measured},
                       {"pending", variant.pending}};
    if (variant.rate) {
      item["estimate"] = {{"value", variant.rate->rate},
                          {"low", variant.rate->interval.low},
                          {"high", variant.rate->interval.high},
                          {"successes", variant.rate->successes}};
    } else if (variant.mean) {
      item["estimate"] = {{"value", variant.mean->mean},
                          {"low", variant.mean->interval.low},
                          {"high", variant.mean->interval.high},
                          {"standard_deviation", variant.mean->standard_deviation}};
    } else {
      item["estimate"] = nullptr;
    }
    if (variant.against_control) {
      const Comparison& compared = *variant.against_control;
      item["against_control"] = {{"difference", compared.difference},
                                 {"low", compared.difference_interval.low},
                                 {"high", compared.difference_interval.high},
                                 {"test", report.proportion ? "two-proportion z" : "Mann-Whitney U"},
                                 {"statistic", compared.statistic},
                                 {"p_value", compared.p_value}};
    } else {
      item["against_control"] = nullptr;
    }
    item["decision"] = variant.decision ? ReportJson(std::string(ToString(*variant.decision))) : ReportJson(nullptr);
    variants.push_back(std::move(item));
  }
  ReportJson days = ReportJson::array();
  for (const DayAssignments& day : report.days) days.push_back({{"day_start_ms", day.day_start_ms}, {"counts", day.counts}});
  return {{"metric", report.metric},          {"confidence", report.confidence}, {"proportion", report.proportion},
          {"planned_trials", report.planned_trials}, {"variants", std::move(variants)},
          {"days", std::move(days)},          {"summary", report.summary}};
}

}  // namespace troupe::studio
