#include "studio/experiment_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

namespace troupe::studio {
namespace {

double NormalCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

Status CheckConfidence(double confidence, std::string_view field) {
  if (!(confidence > 0 && confidence < 1)) {
    return Status(StatusCode::kInvalidArgument, "confidence must be between 0 and 1, exclusive", std::string(field));
  }
  return Status::Ok();
}

Status CheckCounts(int64_t successes, int64_t trials, std::string_view field) {
  if (trials <= 0) return Status(StatusCode::kInvalidArgument, "trials must be positive", std::string(field));
  if (successes < 0 || successes > trials) {
    return Status(StatusCode::kInvalidArgument, "successes must be between 0 and the trials", std::string(field));
  }
  return Status::Ok();
}

// z such that a two-sided interval at `confidence` is ±z.
double TwoSidedZ(double confidence) { return NormalQuantile(0.5 + confidence / 2); }

// Average ranks (1-based) of the pooled values, and Σ(t³ − t) over groups of ties.
struct PooledRanks {
  std::vector<double> ranks;  // control's values first, then treatment's
  double tie_term = 0;
};

PooledRanks RankPooled(std::span<const double> control, std::span<const double> treatment) {
  std::vector<double> values(control.begin(), control.end());
  values.insert(values.end(), treatment.begin(), treatment.end());
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
  PooledRanks pooled;
  pooled.ranks.assign(values.size(), 0);
  for (size_t start = 0; start < order.size();) {
    size_t end = start + 1;
    while (end < order.size() && values[order[end]] == values[order[start]]) ++end;
    const double average = (static_cast<double>(start + 1) + static_cast<double>(end)) / 2;
    for (size_t i = start; i < end; ++i) pooled.ranks[order[i]] = average;
    const double tied = static_cast<double>(end - start);
    pooled.tie_term += tied * tied * tied - tied;
    start = end;
  }
  return pooled;
}

}  // namespace

double NormalQuantile(double p) {
  if (!(p > 0 && p < 1)) return std::nan("");
  // Bisection on the CDF: slower than a rational approximation but exact to the double's
  // resolution of erfc, and the report computes a handful of these.
  double low = -40;
  double high = 40;
  for (int i = 0; i < 200 && high - low > 1e-13; ++i) {
    const double middle = (low + high) / 2;
    (NormalCdf(middle) < p ? low : high) = middle;
  }
  return (low + high) / 2;
}

double TwoSidedNormalP(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

Result<ProportionEstimate> EstimateProportion(int64_t successes, int64_t trials, double confidence) {
  TROUPE_RETURN_IF_ERROR(CheckCounts(successes, trials, "successes"));
  TROUPE_RETURN_IF_ERROR(CheckConfidence(confidence, "confidence"));
  const double n = static_cast<double>(trials);
  const double rate = static_cast<double>(successes) / n;
  const double z = TwoSidedZ(confidence);
  const double denominator = 1 + z * z / n;
  const double centre = (rate + z * z / (2 * n)) / denominator;
  const double half = z * std::sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / denominator;
  // At 0 or all successes the bound is exactly 0 or 1; rounding must not leave it a hair inside.
  const double low = successes == 0 ? 0.0 : std::max(0.0, centre - half);
  const double high = successes == trials ? 1.0 : std::min(1.0, centre + half);
  return ProportionEstimate{successes, trials, rate, {low, high}};
}

Result<MeanEstimate> EstimateMean(std::span<const double> values, double confidence) {
  if (values.size() < 2) return Status(StatusCode::kInvalidArgument, "a mean needs at least two values", "values");
  TROUPE_RETURN_IF_ERROR(CheckConfidence(confidence, "confidence"));
  const double n = static_cast<double>(values.size());
  const double mean = std::accumulate(values.begin(), values.end(), 0.0) / n;
  double squares = 0;
  for (double value : values) squares += (value - mean) * (value - mean);
  const double deviation = std::sqrt(squares / (n - 1));
  const double half = TwoSidedZ(confidence) * deviation / std::sqrt(n);
  return MeanEstimate{static_cast<int64_t>(values.size()), mean, deviation, {mean - half, mean + half}};
}

Result<Comparison> CompareProportions(int64_t control_successes, int64_t control_trials,
                                      int64_t treatment_successes, int64_t treatment_trials, double confidence) {
  TROUPE_RETURN_IF_ERROR(CheckCounts(control_successes, control_trials, "control"));
  TROUPE_RETURN_IF_ERROR(CheckCounts(treatment_successes, treatment_trials, "treatment"));
  TROUPE_RETURN_IF_ERROR(CheckConfidence(confidence, "confidence"));
  const double n1 = static_cast<double>(control_trials);
  const double n2 = static_cast<double>(treatment_trials);
  const double p1 = static_cast<double>(control_successes) / n1;
  const double p2 = static_cast<double>(treatment_successes) / n2;
  const double pooled = static_cast<double>(control_successes + treatment_successes) / (n1 + n2);
  const double pooled_error = std::sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  Comparison comparison;
  comparison.difference = p2 - p1;
  // Both rates 0 or both 1: no variation, so no evidence of a difference.
  comparison.statistic = pooled_error > 0 ? comparison.difference / pooled_error : 0;
  comparison.p_value = TwoSidedNormalP(comparison.statistic);
  const double error = std::sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2);
  const double half = TwoSidedZ(confidence) * error;
  comparison.difference_interval = {comparison.difference - half, comparison.difference + half};
  return comparison;
}

Result<Comparison> CompareRanks(std::span<const double> control, std::span<const double> treatment,
                                double confidence) {
  if (control.size() < 2) return Status(StatusCode::kInvalidArgument, "needs at least two values", "control");
  if (treatment.size() < 2) return Status(StatusCode::kInvalidArgument, "needs at least two values", "treatment");
  for (std::span<const double> side : {control, treatment}) {
    for (double value : side) {
      if (!std::isfinite(value)) return Status(StatusCode::kInvalidArgument, "values must be finite numbers", "values");
    }
  }
  TROUPE_RETURN_IF_ERROR(CheckConfidence(confidence, "confidence"));
  const PooledRanks pooled = RankPooled(control, treatment);
  const double n1 = static_cast<double>(control.size());
  const double n2 = static_cast<double>(treatment.size());
  double treatment_rank_sum = 0;
  for (size_t i = control.size(); i < pooled.ranks.size(); ++i) treatment_rank_sum += pooled.ranks[i];
  Comparison comparison;
  comparison.u = treatment_rank_sum - n2 * (n2 + 1) / 2;
  comparison.probability_of_superiority = comparison.u / (n1 * n2);
  const double n = n1 + n2;
  const double variance = n1 * n2 / 12 * ((n + 1) - pooled.tie_term / (n * (n - 1)));
  const double centred = comparison.u - n1 * n2 / 2;
  if (variance > 0) {
    const double corrected = std::max(std::fabs(centred) - 0.5, 0.0);
    comparison.statistic = std::copysign(corrected / std::sqrt(variance), centred);
  }
  comparison.p_value = TwoSidedNormalP(comparison.statistic);
  TROUPE_ASSIGN_OR_RETURN(MeanEstimate control_mean, EstimateMean(control, confidence));
  TROUPE_ASSIGN_OR_RETURN(MeanEstimate treatment_mean, EstimateMean(treatment, confidence));
  comparison.difference = treatment_mean.mean - control_mean.mean;
  const double error = std::sqrt(control_mean.standard_deviation * control_mean.standard_deviation / n1 +
                                 treatment_mean.standard_deviation * treatment_mean.standard_deviation / n2);
  const double half = TwoSidedZ(confidence) * error;
  comparison.difference_interval = {comparison.difference - half, comparison.difference + half};
  return comparison;
}

Result<int64_t> RequiredTrialsPerVariant(double baseline_rate, double minimum_effect, double alpha, double power) {
  if (!(baseline_rate > 0 && baseline_rate < 1)) {
    return Status(StatusCode::kInvalidArgument, "the baseline rate must be between 0 and 1", "baseline_rate");
  }
  const double target = baseline_rate + minimum_effect;
  if (minimum_effect == 0 || !(target > 0 && target < 1)) {
    return Status(StatusCode::kInvalidArgument, "the effect must be non-zero and keep the rate between 0 and 1",
                  "minimum_effect");
  }
  if (!(alpha > 0 && alpha < 1)) return Status(StatusCode::kInvalidArgument, "alpha must be in (0, 1)", "alpha");
  if (!(power > 0 && power < 1)) return Status(StatusCode::kInvalidArgument, "power must be in (0, 1)", "power");
  const double z_alpha = NormalQuantile(1 - alpha / 2);
  const double z_power = NormalQuantile(power);
  const double average = (baseline_rate + target) / 2;
  const double root = z_alpha * std::sqrt(2 * average * (1 - average)) +
                      z_power * std::sqrt(baseline_rate * (1 - baseline_rate) + target * (1 - target));
  return static_cast<int64_t>(std::ceil(root * root / (minimum_effect * minimum_effect)));
}

std::string_view ToString(StopDecision decision) {
  switch (decision) {
    case StopDecision::kContinue:
      return "continue";
    case StopDecision::kSignificant:
      return "significant";
    case StopDecision::kInconclusive:
      return "inconclusive";
  }
  return "continue";
}

StopDecision DecideStop(int64_t control_trials, int64_t treatment_trials, int64_t planned_trials_per_variant,
                        double p_value, int comparisons, double alpha) {
  if (control_trials < planned_trials_per_variant || treatment_trials < planned_trials_per_variant) {
    return StopDecision::kContinue;
  }
  const double corrected = alpha / std::max(comparisons, 1);
  return p_value < corrected ? StopDecision::kSignificant : StopDecision::kInconclusive;
}

}  // namespace troupe::studio
