// `troupe eval bleu|chrf|rouge`: the evaluation metrics over files of one segment per line, as
// sacreBLEU 2.x and rouge-score compute them (src/analytics). Each prints one result line on stdout
// ("bleu=xx.xx", "chrf=xx.xx", "rouge1=0.xxxx rouge2=0.xxxx rougeL=0.xxxx": scripts read it) or,
// with --json, one JSON object with the details. Progress goes to stderr on long files; Ctrl-C stops.
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analytics/bleu.h"
#include "analytics/chrf.h"
#include "analytics/rouge.h"
#include "analytics/segment_file.h"
#include "cli/commands.h"
#include "cli/interrupt.h"

namespace troupe::cli {
namespace {

namespace analytics = troupe::analytics;

// Progress is worth a line on stderr only for files this long, and then this often.
constexpr size_t kEvalProgressEvery = 10000;

struct EvalFiles {
  std::string hypotheses;
  std::vector<std::string> references;
  bool json = false;
};

struct BleuFlags : EvalFiles {
  std::string tokenize = "13a";
  std::string smooth = "exp";
  double smooth_value = 0;
  CLI::Option* smooth_value_option = nullptr;
  bool lowercase = false;
  int max_order = 4;
};

struct ChrfFlags : EvalFiles {
  int char_order = 6;
  int word_order = 0;
  double beta = 2;
  bool lowercase = false;
  bool whitespace = false;
  bool eps_smoothing = false;
};

struct RougeFlags : EvalFiles {
  bool stem = false;
};

// reference_streams[k][i] is reference file k's line i, as the metrics take them.
struct EvalInput {
  std::vector<std::string> hypotheses;
  std::vector<std::vector<std::string>> reference_streams;
};

Result<EvalInput> LoadEvalInput(const EvalFiles& files) {
  EvalInput input;
  TROUPE_ASSIGN_OR_RETURN(input.hypotheses, analytics::ReadSegmentFile(files.hypotheses));
  if (input.hypotheses.empty()) {
    return InvalidArgument(files.hypotheses + " has no lines: nothing to score", "--hyp");
  }
  for (const std::string& path : files.references) {
    TROUPE_ASSIGN_OR_RETURN(std::vector<std::string> references, analytics::ReadSegmentFile(path));
    if (references.size() != input.hypotheses.size()) {
      return InvalidArgument("the hypothesis file " + files.hypotheses + " has " +
                                 std::to_string(input.hypotheses.size()) + " lines but the reference file " + path +
                                 " has " + std::to_string(references.size()) + "; they must match line for line",
                             "--ref");
    }
    input.reference_streams.push_back(std::move(references));
  }
  return input;
}

// The references of segment `index`, one from each file.
std::vector<std::string> EvalReferencesOf(const EvalInput& input, size_t index) {
  std::vector<std::string> references;
  for (const auto& stream : input.reference_streams) references.push_back(stream[index]);
  return references;
}

// Scores every segment through `score`, reporting progress on long inputs; false when Ctrl-C
// stopped it (the caller then reports the interruption).
bool ForEachEvalSegment(std::string_view command, size_t count, const std::function<void(size_t)>& score) {
  StopOnInterrupt stop_on_interrupt;
  for (size_t i = 0; i < count; ++i) {
    if (InterruptRequested()) return false;
    score(i);
    if (count > kEvalProgressEvery && (i + 1) % kEvalProgressEvery == 0) {
      std::fprintf(stderr, "troupe eval %.*s: %zu/%zu segments\n", static_cast<int>(command.size()), command.data(),
                   i + 1, count);
    }
  }
  return !InterruptRequested();
}

void ReportEvalInterrupted(CommandContext& context) {
  std::cerr << "troupe: interrupted\n";
  context.exit_code = kInterruptedExitCode;
}

void PrintEvalJson(const nlohmann::json& json) {
  std::cout << json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
}

Result<analytics::BleuOptions> BleuOptionsFromFlags(const BleuFlags& flags) {
  analytics::BleuOptions options;
  std::optional<analytics::BleuTokenizer> tokenizer = analytics::ParseBleuTokenizer(flags.tokenize);
  if (!tokenizer) return InvalidArgument("--tokenize must be 13a, intl, char or none", "--tokenize");
  std::optional<analytics::BleuSmoothing> smoothing = analytics::ParseBleuSmoothing(flags.smooth);
  if (!smoothing) return InvalidArgument("--smooth must be exp, floor, add-k or none", "--smooth");
  options.tokenizer = *tokenizer;
  options.smoothing = *smoothing;
  if (flags.smooth_value_option->count() > 0) options.smooth_value = flags.smooth_value;
  options.lowercase = flags.lowercase;
  options.max_order = flags.max_order;
  if (Status valid = analytics::ValidateBleuOptions(options); !valid.ok()) {
    const std::string flag = valid.field() == "max_order" ? "--max-order" : "--smooth-value";
    return InvalidArgument(flag + ": " + valid.message(), flag);
  }
  return options;
}

nlohmann::json BleuJson(const analytics::BleuScore& score, const analytics::BleuOptions& options,
                        const EvalInput& input) {
  const analytics::BleuStatistics& statistics = score.statistics;
  nlohmann::json json = {
      {"metric", "bleu"},
      {"score", score.score},
      {"precisions", score.precisions},
      {"brevity_penalty", score.brevity_penalty},
      {"ratio", statistics.reference_length > 0 ? static_cast<double>(statistics.hypothesis_length) /
                                                      static_cast<double>(statistics.reference_length)
                                                : 0.0},
      {"hypothesis_length", statistics.hypothesis_length},
      {"reference_length", statistics.reference_length},
      {"matches", statistics.matches},
      {"totals", statistics.totals},
      {"segments", input.hypotheses.size()},
      {"references", input.reference_streams.size()},
      {"tokenize", analytics::BleuTokenizerName(options.tokenizer)},
      {"smooth", analytics::BleuSmoothingName(options.smoothing)},
      {"lowercase", options.lowercase},
      {"max_order", options.max_order},
  };
  json["smooth_value"] = options.smooth_value ? nlohmann::json(*options.smooth_value) : nlohmann::json(nullptr);
  return json;
}

void RunBleu(CommandContext& context, const BleuFlags& flags) {
  Result<analytics::BleuOptions> options = BleuOptionsFromFlags(flags);
  if (!options.ok()) {
    context.Fail(options.status());
    return;
  }
  Result<EvalInput> input = LoadEvalInput(flags);
  if (!input.ok()) {
    context.Fail(input.status());
    return;
  }
  analytics::BleuStatistics corpus;
  const bool finished = ForEachEvalSegment("bleu", input->hypotheses.size(), [&](size_t i) {
    corpus.Add(analytics::BleuSegmentStatistics(input->hypotheses[i], EvalReferencesOf(*input, i), *options));
  });
  if (!finished) return ReportEvalInterrupted(context);
  const analytics::BleuScore score = analytics::BleuFromStatistics(corpus, *options);
  if (flags.json) return PrintEvalJson(BleuJson(score, *options, *input));
  std::printf("bleu=%.2f\n", score.score);
  std::fflush(stdout);
}

nlohmann::json ChrfJson(const analytics::ChrfScore& score, const analytics::ChrfOptions& options,
                        const EvalInput& input) {
  nlohmann::json orders = nlohmann::json::array();
  for (size_t i = 0; i < score.statistics.hypothesis.size(); ++i) {
    const bool is_char = static_cast<int>(i) < options.char_order;
    orders.push_back({{"kind", is_char ? "char" : "word"},
                      {"order", is_char ? i + 1 : i + 1 - static_cast<size_t>(options.char_order)},
                      {"hypothesis_ngrams", score.statistics.hypothesis[i]},
                      {"reference_ngrams", score.statistics.reference[i]},
                      {"matches", score.statistics.matches[i]}});
  }
  return {{"metric", options.word_order > 0 ? "chrf++" : "chrf"},
          {"score", score.score},
          {"char_order", options.char_order},
          {"word_order", options.word_order},
          {"beta", options.beta},
          {"lowercase", options.lowercase},
          {"whitespace", options.keep_whitespace},
          {"eps_smoothing", options.eps_smoothing},
          {"segments", input.hypotheses.size()},
          {"references", input.reference_streams.size()},
          {"orders", orders}};
}

void RunChrf(CommandContext& context, const ChrfFlags& flags) {
  analytics::ChrfOptions options;
  options.char_order = flags.char_order;
  options.word_order = flags.word_order;
  options.beta = flags.beta;
  options.lowercase = flags.lowercase;
  options.keep_whitespace = flags.whitespace;
  options.eps_smoothing = flags.eps_smoothing;
  if (Status valid = analytics::ValidateChrfOptions(options); !valid.ok()) {
    const std::string flag = valid.field() == "char_order"   ? "--char-order"
                             : valid.field() == "word_order" ? "--word-order"
                                                             : "--beta";
    context.Fail(InvalidArgument(flag + ": " + valid.message(), flag));
    return;
  }
  Result<EvalInput> input = LoadEvalInput(flags);
  if (!input.ok()) {
    context.Fail(input.status());
    return;
  }
  analytics::ChrfScore score;
  const bool finished = ForEachEvalSegment("chrf", input->hypotheses.size(), [&](size_t i) {
    score.statistics.Add(analytics::ChrfSegmentStatistics(input->hypotheses[i], EvalReferencesOf(*input, i), options));
  });
  if (!finished) return ReportEvalInterrupted(context);
  score.score = analytics::ChrfFromStatistics(score.statistics, options);
  if (flags.json) return PrintEvalJson(ChrfJson(score, options, *input));
  std::printf("chrf=%.2f\n", score.score);
  std::fflush(stdout);
}

// Running sums of one ROUGE type's precision, recall and F over segments.
struct RougeSums {
  double precision = 0;
  double recall = 0;
  double fmeasure = 0;

