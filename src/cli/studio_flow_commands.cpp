// `troupe studio flow generate|optimize`: the flow pipelines from the shell, run as the API's jobs
// run them (studio/flow_jobs.h) but in the foreground, with progress on stderr and Ctrl-C to stop.
//   generate --topic T --goal G [--minor] [--min-stages 5] [--max-stages 7] [--seed S]
//            [--temperature T] [--provider NAME] [--json]: prints the flow's YAML (or the job's
//            result as JSON).
//   optimize --character ID|SLUG [--from DAY] [--to DAY] [--max-edits N] [--seed S] [--provider NAME]
//            [--apply] [--json]: prints each edit (`edit stage=... messages_at_least=... reason="..."`)
//            and the unified diff; --apply saves the optimized flow as the character's.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "base/clock.h"
#include "cli/commands.h"
#include "cli/interrupt.h"
#include "llm/local_model.h"
#include "llm/provider_registry.h"
#include "studio/flow_jobs.h"

namespace troupe::cli {
namespace {

struct FlowGenerateFlags {
  std::string topic;
  std::string goal;
  bool minor = false;
  int min_stages = 5;
  int max_stages = 7;
  uint64_t seed = 1;
  double temperature = 0.9;
  std::string provider;
  bool json = false;
};

struct FlowOptimizeFlags {
  std::string character;
  std::string from;
  std::string to;
  int max_edits = 3;
  uint64_t seed = 1;
  std::string provider;
  bool apply = false;
  bool json = false;
};

// The configured providers, kept alive with the model they may use.
struct LoadedProviders {
  llm::ConfiguredModel local;
  std::unique_ptr<llm::ProviderRegistry> registry;
};

Result<LoadedProviders> LoadProviders(CommandContext& context) {
  TROUPE_ASSIGN_OR_RETURN(const config::LoadedConfig* loaded, context.Configuration());
  LoadedProviders providers;
  TROUPE_ASSIGN_OR_RETURN(providers.local, llm::LoadConfiguredModel(loaded->config));
  TROUPE_ASSIGN_OR_RETURN(providers.registry, llm::BuildProviderRegistry(loaded->config, providers.local.model,
                                                                         providers.local.missing_hint,
                                                                         providers.local.draft));
  return providers;
}

// Progress on stderr; Ctrl-C stops the job at its next attempt.
studio::JobHooks ShellHooks(const std::string& command) {
  studio::JobHooks hooks;
  hooks.report_progress = [command](double progress) {
    std::cerr << "troupe studio flow " << command << ": " << static_cast<int>(progress * 100) << "%\n";
    return !InterruptRequested();
  };
  return hooks;
}

store::Job ForegroundJob(std::string_view kind, const nlohmann::json& payload) {
  store::Job job;
  job.kind = std::string(kind);
  job.payload_json = payload.dump();
  return job;
}

Status RunFlowGenerate(CommandContext& context, const FlowGenerateFlags& flags) {
  const nlohmann::json request = {{"topic", flags.topic},         {"goal", flags.goal},
                                  {"minor", flags.minor},         {"min_stages", flags.min_stages},
                                  {"max_stages", flags.max_stages}, {"seed", flags.seed},
                                  {"temperature", flags.temperature}, {"provider", flags.provider}};
  Result<nlohmann::json> payload = studio::CheckGenerateFlowPayload(request);
  if (!payload.ok()) return InvalidArgument("--" + payload.status().message(), "--" + payload.status().field());
  TROUPE_ASSIGN_OR_RETURN(LoadedProviders providers, LoadProviders(context));
  StopOnInterrupt stop;
  Result<nlohmann::json> result = studio::RunGenerateFlowJob(
      ForegroundJob(studio::kGenerateFlowJob, *payload),
      [&providers](std::string_view name) { return providers.registry->Find(name); }, ShellHooks("generate"));
  if (InterruptRequested()) {
    std::cerr << "troupe studio flow generate: interrupted\n";
    context.exit_code = kInterruptedExitCode;
    return Status::Ok();
  }
  if (!result.ok()) return result.status();
  if (flags.json) {
    std::cout << result->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  } else {
    std::cout << (*result)["flow"].get<std::string>() << std::flush;
  }
  return Status::Ok();
}

void PrintProposal(const nlohmann::json& result) {
  for (const nlohmann::json& edit : result["edits"]) {
    std::cout << "edit stage=" << edit["stage"].get<std::string>()
              << " prompt=" << (edit["prompt"].get<std::string>().empty() ? "kept" : "changed")
              << " messages_at_least=" << (edit["messages_at_least"].is_null() ? "kept" : edit["messages_at_least"].dump())
              << " reason=" << edit["reason"].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
  std::cout << result["diff"].get<std::string>() << std::flush;
}

Status SaveOptimizedFlow(store::Store& store, store::Character character, const nlohmann::json& result) {
  character.flow = result["flow_after"].get<std::string>();
  TROUPE_ASSIGN_OR_RETURN(store::Character updated, store.characters().Update(std::move(character)));
  store::AuditEntry entry;
  entry.actor = "cli";
  entry.action = "character.flow_optimized";
  entry.target_type = "character";
  entry.target_id = std::to_string(updated.id);
  entry.details_json = nlohmann::json{{"edits", result["edits"].size()}}.dump();
  TROUPE_RETURN_IF_ERROR(store.audit().Record(entry).status());
  std::cerr << "troupe studio flow optimize: saved as the flow of character " << updated.id << " (" << updated.slug
            << ")\n";
  return Status::Ok();
}

Status RunFlowOptimize(CommandContext& context, const FlowOptimizeFlags& flags) {
  TROUPE_ASSIGN_OR_RETURN(CommandContext::MigratedStore migrated, context.ConnectAndMigrate());
  store::Store& store = *migrated.store;
  TROUPE_ASSIGN_OR_RETURN(store::Character character, FindCharacter(store, flags.character));
  const nlohmann::json request = {{"character_id", character.id}, {"from", flags.from},
                                  {"to", flags.to},               {"max_edits", flags.max_edits},
                                  {"seed", flags.seed},           {"provider", flags.provider}};
  Result<nlohmann::json> payload = studio::CheckOptimizeFlowPayload(request, SystemClock::Instance().NowMillis());
  if (!payload.ok()) return InvalidArgument("--" + payload.status().message(), "--" + payload.status().field());
  TROUPE_ASSIGN_OR_RETURN(LoadedProviders providers, LoadProviders(context));
  StopOnInterrupt stop;
  Result<nlohmann::json> result = studio::RunOptimizeFlowJob(
      ForegroundJob(studio::kOptimizeFlowJob, *payload),
      [&providers](std::string_view name) { return providers.registry->Find(name); }, store, ShellHooks("optimize"));
  if (InterruptRequested()) {
    std::cerr << "troupe studio flow optimize: interrupted; nothing saved\n";
    context.exit_code = kInterruptedExitCode;
    return Status::Ok();
  }
  if (!result.ok()) return result.status();
  if (flags.apply) TROUPE_RETURN_IF_ERROR(SaveOptimizedFlow(store, std::move(character), *result));
  if (flags.json) {
    std::cout << result->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  } else {
    PrintProposal(*result);
  }
  return Status::Ok();
}

void AddFlowGenerate(CLI::App& flow, CommandContext& context) {
  auto flags = std::make_shared<FlowGenerateFlags>();
  CLI::App* command = flow.add_subcommand("generate", "Generate a flow (stages, prompts, transitions) from a topic and a goal");
  command->add_option("--topic", flags->topic, "what the conversations are about")->required();
  command->add_option("--goal", flags->goal, "where the flow should lead the user")->required();
  command->add_flag("--minor", flags->minor, "for a character under 18: friendship only, checked by the safety gate");
  command->add_option("--min-stages", flags->min_stages, "fewest stages (2..12)")->capture_default_str();
  command->add_option("--max-stages", flags->max_stages, "most stages (2..12)")->capture_default_str();
  command->add_option("--seed", flags->seed, "sampling seed")->capture_default_str();
  command->add_option("--temperature", flags->temperature, "sampling temperature")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 2.0));
  command->add_option("--provider", flags->provider, "a configured provider's name (default: the default one)");
  command->add_flag("--json", flags->json, "print the result as one JSON object (flow, stages, the model's reply)");
  command->callback([&context, flags] {
    if (Status status = RunFlowGenerate(context, *flags); !status.ok()) context.Fail(status);
  });
}

void AddFlowOptimize(CLI::App& flow, CommandContext& context) {
  auto flags = std::make_shared<FlowOptimizeFlags>();
  CLI::App* command = flow.add_subcommand(
      "optimize", "Propose edits to a character's flow from how its stages perform in the stored conversations");
  command->add_option("--character", flags->character, "the character's id or slug")->required();
  command->add_option("--from", flags->from, "first day of conversations to learn from, YYYY-MM-DD (default: 29 days before --to)");
  command->add_option("--to", flags->to, "last day, YYYY-MM-DD (default: today, UTC)");
  command->add_option("--max-edits", flags->max_edits, "most edits to propose (1..10)")->capture_default_str();
  command->add_option("--seed", flags->seed, "sampling seed")->capture_default_str();
  command->add_option("--provider", flags->provider, "a configured provider's name (default: the default one)");
  command->add_flag("--apply", flags->apply, "save the optimized flow as the character's flow");
  command->add_flag("--json", flags->json, "print the proposal as one JSON object");
  command->callback([&context, flags] {
    if (Status status = RunFlowOptimize(context, *flags); !status.ok()) context.Fail(status);
  });
}

}  // namespace

void AddStudioFlowCommands(CLI::App& studio, CommandContext& context) {
  CLI::App* flow = studio.add_subcommand("flow", "Generate and optimize conversation flows");
  flow->require_subcommand(1);
  AddFlowGenerate(*flow, context);
  AddFlowOptimize(*flow, context);
}

}  // namespace troupe::cli
