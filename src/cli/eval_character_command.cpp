// `troupe eval --character C --dataset D`: runs a character on every prompt of an evaluation
// dataset (analytics/eval_dataset.h) through the provider the character names, scores the replies
// against the references (BLEU, chrF, ROUGE) and, when that provider is the local engine, the
// references' perplexity given each prompt; stores the run and prints its scores as one line
// (`bleu=xx.xx chrf=xx.xx rouge1=0.xxxx rouge2=0.xxxx rougeL=0.xxxx perplexity=x.xx n=N failed=F
// run=ID`) or, with --json, the whole run. `troupe eval runs --character C` lists a character's
// runs; `troupe eval diff A B` compares two. Progress on stderr; Ctrl-C stops before the next case
// and stores nothing.
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analytics/eval_dataset.h"
#include "analytics/eval_run.h"
#include "chat/completion.h"
#include "cli/character_replier.h"
#include "cli/commands.h"
#include "cli/interrupt.h"

namespace troupe::cli {
namespace {

struct EvalCharacterFlags {
  std::string character;
  std::string dataset;
  int limit = 0;  // 0: every case
  int max_tokens = 128;
  double temperature = 0;  // greedy, so a run is repeatable
  uint64_t seed = 1;
  bool json = false;
};

// Σ log P(reference | prompt) as the difference of two teacher-forced scores: the prompt with the
// reference after it, and the prompt alone (the same prefix gives the same bits, whatever the
// batch). kInvalidArgument when they do not fit the model's context.
Status ScoreReference(llm::LocalModel& model, const llm::ChatRequest& request, const std::string& reference,
                      analytics::EvalCaseResult& result) {
  TROUPE_ASSIGN_OR_RETURN(std::vector<int32_t> prompt, model.TokenizeChat(request.messages, true));
  TROUPE_ASSIGN_OR_RETURN(std::vector<int32_t> answer, model.Tokenize(reference, false, false));
  if (answer.empty() || prompt.empty()) return Status::Ok();
  std::vector<int32_t> whole = prompt;
  whole.insert(whole.end(), answer.begin(), answer.end());
  TROUPE_ASSIGN_OR_RETURN(llm::TextScore with_reference, model.Score(whole));
  double prompt_log_prob = 0;
  if (prompt.size() >= 2) {
    TROUPE_ASSIGN_OR_RETURN(llm::TextScore alone, model.Score(prompt));
    prompt_log_prob = alone.total_log_prob;
  }
  result.reference_log_prob = with_reference.total_log_prob - prompt_log_prob;
  result.reference_tokens = static_cast<int64_t>(answer.size());
  return Status::Ok();
}

analytics::EvalCaseResult RunEvalCase(const EvalCharacterFlags& flags, const store::Character& character,
                                      CharacterReplier& replier, const analytics::EvalCase& eval_case) {
  analytics::EvalCaseResult result;
  result.prompt = eval_case.prompt;
  result.references = eval_case.references;
  llm::Sampling sampling;
  sampling.temperature = flags.temperature;
  sampling.seed = flags.seed;
  sampling.max_tokens = flags.max_tokens;
  const chat::CompletionRequest request = OneMessageRequest(character, eval_case.prompt, sampling);
  Result<llm::ChatResult> reply = chat::CompleteAsCharacter(request, *replier.provider, {});
  if (reply.ok()) {
    result.reply = reply->content;
  } else {
    result.error = reply.status().message();
  }
  if (replier.provider_is_local && !InterruptRequested()) {
    Result<llm::ChatRequest> built = chat::BuildCompletion(request, *replier.provider);
    Status scored = built.ok() ? ScoreReference(*replier.local_model, *built, eval_case.references.front(), result)
                               : built.status();
    if (!scored.ok()) std::cerr << "troupe eval: case not scored for perplexity: " << scored.message() << "\n";
  }
  return result;
}

std::string EvalFixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

void PrintEvalRunLine(const analytics::EvalRun& run) {
  const analytics::EvalScores& s = run.scores;
  std::cout << "bleu=" << EvalFixed(s.bleu, 2) << " chrf=" << EvalFixed(s.chrf, 2) << " rouge1=" << EvalFixed(s.rouge1, 4)
            << " rouge2=" << EvalFixed(s.rouge2, 4) << " rougeL=" << EvalFixed(s.rouge_l, 4);
  if (s.perplexity) std::cout << " perplexity=" << EvalFixed(*s.perplexity, 4);
  std::cout << " n=" << s.cases << " failed=" << s.failed << " run=" << run.id << std::endl;
}

Status StoreEvalRun(store::Store& database, int64_t character_id, analytics::EvalRun& run) {
  store::EvalRunRecord record;
  record.character_id = character_id;
  record.dataset = run.dataset;
  record.dataset_fingerprint = run.dataset_fingerprint;
  record.provider = run.provider;
  record.cases = run.scores.cases;
  record.bleu = run.scores.bleu;
  record.chrf = run.scores.chrf;
  record.rouge_l = run.scores.rouge_l;
  record.perplexity = run.scores.perplexity;
  record.report_json = analytics::EvalRunToJson(run).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  TROUPE_ASSIGN_OR_RETURN(store::EvalRunRecord stored, database.eval_runs().Create(std::move(record)));
  run.id = stored.id;
  run.created_at = stored.created_at / 1000;
  return Status::Ok();
}

Status EvaluateCharacter(CommandContext& context, const EvalCharacterFlags& flags) {
  TROUPE_ASSIGN_OR_RETURN(const config::LoadedConfig* loaded, context.Configuration());
  TROUPE_ASSIGN_OR_RETURN(std::vector<analytics::EvalCase> cases, analytics::ReadEvalDataset(flags.dataset));
  if (flags.limit > 0 && cases.size() > static_cast<size_t>(flags.limit)) cases.resize(static_cast<size_t>(flags.limit));
  TROUPE_ASSIGN_OR_RETURN(CommandContext::MigratedStore migrated, context.ConnectAndMigrate());
  TROUPE_ASSIGN_OR_RETURN(store::Character character, FindCharacter(*migrated.store, flags.character));
  TROUPE_ASSIGN_OR_RETURN(CharacterReplier replier, MakeCharacterReplier(loaded->config, character));
  analytics::EvalRun run;
  run.character = character.slug;
  run.dataset = std::filesystem::path(flags.dataset).filename().string();
  run.provider = replier.name;
  std::vector<std::string> prompts;
  std::vector<std::vector<std::string>> references;
  for (const analytics::EvalCase& c : cases) {
    prompts.push_back(c.prompt);
    references.push_back(c.references);
  }
  run.dataset_fingerprint = analytics::EvalDatasetFingerprint(prompts, references);
  StopOnInterrupt stop;
  for (size_t i = 0; i < cases.size(); ++i) {
    if (InterruptRequested()) break;
    std::cerr << "troupe eval: case " << i + 1 << "/" << cases.size() << "\n";
    run.cases.push_back(RunEvalCase(flags, character, replier, cases[i]));
  }
  if (InterruptRequested()) {
    std::cerr << "troupe eval: interrupted after " << run.cases.size() << " of " << cases.size()
              << " cases; nothing stored\n";
    context.exit_code = kInterruptedExitCode;
    return Status::Ok();
  }
  TROUPE_RETURN_IF_ERROR(analytics::ScoreEvalRun(run));
  TROUPE_RETURN_IF_ERROR(StoreEvalRun(*migrated.store, character.id, run));
  if (flags.json) {
    std::cout << analytics::EvalRunToJson(run).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  }
  PrintEvalRunLine(run);
  return Status::Ok();
}

}  // namespace

void AddEvalCharacterCommand(CLI::App& eval, CommandContext& context) {
  auto flags = std::make_shared<EvalCharacterFlags>();
  CLI::Option* character = eval.add_option("--character", flags->character, "character id or slug to evaluate");
  CLI::Option* dataset =
      eval.add_option("--dataset", flags->dataset, "JSON Lines of {\"prompt\", \"reference\" or \"references\"}");
  character->needs(dataset);
  dataset->needs(character);
  eval.add_option("--limit", flags->limit, "evaluate only the first N cases (0: all)")->check(CLI::NonNegativeNumber);
  eval.add_option("--max-tokens", flags->max_tokens, "longest reply, in tokens")
      ->capture_default_str()
      ->check(CLI::Range(1, 8192));
  eval.add_option("--temperature", flags->temperature, "sampling temperature (0: greedy)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 2.0));
  eval.add_option("--seed", flags->seed, "sampling seed")->capture_default_str();
  eval.add_flag("--json", flags->json, "print the whole run as JSON, then the result line");
  eval.callback([&context, &eval, flags] {
    if (!eval.get_subcommands().empty()) return;
    if (flags->character.empty()) {
      context.Fail(InvalidArgument("give --character and --dataset, or a subcommand (bleu, chrf, rouge, runs, diff)",
                                   "--character"));
      return;
    }
    if (Status status = EvaluateCharacter(context, *flags); !status.ok()) context.Fail(status);
  });
}

}  // namespace troupe::cli
