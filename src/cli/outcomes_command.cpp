// `troupe analytics outcomes`: whether a conversation will need a person, whether its user will
// come back, whether it will end well, predicted from its first messages by boosted trees trained
// on the stored conversations (src/analytics/outcome_dataset.h), and judged on a held-out share
// of them: AUC, precision, recall, F1, Brier score, calibration, and each feature's gain.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "analytics/outcome_training.h"
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
  bool save = false;
};

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
  analytics::OutcomeTraining training;
  training.data.outcome = *outcome;
  training.data.first_messages = flags.first_messages;
  training.data.return_days = flags.return_days;
  training.data.now_ms = SystemClock().NowMillis();
  training.test_share = flags.test_share;
  training.seed = flags.seed;
  StopOnInterrupt stop_on_interrupt;
  TROUPE_ASSIGN_OR_RETURN(analytics::TrainedOutcome trained,
                          analytics::TrainOutcome(*database, training, [](size_t done, size_t total) {
                            if (done % 1000 == 0 && total >= 1000) std::fprintf(stderr, "read %zu of %zu conversations\n", done, total);
                            return !InterruptRequested();
                          }));
  const nlohmann::json report = nlohmann::json::parse(trained.report.dump());
  if (flags.save) {
    TROUPE_ASSIGN_OR_RETURN(store::OutcomeModelRecord record, analytics::OutcomeModelRecordOf(trained, training));
    TROUPE_ASSIGN_OR_RETURN(store::OutcomeModelRecord saved, database->predictions().SaveModel(std::move(record)));
    std::fprintf(stderr, "saved as outcome model %lld: the runtime predicts %s with it from now on\n",
                 static_cast<long long>(saved.id), saved.outcome.c_str());
  }
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
  command->add_flag("--save", flags->save, "store the model: the runtime then predicts each new conversation's outcome with it");
  command->callback([&context, flags] {
    if (Status status = RunOutcomes(context, *flags); !status.ok()) context.Fail(status);
  });
}

}  // namespace troupe::cli
