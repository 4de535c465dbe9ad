// `troupe studio ...`: the studio's pipelines from the operator's shell. Each pipeline's
// subcommands live in their own file and are added to the group here (stored experiments in
// studio_experiment_commands.cpp); the experiment statistics are here: `studio experiment plan` (trials each variant needs) and `studio experiment compare`
// (a variant against the control, with the fixed-horizon stop rule). Result lines are key=value on
// stdout, or one JSON object with --json.
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "studio/experiment_stats.h"

namespace troupe::cli {
namespace {

struct PlanFlags {
  double baseline = 0;
  double effect = 0;
  double alpha = 0.05;
  double power = 0.8;
  bool json = false;
};

struct CompareFlags {
  std::string control;    // "SUCCESSES/TRIALS"
  std::string treatment;  // "SUCCESSES/TRIALS"
  int64_t planned = 0;
  int comparisons = 1;
  double alpha = 0.05;
  bool json = false;
};

// "120/1000" → {120, 1000}; kInvalidArgument naming `flag` otherwise.
Result<std::pair<int64_t, int64_t>> ParseCounts(const std::string& text, const std::string& flag) {
  const size_t slash = text.find('/');
  try {
    if (slash != std::string::npos) {
      size_t used_successes = 0;
      size_t used_trials = 0;
      const std::string successes = text.substr(0, slash);
      const std::string trials = text.substr(slash + 1);
      const int64_t s = std::stoll(successes, &used_successes);
      const int64_t t = std::stoll(trials, &used_trials);
      if (used_successes == successes.size() && used_trials == trials.size()) return std::make_pair(s, t);
    }
  } catch (const std::exception&) {
  }
  return InvalidArgument(flag + " must be SUCCESSES/TRIALS, e.g. 120/1000 (got '" + text + "')", flag);
}

std::string Fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

void RunPlan(CommandContext& context, const PlanFlags& flags) {
  Result<int64_t> trials = studio::RequiredTrialsPerVariant(flags.baseline, flags.effect, flags.alpha, flags.power);
  if (!trials.ok()) {
    context.Fail(trials.status());
    return;
  }
  if (flags.json) {
    std::cout << nlohmann::json{{"baseline", flags.baseline}, {"effect", flags.effect}, {"alpha", flags.alpha},
                                {"power", flags.power}, {"trials_per_variant", *trials}}
                     .dump()
              << "\n";
    return;
  }
  std::cout << "trials_per_variant=" << *trials << "\n";
}

void RunCompare(CommandContext& context, const CompareFlags& flags) {
  Result<std::pair<int64_t, int64_t>> control = ParseCounts(flags.control, "--control");
  if (!control.ok()) {
    context.Fail(control.status());
    return;
  }
  Result<std::pair<int64_t, int64_t>> treatment = ParseCounts(flags.treatment, "--treatment");
  if (!treatment.ok()) {
    context.Fail(treatment.status());
    return;
  }
  Result<studio::Comparison> comparison =
      studio::CompareProportions(control->first, control->second, treatment->first, treatment->second);
  if (!comparison.ok()) {
    context.Fail(comparison.status());
    return;
  }
  const studio::StopDecision decision = studio::DecideStop(control->second, treatment->second, flags.planned,
                                                           comparison->p_value, flags.comparisons, flags.alpha);
  if (flags.json) {
    std::cout << nlohmann::json{{"difference", comparison->difference},
                                {"interval", {comparison->difference_interval.low, comparison->difference_interval.high}},
                                {"z", comparison->statistic},
                                {"p_value", comparison->p_value},
                                {"decision", studio::ToString(decision)}}
                     .dump()
              << "\n";
    return;
  }
  std::cout << "difference=" << Fixed(comparison->difference, 4) << " low=" << Fixed(comparison->difference_interval.low, 4)
            << " high=" << Fixed(comparison->difference_interval.high, 4) << " z=" << Fixed(comparison->statistic, 4)
            << " p=" << Fixed(comparison->p_value, 6) << " decision=" << studio::ToString(decision) << "\n";
}

void AddExperimentCommands(CLI::App& studio, CommandContext& context) {
  CLI::App* experiment = studio.add_subcommand("experiment", "Plan, run and read experiments between variants");
  experiment->require_subcommand(1);
  AddStoredExperimentCommands(*experiment, context);

  auto plan = std::make_shared<PlanFlags>();
  CLI::App* plan_command = experiment->add_subcommand(
      "plan", "Trials each variant needs to detect an effect on a rate (two-sided z-test)");
  plan_command->add_option("--baseline", plan->baseline, "the control's rate, e.g. 0.10")->required();
  plan_command->add_option("--effect", plan->effect, "the smallest absolute change worth detecting, e.g. 0.02")
      ->required();
  plan_command->add_option("--alpha", plan->alpha, "false-positive rate")->capture_default_str();
  plan_command->add_option("--power", plan->power, "chance to detect the effect when it is there")
      ->capture_default_str();
  plan_command->add_flag("--json", plan->json, "print one JSON object");
  plan_command->callback([&context, plan] { RunPlan(context, *plan); });

  auto compare = std::make_shared<CompareFlags>();
  CLI::App* compare_command =
      experiment->add_subcommand("compare", "A variant's rate against the control's, with the stop rule");
  compare_command->add_option("--control", compare->control, "the control's SUCCESSES/TRIALS")->required();
  compare_command->add_option("--treatment", compare->treatment, "the variant's SUCCESSES/TRIALS")->required();
  compare_command->add_option("--planned", compare->planned, "trials planned per variant (experiment plan)")
      ->capture_default_str();
  compare_command->add_option("--comparisons", compare->comparisons, "variants compared with the control")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  compare_command->add_option("--alpha", compare->alpha, "false-positive rate of the family")->capture_default_str();
  compare_command->add_flag("--json", compare->json, "print one JSON object");
  compare_command->callback([&context, compare] { RunCompare(context, *compare); });
}

}  // namespace

void AddStudioCommands(CLI::App& app, CommandContext& context) {
  CLI::App* studio = app.add_subcommand("studio", "The studio's pipelines: character generation, pictures, voice, bias review, experiments");
  studio->require_subcommand(1);
  AddExperimentCommands(*studio, context);
  AddStudioSpeakCommand(*studio, context);
  AddStudioAvatarCommand(*studio, context);
  AddStudioBiasCommand(*studio, context);
  AddStudioGenerateCommand(*studio, context);
  AddStudioFlowCommands(*studio, context);
}

}  // namespace troupe::cli
