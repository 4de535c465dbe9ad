// An experiment's report: per variant, how many conversations were assigned, how many have a known
// outcome, the outcome's estimate with its confidence interval, and against the control (the first
// variant) the difference, the significance test that fits the metric and the stop rule.
//
// Outcomes, per assigned conversation (the same definitions as the outcome predictor's):
//   length      user messages in the conversation, once it has settled (closed, handed off, or
//               quiet for an hour); compared with Mann–Whitney.
//   return      the same user started another conversation within return_days of this one's last
//               activity; known once that window has closed; two-proportion z-test.
//   rating      the latest post-conversation rating (csat, 1..5); unrated conversations are not
//               counted; Mann–Whitney.
//   resolution  the conversation settled without a person (never handed off, no agent message);
//               two-proportion z-test.
// The stop rule is the fixed-horizon one of experiment_stats.h with Bonferroni over the variants
// compared with the control; with no planned trials there is none, and the report says so.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "store/experiment_repository.h"
#include "studio/experiment_stats.h"

namespace troupe::studio {

inline constexpr int64_t kConversationSettledAfterMs = 60 * 60 * 1000;

struct VariantReport {
  std::string name;
  int64_t assigned = 0;
  int64_t measured = 0;  // trials: conversations whose outcome is known
  int64_t pending = 0;   // assigned, outcome not known yet (still going, window open, unrated)
  std::optional<ProportionEstimate> rate;  // return, resolution
  std::optional<MeanEstimate> mean;        // length, rating
  std::optional<Comparison> against_control;
  std::optional<StopDecision> decision;  // against the control, when trials are planned
};

struct DayAssignments {
  int64_t day_start_ms = 0;      // UTC midnight
  std::vector<int64_t> counts;   // per variant
};

struct ExperimentReport {
  std::string metric;
  double confidence = 0.95;  // of every interval
  bool proportion = false;  // the metric is a rate (z-test) rather than a value (Mann–Whitney)
  int64_t planned_trials = 0;
  std::vector<VariantReport> variants;  // the control first
  std::vector<DayAssignments> days;     // oldest first, days without assignments left out
  std::string summary;                  // one sentence for people
};

// kInvalidArgument naming the field when the experiment's metric or variants do not load.
Result<ExperimentReport> BuildExperimentReport(const store::ExperimentRecord& experiment,
                                               const std::vector<store::ExperimentObservation>& observations,
                                               int64_t now_ms, double confidence = 0.95);

nlohmann::ordered_json ExperimentReportJson(const ExperimentReport& report);

}  // namespace troupe::studio
