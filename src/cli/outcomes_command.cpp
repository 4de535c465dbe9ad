// `troupe analytics outcomes`: whether a conversation will need a person, whether its user will
// come back, whether it will end well, predicted from its first messages by boosted trees trained
// on the stored conversations (src/analytics/outcome_dataset.h), and judged on a held-out share
// of them: AUC, precision, recall, F1, Brier score, calibration, and each feature's gain.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "analytics/binary_report.h"
#include "base/split_mix64.h"
#include "analytics/boosted_classifier.h"
#include "analytics/outcome_dataset.h"
#include "base/clock.h"
#include "cli/commands.h"
#include "cli/interrupt.h"

namespace troupe::cli {
namespace {

namespace analytics = troupe::analytics;

struct OutcomesFlags {
  std::string outcome = "handoff";
  int first_messages = 6;
  int return_days = 7;
  double test_share = 0.25;
  uint64_t seed = 1;
  bool json = false;
};

// A conversation's side of the split, from its id and the seed alone (SplitMix64), so a rerun
// over a grown store keeps the conversations it had on the side they were on.
bool InTestShare(int64_t conversation_id, uint64_t seed, double share) {
  return UnitInterval(SplitMix64Finalize(static_cast<uint64_t>(conversation_id) + seed * kSplitMix64Gamma)) < share;
}

nlohmann::json ReportJson(const analytics::BinaryReport& report, const std::vector<double>& gain, size_t train) {
  nlohmann::json calibration = nlohmann::json::array();
  for (const analytics::CalibrationBin& bin : report.calibration) {
    calibration.push_back({{"low", bin.low}, {"high", bin.high}, {"count", bin.count},
                           {"mean_predicted", bin.mean_predicted}, {"observed_rate", bin.observed_rate}});
  }
  nlohmann::json importance = nlohmann::json::array();
  const std::vector<std::string>& names = analytics::OutcomeFeatureNames();
  std::vector<size_t> order(gain.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return gain[a] > gain[b]; });
  for (size_t i : order) importance.push_back({{"feature", names.at(i)}, {"gain", gain[i]}});
  return {{"train_examples", train},  {"test_examples", report.examples}, {"test_positives", report.positives},
          {"auc", report.auc},        {"threshold", report.threshold},    {"precision", report.precision},
          {"recall", report.recall},  {"f1", report.f1},                  {"accuracy", report.accuracy},
          {"brier", report.brier},    {"calibration", calibration},       {"feature_importance", importance}};
}

void PrintReport(const nlohmann::json& report) {
  std::printf("held out: %lld conversations (%lld positive); trained on %lld\n",
              static_cast<long long>(report["test_examples"].get<size_t>()),
              static_cast<long long>(report["test_positives"].get<size_t>()),
              static_cast<long long>(report["train_examples"].get<size_t>()));
  std::printf("AUC %.4f  precision %.4f  recall %.4f  F1 %.4f  accuracy %.4f  Brier %.4f\n",
              report["auc"].get<double>(), report["precision"].get<double>(), report["recall"].get<double>(),
              report["f1"].get<double>(), report["accuracy"].get<double>(), report["brier"].get<double>());
  std::printf("calibration (predicted -> observed):\n");
  for (const auto& bin : report["calibration"]) {
    std::printf("  %.1f-%.1f  %5lld  %.3f -> %.3f\n", bin["low"].get<double>(), bin["high"].get<double>(),
                static_cast<long long>(bin["count"].get<size_t>()), bin["mean_predicted"].get<double>(),
                bin["observed_rate"].get<double>());
  }
  std::printf("feature importance (total gain):\n");
  for (const auto& entry : report["feature_importance"]) {
    if (entry["gain"].get<double>() <= 0) continue;
    std::printf("  %-32s %.2f\n", entry["feature"].get<std::string>().c_str(), entry["gain"].get<double>());
  }
}

Status RunOutcomes(CommandContext& context, const OutcomesFlags& flags) {
  std::optional<analytics::Outcome> outcome = analytics::ParseOutcome(flags.outcome);
  if (!outcome) return Status(StatusCode::kInvalidArgument, "--outcome must be handoff, return or good_end", "--outcome");
  if (flags.test_share <= 0 || flags.test_share >= 1) {
    return Status(StatusCode::kInvalidArgument, "--test-share must be between 0 and 1", "--test-share");
  }
  TROUPE_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> database, context.OpenStore());
  analytics::OutcomeOptions options;
  options.outcome = *outcome;
  options.first_messages = flags.first_messages;
  options.return_days = flags.return_days;
  options.now_ms = SystemClock().NowMillis();
  StopOnInterrupt stop_on_interrupt;
  TROUPE_ASSIGN_OR_RETURN(std::vector<analytics::OutcomeExample> examples,
                          analytics::BuildOutcomeDataset(*database, options, [](size_t done, size_t total) {
                            if (done % 1000 == 0 && total >= 1000) std::fprintf(stderr, "read %zu of %zu conversations\n", done, total);
                            return !InterruptRequested();
                          }));
  std::vector<std::vector<float>> train_rows, test_rows;
  std::vector<bool> train_labels, test_labels;
  for (const analytics::OutcomeExample& example : examples) {
    const bool test = InTestShare(example.conversation_id, flags.seed, flags.test_share);
    (test ? test_rows : train_rows).push_back(example.features);
    (test ? test_labels : train_labels).push_back(example.happened);
  }
  if (train_rows.size() < 10 || test_rows.empty()) {
    return Status(StatusCode::kFailedPrecondition,
                  std::to_string(examples.size()) + " conversations have a known " + flags.outcome +
                      " outcome: too few to train on and hold out (at least 10 to train, 1 to test)");
  }
  analytics::BoostingOptions boosting;
  boosting.seed = flags.seed;
  TROUPE_ASSIGN_OR_RETURN(analytics::BoostedClassifier model,
                          analytics::BoostedClassifier::Train(train_rows, train_labels, boosting));
  TROUPE_ASSIGN_OR_RETURN(std::vector<double> predicted, model.Predict(test_rows));
  TROUPE_ASSIGN_OR_RETURN(std::vector<double> gain, model.FeatureGain());
  const nlohmann::json report = ReportJson(analytics::EvaluateBinary(predicted, test_labels), gain, train_rows.size());
  if (flags.json) {
    std::cout << report.dump() << std::endl;
  } else {
    PrintReport(report);
    std::fflush(stdout);
  }
  return Status::Ok();
}

}  // namespace

void AddOutcomesCommand(CLI::App& analytics_group, CommandContext& context) {
  auto flags = std::make_shared<OutcomesFlags>();
  CLI::App* command = analytics_group.add_subcommand(
      "outcomes", "Predict conversations' outcomes from their first messages (boosted trees) and report on a held-out share");
  command->add_option("--outcome", flags->outcome, "handoff (default), return or good_end");
  command->add_option("--first", flags->first_messages, "messages a prediction sees (default 6)")->check(CLI::Range(1, 1000));
  command->add_option("--days", flags->return_days, "return: days after the last activity (default 7)")->check(CLI::Range(1, 3650));
  command->add_option("--test-share", flags->test_share, "share of conversations held out (default 0.25)");
  command->add_option("--seed", flags->seed, "seed of the split and the trees (default 1)");
  command->add_flag("--json", flags->json, "print the report as JSON");
  command->callback([&context, flags] {
    if (Status status = RunOutcomes(context, *flags); !status.ok()) context.Fail(status);
  });
}

}  // namespace troupe::cli
