// The statistics of an experiment's report: per variant, the chosen outcome with its confidence
// interval; between a variant and the control, the difference and a two-sided significance test that
// fits the metric (two-proportion z-test for rates such as "returned within N days", Mann–Whitney U
// for ordinal or skewed values such as conversation length or rating); and the stop rule of a
// fixed-horizon design, so nobody stops an experiment the first time a p-value dips under 0.05.
// Errors (kInvalidArgument) name the argument that is out of range; nothing here throws.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "base/status.h"

namespace troupe::studio {

struct Interval {
  double low = 0;
  double high = 0;
};

// The standard normal's quantile (inverse CDF) for p in (0, 1), accurate to about 1e-9.
double NormalQuantile(double p);
// P(|Z| >= |z|) for a standard normal Z.
double TwoSidedNormalP(double z);

struct ProportionEstimate {
  int64_t successes = 0;
  int64_t trials = 0;
  double rate = 0;
  Interval interval;  // Wilson score interval: sensible at small counts and near 0 or 1
};
Result<ProportionEstimate> EstimateProportion(int64_t successes, int64_t trials, double confidence = 0.95);

struct MeanEstimate {
  int64_t count = 0;
  double mean = 0;
  double standard_deviation = 0;  // sample (n - 1)
  Interval interval;              // mean ± z·sd/√n
};
Result<MeanEstimate> EstimateMean(std::span<const double> values, double confidence = 0.95);

struct Comparison {
  double difference = 0;  // treatment − control: rates, or the Hodges–Lehmann-free mean difference
  Interval difference_interval;
  double statistic = 0;  // z of the test (for Mann–Whitney, of U under the normal approximation)
  double p_value = 1;
  double u = 0;  // Mann–Whitney only: U of the treatment, and P(treatment > control) + ½P(tie)
  double probability_of_superiority = 0.5;
};
// Pooled two-proportion z-test; the interval is the unpooled (Wald) interval of the difference.
Result<Comparison> CompareProportions(int64_t control_successes, int64_t control_trials,
                                      int64_t treatment_successes, int64_t treatment_trials,
                                      double confidence = 0.95);
// Mann–Whitney U with average ranks for ties, the tie-corrected variance and a continuity
// correction; the difference and its interval are those of the means (normal approximation).
Result<Comparison> CompareRanks(std::span<const double> control, std::span<const double> treatment,
                                double confidence = 0.95);

// Trials each variant needs so a two-sided z-test at `alpha` detects `minimum_effect` (absolute,
// e.g. 0.03 for three points) over `baseline_rate` with probability `power`.
Result<int64_t> RequiredTrialsPerVariant(double baseline_rate, double minimum_effect, double alpha = 0.05,
                                         double power = 0.8);

enum class StopDecision {
  kContinue,      // some variant has not reached the planned trials: keep running, do not peek
  kSignificant,   // the planned trials are in and the difference holds at the corrected alpha
  kInconclusive,  // the planned trials are in and it does not: no variant beat the control
};
std::string_view ToString(StopDecision decision);

// The fixed-horizon rule for one variant against the control when `comparisons` variants are each
// compared with it: Bonferroni keeps the family's false-positive rate at `alpha`.
StopDecision DecideStop(int64_t control_trials, int64_t treatment_trials, int64_t planned_trials_per_variant,
                        double p_value, int comparisons = 1, double alpha = 0.05);

}  // namespace troupe::studio
