// `troupe studio generate --theme T --audience A --role R [--candidates N] [--seed S] [--save]
// [--json]`: generates characters through the configured provider (the local engine unless
// --provider names another), prints per candidate its name, role, age and the consistency
// findings, then the diversity of the batch; with --save each candidate becomes an unpublished
// (draft) character. Text bounds follow the provider's context (studio/character_steps.h
// LimitsForContext). Progress on stderr; Ctrl-C stops before the next step and saves nothing.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/interrupt.h"
#include "llm/local_model.h"
#include "llm/provider_registry.h"
#include "studio/candidate_diversity.h"
#include "studio/card_assembly.h"
#include "studio/consistency_check.h"
#include "studio/generation_report.h"

namespace troupe::cli {
namespace {

struct StudioGenerateFlags {
  std::string theme;
  std::string audience;
  std::string role;
  std::string provider;  // "" = the configured default
  int candidates = 1;
  uint64_t seed = 1;
  double temperature = 0.9;
  bool regenerate = false;
  bool save = false;
  bool json = false;
};

std::string GenerateQuoted(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void PrintGeneratedText(const std::vector<studio::GeneratedCandidate>& candidates, const studio::CandidateBatch& batch) {
  for (size_t i = 0; i < candidates.size(); ++i) {
    const studio::ConceptStep& concept_step = *candidates[i].draft.concept_step;
    std::cout << "candidate=" << i + 1 << " name=" << GenerateQuoted(concept_step.name)
              << " role=" << studio::RoleName(candidates[i].draft.brief.role) << " age=" << concept_step.age
              << " minor=" << (concept_step.age < studio::kAdultAge ? "yes" : "no");
    if (candidates[i].saved) std::cout << " id=" << candidates[i].saved->id << " slug=" << candidates[i].saved->slug;
    std::cout << "\n";
    for (const studio::ConsistencyFinding& finding : candidates[i].findings) {
      std::cout << "  consistency " << studio::SeverityName(finding.severity) << " " << finding.field << ": "
                << GenerateQuoted(finding.message) << "\n";
    }
  }
  for (const studio::CandidatePair& pair : batch.diversity.pairs) {
    std::cout << "diversity " << pair.first + 1 << "-" << pair.second + 1 << " same_name=" << (pair.same_name ? "yes" : "no")
              << " traits=" << nlohmann::json(pair.trait_overlap).dump() << " text=" << nlohmann::json(pair.text_similarity).dump()
              << " near_copy=" << (pair.near_copy ? "yes" : "no") << "\n";
  }
  std::cout << std::flush;
}

void ReportGenerateProgress(const studio::GenerationProgress& progress) {
  std::cerr << "troupe studio generate: candidate " << progress.candidate_number << "/" << progress.candidate_count
            << " step " << progress.step_number << "/" << progress.step_count << " " << studio::StepName(progress.step);
  if (progress.attempt > 1) std::cerr << " (attempt " << progress.attempt << ")";
  std::cerr << "\n";
}

Status RunStudioGenerate(CommandContext& context, const StudioGenerateFlags& flags) {
  studio::GenerationBrief brief;
  brief.theme = flags.theme;
  brief.audience = flags.audience;
  TROUPE_ASSIGN_OR_RETURN(brief.role, studio::ParseRole(flags.role, "--role"));
  Status brief_ok = studio::CheckBrief(brief);
  if (!brief_ok.ok()) return InvalidArgument("--" + brief_ok.message(), "--" + brief_ok.field());
  if (flags.candidates < 1 || flags.candidates > 20) {
    return InvalidArgument("--candidates must be 1..20, got " + std::to_string(flags.candidates), "--candidates");
  }
  TROUPE_ASSIGN_OR_RETURN(const config::LoadedConfig* loaded, context.Configuration());
  std::unique_ptr<store::Store> database;
  if (flags.save) {
    TROUPE_ASSIGN_OR_RETURN(CommandContext::MigratedStore migrated, context.ConnectAndMigrate());
    database = std::move(migrated.store);
  }
  TROUPE_ASSIGN_OR_RETURN(llm::ConfiguredModel local, llm::LoadConfiguredModel(loaded->config));
  TROUPE_ASSIGN_OR_RETURN(std::unique_ptr<llm::ProviderRegistry> registry,
                          llm::BuildProviderRegistry(loaded->config, local.model, local.missing_hint, local.draft));
  TROUPE_ASSIGN_OR_RETURN(llm::Provider * provider, registry->Find(flags.provider));

  StopOnInterrupt stop;
  studio::GeneratorOptions options;
  options.limits = studio::LimitsForContext(provider->info().context_length);
  options.seed = flags.seed;
  options.temperature = flags.temperature;
  options.cancel = InterruptFlag();
  options.on_progress = ReportGenerateProgress;
  studio::CharacterGenerator generator(*provider, options);
  Result<studio::CandidateBatch> batch = studio::GenerateCandidates(generator, brief, flags.candidates, flags.regenerate);
  if (InterruptRequested()) {
    std::cerr << "troupe studio generate: interrupted; nothing saved\n";
    context.exit_code = kInterruptedExitCode;
    return Status::Ok();
  }
  if (!batch.ok()) return batch.status();

  std::vector<studio::GeneratedCandidate> candidates = studio::ReviewCandidates(std::move(batch->candidates));
  if (database) {
    for (studio::GeneratedCandidate& candidate : candidates) {
      TROUPE_ASSIGN_OR_RETURN(candidate.saved, studio::SaveDraftCharacter(*database, candidate.draft));
    }
  }
  if (flags.json) {
    std::cout << studio::BatchJson(candidates, *batch).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
              << std::endl;
    return Status::Ok();
  }
  PrintGeneratedText(candidates, *batch);
  return Status::Ok();
}

}  // namespace

void AddStudioGenerateCommand(CLI::App& studio, CommandContext& context) {
  auto flags = std::make_shared<StudioGenerateFlags>();
  CLI::App* generate = studio.add_subcommand(
      "generate", "Generate characters (concept, background, speech, greetings, image prompt) as draft cards");
  generate->add_option("--theme", flags->theme, "what the character is about")->required();
  generate->add_option("--audience", flags->audience, "who will chat with it")->required();
  generate->add_option("--role", flags->role, "companion, advisor, mascot or support")->required();
  generate->add_option("--candidates", flags->candidates, "how many characters to make (1..20)")->capture_default_str();
  generate->add_option("--seed", flags->seed, "sampling seed (candidate i uses seed + i)")->capture_default_str();
  generate->add_option("--temperature", flags->temperature, "sampling temperature")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 2.0));
  generate->add_option("--provider", flags->provider, "a configured provider's name (default: the default one)");
  generate->add_flag("--regenerate-near-copies", flags->regenerate, "make each near-copy once more");
  generate->add_flag("--save", flags->save, "store each candidate as an unpublished (draft) character");
  generate->add_flag("--json", flags->json, "print one JSON object (with each candidate's V3 card)");
  generate->callback([&context, flags] {
    Status status = RunStudioGenerate(context, *flags);
    if (!status.ok()) context.Fail(status);
  });
}

}  // namespace troupe::cli
