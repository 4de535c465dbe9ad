// `troupe eval runs --character C` lists a character's stored evaluation runs (oldest first);
// `troupe eval diff A B` compares run B with run A: each score's change, and the cases whose
// sentence BLEU rose or fell most. Results on stdout (or one JSON object with --json).
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "analytics/eval_run.h"
#include "cli/commands.h"

namespace troupe::cli {
namespace {

struct EvalRunsFlags {
  std::string character;
  bool json = false;
};

struct EvalDiffFlags {
  int64_t before = 0;
  int64_t after = 0;
  int examples = 5;
  bool json = false;
};

std::string RunsFixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

Status ListEvalRuns(CommandContext& context, const EvalRunsFlags& flags) {
  TROUPE_ASSIGN_OR_RETURN(CommandContext::MigratedStore migrated, context.ConnectAndMigrate());
  TROUPE_ASSIGN_OR_RETURN(store::Character character, FindCharacter(*migrated.store, flags.character));
  nlohmann::json runs = nlohmann::json::array();
  if (!flags.json) std::printf("%-6s %-20s %-24s %6s %8s %8s %8s %10s\n", "run", "created (UTC)", "dataset", "cases",
                               "bleu", "chrf", "rougeL", "perplexity");
  store::PageRequest page{"", 500};
  do {
    TROUPE_ASSIGN_OR_RETURN(store::Page<store::EvalRunRecord> batch,
                            migrated.store->eval_runs().ListForCharacter(character.id, page));
    for (const store::EvalRunRecord& run : batch.items) {
      if (flags.json) {
        runs.push_back({{"id", run.id}, {"created_at", run.created_at / 1000}, {"dataset", run.dataset},
                        {"dataset_fingerprint", run.dataset_fingerprint}, {"provider", run.provider},
                        {"cases", run.cases}, {"bleu", run.bleu}, {"chrf", run.chrf}, {"rougeL", run.rouge_l},
                        {"perplexity", run.perplexity ? nlohmann::json(*run.perplexity) : nlohmann::json(nullptr)}});
        continue;
      }
      const std::time_t seconds = static_cast<std::time_t>(run.created_at / 1000);
      char created[32];
      std::strftime(created, sizeof(created), "%Y-%m-%d %H:%M:%S", std::gmtime(&seconds));
      std::printf("%-6lld %-20s %-24s %6lld %8.2f %8.2f %8.4f %10s\n", static_cast<long long>(run.id), created,
                  run.dataset.c_str(), static_cast<long long>(run.cases), run.bleu, run.chrf, run.rouge_l,
                  run.perplexity ? RunsFixed(*run.perplexity, 4).c_str() : "-");
    }
    page.cursor = batch.next_cursor;
  } while (!page.cursor.empty());
  if (flags.json) std::cout << runs.dump() << std::endl;
  return Status::Ok();
}

Result<analytics::EvalRun> LoadEvalRun(store::Store& database, int64_t id, const std::string& argument) {
  Result<store::EvalRunRecord> record = database.eval_runs().Get(id);
  if (!record.ok()) return record.status().WithContext(argument);
  nlohmann::json json = nlohmann::json::parse(record->report_json, nullptr, false);
  Result<analytics::EvalRun> run = analytics::EvalRunFromJson(json);
  if (!run.ok()) return run.status().WithContext("stored run " + std::to_string(id));
  run->id = id;
  return run;
}

nlohmann::json CaseChangesJson(const std::vector<analytics::EvalCaseChange>& changes) {
  nlohmann::json list = nlohmann::json::array();
  for (const analytics::EvalCaseChange& c : changes) {
    list.push_back({{"index", c.index}, {"prompt", c.prompt}, {"bleu_before", c.bleu_before}, {"bleu_after", c.bleu_after}});
  }
  return list;
}

void PrintCaseChanges(const char* title, const std::vector<analytics::EvalCaseChange>& changes) {
  if (changes.empty()) return;
  std::cout << title << ":\n";
  for (const analytics::EvalCaseChange& c : changes) {
    std::cout << "  case " << c.index + 1 << ": sentence bleu " << RunsFixed(c.bleu_before, 2) << " -> "
              << RunsFixed(c.bleu_after, 2) << "  " << c.prompt << "\n";
  }
}

Status DiffEvalRunsCommand(CommandContext& context, const EvalDiffFlags& flags) {
  TROUPE_ASSIGN_OR_RETURN(CommandContext::MigratedStore migrated, context.ConnectAndMigrate());
  TROUPE_ASSIGN_OR_RETURN(analytics::EvalRun before, LoadEvalRun(*migrated.store, flags.before, "BEFORE"));
  TROUPE_ASSIGN_OR_RETURN(analytics::EvalRun after, LoadEvalRun(*migrated.store, flags.after, "AFTER"));
  const analytics::EvalRunDiff diff = analytics::DiffEvalRuns(before, after, static_cast<size_t>(flags.examples));
  if (flags.json) {
    nlohmann::json metrics = nlohmann::json::array();
    for (const analytics::EvalMetricChange& m : diff.metrics) {
      metrics.push_back({{"metric", m.metric}, {"before", m.before}, {"after", m.after}, {"delta", m.delta}});
    }
    std::cout << nlohmann::json{{"before", before.id}, {"after", after.id}, {"same_dataset", diff.same_dataset},
                                {"matched_cases", diff.matched_cases}, {"metrics", metrics},
                                {"improved", CaseChangesJson(diff.improved)}, {"regressed", CaseChangesJson(diff.regressed)}}
                     .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
              << std::endl;
    return Status::Ok();
  }
  std::cout << "run " << before.id << " -> run " << after.id << " (" << before.character << "; "
            << (diff.same_dataset ? "same dataset" : "different datasets, cases matched by prompt") << ", "
            << diff.matched_cases << " cases matched)\n";
  for (const analytics::EvalMetricChange& m : diff.metrics) {
    const int decimals = m.metric == "bleu" || m.metric == "chrf" ? 2 : 4;
    std::cout << m.metric << "=" << RunsFixed(m.before, decimals) << " -> " << RunsFixed(m.after, decimals) << " ("
              << (m.delta >= 0 ? "+" : "") << RunsFixed(m.delta, decimals) << ")\n";
  }
  PrintCaseChanges("improved most", diff.improved);
  PrintCaseChanges("regressed most", diff.regressed);
  return Status::Ok();
}

}  // namespace

void AddEvalRunsCommands(CLI::App& eval, CommandContext& context) {
  auto runs = std::make_shared<EvalRunsFlags>();
  CLI::App* runs_command = eval.add_subcommand("runs", "List a character's stored evaluation runs");
  runs_command->add_option("--character", runs->character, "character id or slug")->required();
  runs_command->add_flag("--json", runs->json, "print a JSON array");
  runs_command->callback([&context, runs] {
    if (Status status = ListEvalRuns(context, *runs); !status.ok()) context.Fail(status);
  });

  auto diff = std::make_shared<EvalDiffFlags>();
  CLI::App* diff_command = eval.add_subcommand("diff", "Compare evaluation run AFTER with run BEFORE");
  diff_command->add_option("BEFORE", diff->before, "the earlier run's id")->required();
  diff_command->add_option("AFTER", diff->after, "the later run's id")->required();
  diff_command->add_option("--examples", diff->examples, "cases to show that improved and regressed most")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  diff_command->add_flag("--json", diff->json, "print one JSON object");
  diff_command->callback([&context, diff] {
    if (Status status = DiffEvalRunsCommand(context, *diff); !status.ok()) context.Fail(status);
  });
}

}  // namespace troupe::cli
