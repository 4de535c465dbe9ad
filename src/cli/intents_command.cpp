// `troupe intents train|eval|classify`: the intent router's classifier from the command line. Train
// takes a catalog, Rasa NLU YAML, a text<TAB>intent file, a CSV or a directory of them and writes
// a model (to -o, or <data_dir>/intents/<name>.model); eval prints per-intent precision, recall
// and F1, the frequent confusions and, as its last line, "accuracy=0.xxxx macro_f1=0.xxxx";
// classify prints the ranked intents of messages; templates lists a catalog's response templates
// (intent, name, slots, facts, text), checking them. Results on stdout, progress on stderr.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "chat/intents/intent_catalog.h"
#include "chat/intents/intent_classifier.h"
#include "chat/intents/intent_evaluation.h"
#include "cli/commands.h"
#include "cli/interrupt.h"

namespace troupe::cli {
namespace {

namespace intents = chat::intents;

struct TrainFlags {
  std::string input;
  std::string output;
  std::string loss = "hinge";
  double c = 1.0;
  int min_count = 2;
  int folds = 0;
  bool json = false;
};

struct EvalFlags {
  std::string model;
  std::string test;
  int confusions = 10;
  bool json = false;
};

struct TemplatesFlags {
  std::string input;
  bool json = false;
};

struct ClassifyFlags {
  std::string model;
  std::vector<std::string> messages;
  int top = 3;
  bool json = false;
};

std::string JsonText(const nlohmann::json& json) {
  return json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

// -o, or <data_dir>/intents/<name of the file or directory>.model.
Result<std::string> OutputPath(CommandContext& context, const TrainFlags& flags) {
  if (!flags.output.empty()) return flags.output;
  TROUPE_ASSIGN_OR_RETURN(const config::LoadedConfig* loaded, context.Configuration());
  std::filesystem::path input(flags.input);
  if (!input.has_filename()) input = input.parent_path();
  const std::filesystem::path directory = std::filesystem::path(loaded->config.data_dir) / "intents";
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) return Unavailable(directory.string() + ": cannot create: " + error.message());
  return (directory / (input.stem().string() + ".model")).string();
}

void Train(CommandContext& context, const TrainFlags& flags) {
  if (flags.loss != "hinge" && flags.loss != "logistic") {
    context.Fail(InvalidArgument("--loss must be hinge or logistic", "--loss"));
    return;
  }
  Result<intents::IntentCatalog> catalog = intents::LoadIntentCatalog(flags.input);
  if (!catalog.ok()) {
    context.Fail(catalog.status());
    return;
  }
  Result<std::string> output = OutputPath(context, flags);
  if (!output.ok()) {
    context.Fail(output.status());
    return;
  }
  StopOnInterrupt stop_on_interrupt;
  intents::TrainingOptions options;
  options.loss = flags.loss == "hinge" ? intents::TrainingOptions::Loss::kHinge
                                       : intents::TrainingOptions::Loss::kLogistic;
  options.c = flags.c;
  options.min_count = flags.min_count;
  options.folds = flags.folds;
  options.progress = [](std::string_view step) {
    std::fprintf(stderr, "troupe intents train: %.*s\n", static_cast<int>(step.size()), step.data());
    return !InterruptRequested();
  };
  intents::TrainingReport report;
  Result<intents::IntentClassifier> classifier =
      intents::IntentClassifier::Train(intents::ExamplesOf(*catalog), options, &report);
  if (InterruptRequested()) {
    std::cerr << "troupe: interrupted\n";
    context.exit_code = kInterruptedExitCode;
    return;
  }
  if (!classifier.ok()) {
    context.Fail(classifier.status());
    return;
  }
  if (Status saved = classifier->Save(*output); !saved.ok()) {
    context.Fail(saved);
    return;
  }
  if (flags.json) {
    std::cout << JsonText({{"model", *output},
                           {"examples", report.examples},
                           {"intents", report.intents},
                           {"features", report.features},
                           {"held_out", report.held_out},
                           {"held_out_accuracy", report.held_out_accuracy},
                           {"temperature", report.temperature},
                           {"calibration_error", report.calibration_error}})
              << '\n';
    return;
  }
  std::printf("model=%s\nexamples=%zu intents=%zu features=%zu\n", output->c_str(), report.examples, report.intents,
              report.features);
  std::printf("held_out=%zu held_out_accuracy=%.4f temperature=%.4f calibration_error=%.4f\n", report.held_out,
              report.held_out_accuracy, report.temperature, report.calibration_error);
}

void Eval(CommandContext& context, const EvalFlags& flags) {
  Result<intents::IntentClassifier> classifier = intents::IntentClassifier::Load(flags.model);
  if (!classifier.ok()) {
    context.Fail(classifier.status());
    return;
  }
  Result<std::vector<intents::LabelledExample>> test = intents::LoadLabelledExamples(flags.test);
  if (!test.ok()) {
    context.Fail(test.status());
    return;
  }
  const intents::EvaluationReport report =
      intents::Evaluate(*classifier, *test, static_cast<size_t>(std::max(flags.confusions, 0)));
  if (flags.json) {
    std::cout << JsonText(intents::ReportJson(report)) << '\n';
  } else {
    std::cout << intents::FormatReport(report);
  }
}

void Classify(CommandContext& context, const ClassifyFlags& flags) {
  Result<intents::IntentClassifier> classifier = intents::IntentClassifier::Load(flags.model);
  if (!classifier.ok()) {
    context.Fail(classifier.status());
    return;
  }
  std::vector<std::string> messages = flags.messages;
  if (messages.empty()) {  // one message per line of standard input
    for (std::string line; std::getline(std::cin, line);) messages.push_back(line);
  }
  nlohmann::json all = nlohmann::json::array();
  for (const std::string& message : messages) {
    std::vector<intents::IntentScore> ranked = classifier->Classify(message);
    if (ranked.size() > static_cast<size_t>(std::max(flags.top, 1))) ranked.resize(static_cast<size_t>(std::max(flags.top, 1)));
    if (flags.json) {
      nlohmann::json scores = nlohmann::json::array();
      for (const intents::IntentScore& score : ranked) {
        scores.push_back({{"intent", std::string(score.intent)}, {"confidence", score.confidence}});
      }
      all.push_back({{"message", message}, {"intents", scores}});
      continue;
    }
    std::string line;
    for (const intents::IntentScore& score : ranked) {
      line += (line.empty() ? "" : " ") + std::string(score.intent) + "=" + std::to_string(score.confidence).substr(0, 6);
    }
    std::printf("%s\t%s\n", line.c_str(), message.c_str());
  }
  if (flags.json) std::cout << JsonText(all) << '\n';
}

// One line per template: "intent/name  slots=a,b  facts=x|y  text".
void ListTemplates(CommandContext& context, const TemplatesFlags& flags) {
  Result<intents::IntentCatalog> catalog = intents::LoadIntentCatalog(flags.input);
  if (!catalog.ok()) {
    context.Fail(catalog.status());
    return;
  }
  nlohmann::json all = nlohmann::json::array();
  for (const intents::Intent& intent : catalog->intents) {
    for (const chat::templates::ResponseTemplate& response : intent.templates) {
      all.push_back({{"intent", intent.name}, {"name", response.name}, {"text", response.text},
                     {"slots", response.slots}, {"facts", response.facts}});
      if (flags.json) continue;
      std::string slots;
      for (const std::string& slot : response.slots) slots += (slots.empty() ? "" : ",") + slot;
      std::string facts;
      for (const std::string& fact : response.facts) facts += (facts.empty() ? "" : "|") + fact;
      std::printf("%s/%s\tslots=%s\tfacts=%s\t%s\n", intent.name.c_str(), response.name.c_str(), slots.c_str(),
                  facts.c_str(), response.text.c_str());
    }
  }
  if (flags.json) std::cout << JsonText(all) << '\n';
}

}  // namespace

void AddIntentsCommands(CLI::App& app, CommandContext& context) {
  CLI::App* group = app.add_subcommand("intents", "Train and evaluate the intent router's classifier");
  group->require_subcommand(1);

  auto train = std::make_shared<TrainFlags>();
  CLI::App* train_command = group->add_subcommand(
      "train", "Train a classifier on a catalog, Rasa NLU YAML, text<TAB>intent or CSV file, or a directory of them");
  train_command->add_option("input", train->input, "FILE or DIR of labelled examples")->required();
  train_command->add_option("-o,--output", train->output, "model file (default: <data_dir>/intents/<name>.model)");
  train_command->add_option("--loss", train->loss, "hinge (linear SVM) or logistic (logistic regression)")
      ->capture_default_str();
  train_command->add_option("--c", train->c, "inverse regularization strength")->capture_default_str();
  train_command->add_option("--min-count", train->min_count,
                            "examples a word pair or character n-gram must occur in to become a feature")
      ->capture_default_str();
  train_command->add_option("--folds", train->folds,
                            "cross-validation folds for calibration (0: 5 below 5,000 examples, else a 20% hold-out)")
      ->capture_default_str();
  train_command->add_flag("--json", train->json, "print one JSON object");
  train_command->callback([&context, train] { Train(context, *train); });

  auto eval = std::make_shared<EvalFlags>();
  CLI::App* eval_command = group->add_subcommand("eval", "Score a classifier on a labelled test file");
  eval_command->add_option("-m,--model", eval->model, "model file from `intents train`")->required();
  eval_command->add_option("-t,--test", eval->test, "labelled examples in any format `intents train` reads")
      ->required();
  eval_command->add_option("--confusions", eval->confusions, "how many frequent confusions to list")
      ->capture_default_str();
  eval_command->add_flag("--json", eval->json, "print one JSON object");
  eval_command->callback([&context, eval] { Eval(context, *eval); });

  auto classify = std::make_shared<ClassifyFlags>();
  CLI::App* classify_command =
      group->add_subcommand("classify", "Print the most likely intents of messages (or of each stdin line)");
  classify_command->add_option("-m,--model", classify->model, "model file from `intents train`")->required();
  classify_command->add_option("messages", classify->messages, "messages to classify");
  classify_command->add_option("--top", classify->top, "intents to print per message")->capture_default_str();
  classify_command->add_flag("--json", classify->json, "print JSON");
  classify_command->callback([&context, classify] { Classify(context, *classify); });

  auto templates = std::make_shared<TemplatesFlags>();
  CLI::App* templates_command = group->add_subcommand(
      "templates", "List and check a catalog's response templates: a plain string, or {name, text, facts}; "
                   "{slot} placeholders are filled per conversation, facts (and numbers, amounts, URLs) are kept");
  templates_command->add_option("input", templates->input, "catalog FILE or DIR")->required();
  templates_command->add_flag("--json", templates->json, "print JSON");
  templates_command->callback([&context, templates] { ListTemplates(context, *templates); });
}

}  // namespace troupe::cli
