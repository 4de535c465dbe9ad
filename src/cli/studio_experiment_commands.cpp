// `troupe studio experiment create|list|start|stop|delete|report`: stored experiments from the shell,
// the same life and report as /api/v1/studio/experiments (chat/experiments.h,
// studio/experiment_report.h).
//   create --character C --name N --kind flow|prompt|character --metric length|return|rating|resolution
//          --variant NAME[:WEIGHT][=VALUE] (twice or more; the first is the control) [--return-days D]
//          [--planned N]: VALUE is a flow's YAML file (flow), a text file with the system prompt
//          (prompt) or a character's id or slug (character); no VALUE plays the character as it is.
//          Prints `experiment=ID status=draft`.
//   list [--character C] [--json]; start|stop|delete ID; report ID [--json]: one line per variant,
//   `variant=NAME assigned=N measured=N pending=N estimate=X low=X high=X p=X decision=D`, then the
//   summary.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "chat/experiments.h"
#include "cli/commands.h"
#include "studio/experiment_report.h"

namespace troupe::cli {
namespace {

struct ExperimentCreateFlags {
  std::string character;
  std::string name;
  std::string kind;
  std::string metric;
  std::vector<std::string> variants;
  int64_t return_days = 7;
  int64_t planned = 0;
};

struct ExperimentIdFlags {
  int64_t id = 0;
  bool json = false;
  std::string character;
};

Result<std::string> ReadVariantFile(const std::string& path, const std::string& field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(path + ": cannot be read", field);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// NAME[:WEIGHT][=VALUE] as the variant JSON the store keeps.
Result<nlohmann::json> ParseVariantFlag(store::Store& store, chat::ExperimentKind kind, const std::string& text,
                                        size_t index) {
  const std::string field = "--variant #" + std::to_string(index + 1);
  const size_t equals = text.find('=');
  std::string head = text.substr(0, equals);
  nlohmann::json variant = nlohmann::json::object();
  if (const size_t colon = head.find(':'); colon != std::string::npos) {
    try {
      size_t used = 0;
      const std::string weight = head.substr(colon + 1);
      variant["weight"] = std::stod(weight, &used);
      if (used != weight.size()) throw std::invalid_argument(weight);
    } catch (const std::exception&) {
      return InvalidArgument(field + ": the weight after ':' must be a number, got '" + text + "'", field);
    }
    head.resize(colon);
  }
  variant["name"] = head;
  if (equals == std::string::npos) return variant;
  const std::string value = text.substr(equals + 1);
  switch (kind) {
    case chat::ExperimentKind::kFlow: {
      TROUPE_ASSIGN_OR_RETURN(variant["flow"], ReadVariantFile(value, field));
      break;
    }
    case chat::ExperimentKind::kPrompt: {
      TROUPE_ASSIGN_OR_RETURN(std::string prompt, ReadVariantFile(value, field));
      while (!prompt.empty() && (prompt.back() == '\n' || prompt.back() == '\r')) prompt.pop_back();
      variant["system_prompt"] = prompt;
      break;
    }
    case chat::ExperimentKind::kCharacter: {
      TROUPE_ASSIGN_OR_RETURN(store::Character character, FindCharacter(store, value));
      variant["character_id"] = character.id;
      break;
    }
  }
  return variant;
}

Status RunCreate(CommandContext& context, const ExperimentCreateFlags& flags) {
  const std::optional<chat::ExperimentKind> kind = chat::ParseExperimentKind(flags.kind);
  if (!kind) return InvalidArgument("--kind is flow, prompt or character; got '" + flags.kind + "'", "--kind");
  TROUPE_ASSIGN_OR_RETURN(CommandContext::MigratedStore migrated, context.ConnectAndMigrate());
  store::Store& store = *migrated.store;
  TROUPE_ASSIGN_OR_RETURN(store::Character character, FindCharacter(store, flags.character));
  nlohmann::json variants = nlohmann::json::array();
  for (size_t i = 0; i < flags.variants.size(); ++i) {
    TROUPE_ASSIGN_OR_RETURN(nlohmann::json variant, ParseVariantFlag(store, *kind, flags.variants[i], i));
    variants.push_back(std::move(variant));
  }
  store::ExperimentRecord experiment;
  experiment.character_id = character.id;
  experiment.name = flags.name;
  experiment.kind = flags.kind;
  experiment.metric = flags.metric;
  experiment.return_days = flags.return_days;
  experiment.planned_trials = flags.planned;
  experiment.variants_json = variants.dump();
  TROUPE_RETURN_IF_ERROR(chat::CheckExperiment(store, experiment));
  TROUPE_ASSIGN_OR_RETURN(store::ExperimentRecord created, store.experiments().Create(experiment));
  std::cout << "experiment=" << created.id << " status=" << store::ToString(created.status) << "\n";
  return Status::Ok();
}

nlohmann::json SummaryJson(const store::ExperimentRecord& experiment) {
  return {{"id", experiment.id},         {"character_id", experiment.character_id},
          {"name", experiment.name},     {"kind", experiment.kind},
          {"metric", experiment.metric}, {"status", std::string(store::ToString(experiment.status))},
          {"planned_trials", experiment.planned_trials}};
}

Status RunList(CommandContext& context, const ExperimentIdFlags& flags) {
  TROUPE_ASSIGN_OR_RETURN(CommandContext::MigratedStore migrated, context.ConnectAndMigrate());
  std::optional<int64_t> character_id;
  if (!flags.character.empty()) {
    TROUPE_ASSIGN_OR_RETURN(store::Character character, FindCharacter(*migrated.store, flags.character));
    character_id = character.id;
  }
  store::PageRequest page;
  page.limit = 500;
  do {
    TROUPE_ASSIGN_OR_RETURN(store::Page<store::ExperimentRecord> found,
                            migrated.store->experiments().List(character_id, page));
    for (const store::ExperimentRecord& experiment : found.items) {
      if (flags.json) {
        std::cout << SummaryJson(experiment).dump() << "\n";
      } else {
        std::cout << "experiment=" << experiment.id << " character=" << experiment.character_id
                  << " status=" << store::ToString(experiment.status) << " kind=" << experiment.kind
                  << " metric=" << experiment.metric << " name=" << nlohmann::json(experiment.name).dump() << "\n";
      }
    }
    page.cursor = found.next_cursor;
  } while (!page.cursor.empty());
  return Status::Ok();
}

Status RunMove(CommandContext& context, int64_t id, std::string_view action) {
  TROUPE_ASSIGN_OR_RETURN(CommandContext::MigratedStore migrated, context.ConnectAndMigrate());
  store::ExperimentRepository& experiments = migrated.store->experiments();
  if (action == "delete") {
    TROUPE_RETURN_IF_ERROR(experiments.Delete(id));
    std::cout << "experiment=" << id << " deleted\n";
    return Status::Ok();
  }
  TROUPE_ASSIGN_OR_RETURN(store::ExperimentRecord moved, action == "start" ? experiments.Start(id) : experiments.Stop(id));
  std::cout << "experiment=" << moved.id << " status=" << store::ToString(moved.status) << "\n";
  return Status::Ok();
}

std::string Number(const nlohmann::ordered_json& value, int decimals) {
  if (!value.is_number()) return "-";
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value.get<double>());
  return text;
}

Status RunReport(CommandContext& context, const ExperimentIdFlags& flags) {
  TROUPE_ASSIGN_OR_RETURN(CommandContext::MigratedStore migrated, context.ConnectAndMigrate());
  TROUPE_ASSIGN_OR_RETURN(store::ExperimentRecord experiment, migrated.store->experiments().Get(flags.id));
  TROUPE_ASSIGN_OR_RETURN(std::vector<store::ExperimentObservation> observations,
                          migrated.store->experiments().Observations(flags.id));
  TROUPE_ASSIGN_OR_RETURN(studio::ExperimentReport report,
                          studio::BuildExperimentReport(experiment, observations, SystemClock::Instance().NowMillis()));
  const nlohmann::ordered_json json = studio::ExperimentReportJson(report);
  if (flags.json) {
    std::cout << json.dump() << "\n";
    return Status::Ok();
  }
  for (const nlohmann::ordered_json& variant : json["variants"]) {
    const nlohmann::ordered_json& estimate = variant["estimate"];
    const nlohmann::ordered_json& compared = variant["against_control"];
    std::cout << "variant=" << variant["name"].get<std::string>() << " assigned=" << variant["assigned"]
              << " measured=" << variant["measured"] << " pending=" << variant["pending"]
              << " estimate=" << (estimate.is_null() ? "-" : Number(estimate["value"], 4))
              << " low=" << (estimate.is_null() ? "-" : Number(estimate["low"], 4))
              << " high=" << (estimate.is_null() ? "-" : Number(estimate["high"], 4))
              << " p=" << (compared.is_null() ? "-" : Number(compared["p_value"], 6))
              << " decision=" << (variant["decision"].is_null() ? "-" : variant["decision"].get<std::string>()) << "\n";
  }
  std::cout << report.summary << "\n";
  return Status::Ok();
}

void AddCreate(CLI::App& experiment, CommandContext& context) {
  auto flags = std::make_shared<ExperimentCreateFlags>();
  CLI::App* command = experiment.add_subcommand("create", "Store a draft experiment between variants of a character");
  command->add_option("--character", flags->character, "the character's id or slug")->required();
  command->add_option("--name", flags->name, "what the experiment tries")->required();
  command->add_option("--kind", flags->kind, "what the variants change: flow, prompt or character")->required();
  command->add_option("--metric", flags->metric, "the outcome: length, return, rating or resolution")->required();
  command->add_option("--variant", flags->variants,
                      "NAME[:WEIGHT][=VALUE], twice or more, the control first; VALUE is a flow YAML file, a "
                      "system-prompt text file or a character, by kind")
      ->required();
  command->add_option("--return-days", flags->return_days, "the return metric's window")->capture_default_str();
  command->add_option("--planned", flags->planned, "trials planned per variant (studio experiment plan); 0: none")
      ->capture_default_str();
  command->callback([&context, flags] {
    if (Status status = RunCreate(context, *flags); !status.ok()) context.Fail(status);
  });
}

void AddIdCommand(CLI::App& experiment, CommandContext& context, const std::string& name, const std::string& help) {
  auto flags = std::make_shared<ExperimentIdFlags>();
  CLI::App* command = experiment.add_subcommand(name, help);
  command->add_option("ID", flags->id, "the experiment's id")->required();
  if (name == "report") command->add_flag("--json", flags->json, "print the report as one JSON object");
  command->callback([&context, flags, name] {
    Status status = name == "report" ? RunReport(context, *flags) : RunMove(context, flags->id, name);
    if (!status.ok()) context.Fail(status);
  });
}

}  // namespace

void AddStoredExperimentCommands(CLI::App& experiment, CommandContext& context) {
  AddCreate(experiment, context);
  auto list = std::make_shared<ExperimentIdFlags>();
  CLI::App* list_command = experiment.add_subcommand("list", "The stored experiments, oldest first");
  list_command->add_option("--character", list->character, "only this character's (id or slug)");
  list_command->add_flag("--json", list->json, "one JSON object per line");
  list_command->callback([&context, list] {
    if (Status status = RunList(context, *list); !status.ok()) context.Fail(status);
  });
  AddIdCommand(experiment, context, "start", "Start a draft: new conversations with the character play a variant");
  AddIdCommand(experiment, context, "stop", "Stop a running experiment (assigned conversations keep their variant)");
  AddIdCommand(experiment, context, "delete", "Delete a draft or stopped experiment with its assignments");
  AddIdCommand(experiment, context, "report", "Each variant's outcome, the test against the control and the stop rule");
}

}  // namespace troupe::cli