  void Add(const analytics::RougeScore& score) {
    precision += score.precision;
    recall += score.recall;
    fmeasure += score.fmeasure;
  }
  nlohmann::json MeanJson(size_t count) const {
    const double n = static_cast<double>(count);
    return {{"precision", precision / n}, {"recall", recall / n}, {"fmeasure", fmeasure / n}};
  }
};

void RunRouge(CommandContext& context, const RougeFlags& flags) {
  Result<EvalInput> input = LoadEvalInput(flags);
  if (!input.ok()) {
    context.Fail(input.status());
    return;
  }
  RougeSums rouge1;
  RougeSums rouge2;
  RougeSums rougeL;
  const bool finished = ForEachEvalSegment("rouge", input->hypotheses.size(), [&](size_t i) {
    const analytics::RougeScores scores =
        analytics::ScoreRougeMulti(EvalReferencesOf(*input, i), input->hypotheses[i], flags.stem);
    rouge1.Add(scores.rouge1);
    rouge2.Add(scores.rouge2);
    rougeL.Add(scores.rougeL);
  });
  if (!finished) return ReportEvalInterrupted(context);
  const size_t count = input->hypotheses.size();
  if (flags.json) {
    return PrintEvalJson({{"metric", "rouge"},
                          {"segments", count},
                          {"references", input->reference_streams.size()},
                          {"stem", flags.stem},
                          {"rouge1", rouge1.MeanJson(count)},
                          {"rouge2", rouge2.MeanJson(count)},
                          {"rougeL", rougeL.MeanJson(count)}});
  }
  const double n = static_cast<double>(count);
  std::printf("rouge1=%.4f rouge2=%.4f rougeL=%.4f\n", rouge1.fmeasure / n, rouge2.fmeasure / n, rougeL.fmeasure / n);
  std::fflush(stdout);
}

void AddEvalFileFlags(CLI::App& command, EvalFiles& files, const std::string& reference_help) {
  command.add_option("--hyp", files.hypotheses, "hypotheses: UTF-8, one segment per line")->required();
  command.add_option("--ref", files.references, reference_help)->required()->take_all();
  command.add_flag("--json", files.json, "print one JSON object with the details");
}

}  // namespace

void AddEvalCommands(CLI::App& app, CommandContext& context) {
  CLI::App* eval = app.add_subcommand(
      "eval", "Evaluate a character on a dataset (--character, --dataset), or score files: BLEU, chrF, ROUGE");
  eval->require_subcommand(0, 1);
  AddEvalCharacterCommand(*eval, context);
  AddEvalRunsCommands(*eval, context);

  auto bleu = std::make_shared<BleuFlags>();
  CLI::App* bleu_command = eval->add_subcommand("bleu", "Corpus BLEU as sacreBLEU 2.x; prints bleu=xx.xx (0-100)");
  AddEvalFileFlags(*bleu_command, *bleu, "references, line for line with --hyp; repeat --ref for more reference sets");
  bleu_command->add_option("--tokenize", bleu->tokenize, "13a (default), intl, char or none");
  bleu_command->add_option("--smooth", bleu->smooth, "exp (default), floor, add-k or none");
  bleu->smooth_value_option =
      bleu_command->add_option("--smooth-value", bleu->smooth_value, "floor's value (0.1) or add-k's k (1)");
  bleu_command->add_flag("--lowercase", bleu->lowercase, "case-insensitive BLEU");
  bleu_command->add_option("--max-order", bleu->max_order, "largest n-gram order (default 4)");
  bleu_command->callback([&context, bleu] { RunBleu(context, *bleu); });

  auto chrf = std::make_shared<ChrfFlags>();
  CLI::App* chrf_command = eval->add_subcommand("chrf", "Corpus chrF as sacreBLEU 2.x; prints chrf=xx.xx (0-100)");
  AddEvalFileFlags(*chrf_command, *chrf, "references, line for line with --hyp; repeat --ref for more reference sets");
  chrf_command->add_option("--char-order", chrf->char_order, "character n-gram order (default 6)");
  chrf_command->add_option("--word-order", chrf->word_order, "word n-gram order (default 0; 2 is chrF++)");
  chrf_command->add_option("--beta", chrf->beta, "weight of recall over precision (default 2)");
  chrf_command->add_flag("--lowercase", chrf->lowercase, "case-insensitive chrF");
  chrf_command->add_flag("--whitespace", chrf->whitespace, "keep spaces in character n-grams");
  chrf_command->add_flag("--eps-smoothing", chrf->eps_smoothing, "chrF++.py's epsilon smoothing of empty orders");
  chrf_command->callback([&context, chrf] { RunChrf(context, *chrf); });

  auto rouge = std::make_shared<RougeFlags>();
  CLI::App* rouge_command = eval->add_subcommand(
      "rouge", "ROUGE-1/2/L as rouge-score, F averaged over lines; prints rouge1=0.xxxx rouge2=0.xxxx rougeL=0.xxxx");
  AddEvalFileFlags(*rouge_command, *rouge,
                   "references, line for line with --hyp; with several, each line takes the best");
  rouge_command->add_flag("--stem", rouge->stem, "Porter-stem tokens longer than 3 characters");
  rouge_command->callback([&context, rouge] { RunRouge(context, *rouge); });
}

}  // namespace troupe::cli
