// `troupe analytics sentiment`: score a text, evaluate a model on labelled `text<TAB>label` files,
// train the optional linear model, or cross-validate it. Results go to stdout, progress and errors
// to stderr; an evaluation's last line is always `accuracy=... macro_f1=... n=N`.
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "analytics/sentiment_eval.h"
#include "analytics/sentiment_linear.h"
#include "base/sentiment_lexicon.h"
#include "cli/commands.h"
#include "cli/interrupt.h"

namespace troupe::cli {
namespace {

struct SentimentFlags {
  std::vector<std::string> eval;
  std::vector<std::string> train;
  std::vector<std::string> cross_validate;
  std::string text;
  std::string model = "lexicon";
  std::string output;
  int folds = 5;
  uint64_t seed = 1;
  double c = 4.0;
  uint32_t hash_bits = 18;
  bool json = false;
};

void SentimentProgress(const std::string& message) { std::cerr << "troupe analytics sentiment: " << message << "\n"; }

// Every file's examples in order; the first bad line ends the reading with its file and line.
Result<std::vector<analytics::LabelledText>> ReadSentimentFiles(const std::vector<std::string>& files) {
  std::vector<analytics::LabelledText> all;
  for (const std::string& file : files) {
    TROUPE_ASSIGN_OR_RETURN(std::vector<analytics::LabelledText> examples, analytics::ReadLabelledSentiment(file));
    SentimentProgress("read " + std::to_string(examples.size()) + " examples from " + file);
    all.insert(all.end(), std::make_move_iterator(examples.begin()), std::make_move_iterator(examples.end()));
  }
  if (all.empty()) return InvalidArgument("no labelled examples in " + files.front());
  return all;
}

// The scorer --model names: the built-in lexicon or a model file from --train.
struct SentimentScorer {
  std::string name = "lexicon";
  std::optional<analytics::SentimentLinearModel> linear;
  double Score(std::string_view text) const { return linear ? linear->Score(text) : LexiconSentiment(text); }
};

Result<SentimentScorer> LoadSentimentScorer(const std::string& model) {
  SentimentScorer scorer;
  if (model == "lexicon") return scorer;
  TROUPE_ASSIGN_OR_RETURN(analytics::SentimentLinearModel linear, analytics::SentimentLinearModel::Load(model));
  scorer.name = model;
  scorer.linear = std::move(linear);
  return scorer;
}

nlohmann::json SentimentReportJson(const analytics::SentimentReport& report, const std::string& model) {
  nlohmann::json classes = nlohmann::json::array();
  for (const analytics::SentimentClassFigures& figures : report.classes) {
    classes.push_back({{"class", analytics::SentimentClassName(figures.label)},
                       {"precision", figures.precision},
                       {"recall", figures.recall},
                       {"f1", figures.f1},
                       {"support", figures.support},
                       {"predicted", figures.predicted}});
  }
  return {{"model", model},       {"n", report.examples},         {"accuracy", report.accuracy},
          {"macro_f1", report.macro_f1}, {"with_neutral", report.with_neutral}, {"classes", classes}};
}

void PrintSentimentReport(const analytics::SentimentReport& report, const std::string& model, bool json) {
  if (json) {
    // One line of JSON, then the same last line as the text report: scripts read that line whatever
    // the format (the contract).
    std::cout << SentimentReportJson(report, model).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
    std::cout.flush();
    std::printf("accuracy=%.4f macro_f1=%.4f n=%zu\n", report.accuracy, report.macro_f1, report.examples);
    std::fflush(stdout);
    return;
  }
  std::printf("model: %s\n", model.c_str());
  std::printf("%-9s %9s %9s %9s %8s %9s\n", "class", "precision", "recall", "f1", "support", "predicted");
  for (const analytics::SentimentClassFigures& figures : report.classes) {
    const std::string name(analytics::SentimentClassName(figures.label));
    std::printf("%-9s %9.4f %9.4f %9.4f %8zu %9zu\n", name.c_str(), figures.precision, figures.recall, figures.f1,
                figures.support, figures.predicted);
  }
  std::printf("accuracy=%.4f macro_f1=%.4f n=%zu\n", report.accuracy, report.macro_f1, report.examples);
  std::fflush(stdout);
}

Status EvaluateSentimentFiles(const SentimentFlags& flags) {
  TROUPE_ASSIGN_OR_RETURN(const SentimentScorer scorer, LoadSentimentScorer(flags.model));
  TROUPE_ASSIGN_OR_RETURN(const std::vector<analytics::LabelledText> examples, ReadSentimentFiles(flags.eval));
  if (InterruptRequested()) return Unavailable("interrupted");
  SentimentProgress("scoring " + std::to_string(examples.size()) + " examples with " + scorer.name);
  const analytics::SentimentReport report = analytics::EvaluateSentiment(
      examples, [&scorer](std::string_view text) { return scorer.Score(text); });
  if (InterruptRequested()) return Unavailable("interrupted");
  PrintSentimentReport(report, scorer.name, flags.json);
  return Status::Ok();
}

analytics::SentimentLinearOptions LinearOptionsOf(const SentimentFlags& flags) {
  return {.c = flags.c, .hash_bits = flags.hash_bits};
}

Status TrainSentimentModel(const SentimentFlags& flags) {
  TROUPE_ASSIGN_OR_RETURN(const std::vector<analytics::LabelledText> examples, ReadSentimentFiles(flags.train));
  SentimentProgress("training the linear model on " + std::to_string(examples.size()) + " examples");
  TROUPE_ASSIGN_OR_RETURN(const analytics::SentimentLinearModel model,
                          analytics::SentimentLinearModel::Train(examples, LinearOptionsOf(flags)));
  if (InterruptRequested()) return Unavailable("interrupted");
  TROUPE_RETURN_IF_ERROR(model.Save(flags.output));
  if (flags.json) {
    std::cout << nlohmann::json({{"model", flags.output}, {"examples", examples.size()},
                                 {"weights", model.nonzero_weights()}, {"hash_bits", model.hash_bits()}})
                     .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << std::endl;
  } else {
    std::printf("model=%s examples=%zu weights=%zu\n", flags.output.c_str(), examples.size(), model.nonzero_weights());
  }
  return Status::Ok();
}

Status CrossValidateSentiment(const SentimentFlags& flags) {
  TROUPE_ASSIGN_OR_RETURN(const std::vector<analytics::LabelledText> examples,
                          ReadSentimentFiles(flags.cross_validate));
  TROUPE_ASSIGN_OR_RETURN(
      const analytics::SentimentReport report,
      analytics::CrossValidateSentimentLinear(examples, flags.folds, flags.seed, LinearOptionsOf(flags), [&](int fold) {
        SentimentProgress("fold " + std::to_string(fold + 1) + " of " + std::to_string(flags.folds));
        return !InterruptRequested();
      }));
  PrintSentimentReport(report,
                       "linear, " + std::to_string(flags.folds) + "-fold cross-validation, seed " +
                           std::to_string(flags.seed),
                       flags.json);
  return Status::Ok();
}

// One message: its score and, as a single message may hold no opinion, one of three classes.
Status ScoreSentimentText(const SentimentFlags& flags) {
  TROUPE_ASSIGN_OR_RETURN(const SentimentScorer scorer, LoadSentimentScorer(flags.model));
  const double score = scorer.Score(flags.text);
  const std::string label(analytics::SentimentClassName(analytics::ClassifySentiment(score, true)));
  if (flags.json) {
    std::cout << nlohmann::json({{"model", scorer.name}, {"score", score}, {"class", label}}).dump() << std::endl;
  } else {
    std::printf("score=%.4f class=%s\n", score, label.c_str());
  }
  return Status::Ok();
}

void RunSentimentCommand(CommandContext& context, const SentimentFlags& flags) {
  StopOnInterrupt stop_on_interrupt;
  Status status;
  if (!flags.eval.empty()) {
    status = EvaluateSentimentFiles(flags);
  } else if (!flags.train.empty()) {
    status = TrainSentimentModel(flags);
  } else if (!flags.cross_validate.empty()) {
    status = CrossValidateSentiment(flags);
  } else {
    status = ScoreSentimentText(flags);
  }
  if (InterruptRequested()) {
    std::cerr << "troupe: interrupted\n";
    context.exit_code = kInterruptedExitCode;
    return;
  }
  if (!status.ok()) context.Fail(status);
}

}  // namespace

void AddSentimentCommand(CLI::App& analytics, CommandContext& context) {
  auto flags = std::make_shared<SentimentFlags>();
  CLI::App* command = analytics.add_subcommand(
      "sentiment", "Score a text, or evaluate, train or cross-validate a sentiment model on text<TAB>label files");
  CLI::Option_group* mode = command->add_option_group("mode", "what to do (exactly one)");
  mode->add_option("--eval", flags->eval, "FILE... of text<TAB>label lines to evaluate --model on");
  CLI::Option* train = mode->add_option("--train", flags->train, "FILE... to train the linear model on (needs -o)");
  mode->add_option("--cross-validate", flags->cross_validate,
                   "FILE... to cross-validate the linear model on (--folds, --seed)");
  mode->add_option("--text", flags->text, "one message to score");
  mode->require_option(1);
  command->add_option("--model", flags->model, "lexicon (built in) or a model FILE from --train")
      ->capture_default_str();
  CLI::Option* output = command->add_option("-o,--output", flags->output, "where --train writes the model");
  output->needs(train);
  train->needs(output);
  command->add_option("--folds", flags->folds, "cross-validation folds, 2..20")->capture_default_str();
  command->add_option("--seed", flags->seed, "seed of the cross-validation's split")->capture_default_str();
  command->add_option("--c", flags->c, "the linear model's inverse regularisation strength")->capture_default_str();
  command->add_option("--hash-bits", flags->hash_bits, "the linear model's 2^bits feature slots, 10..24")
      ->capture_default_str();
  command->add_flag("--json", flags->json, "print the result as JSON instead of text");
  command->callback([&context, flags] { RunSentimentCommand(context, *flags); });
}

}  // namespace troupe::cli
