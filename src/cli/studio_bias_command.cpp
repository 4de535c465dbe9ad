// `troupe studio bias --character C`: the bias review (studio/bias_review.h) of a stored character:
// per attribute, conversations held by the runtime over a scratch store (studio/bias_conversations.h)
// that state the attribute and then send the built-in prompts (or --prompts FILE, one per line),
// compared with the reference variant's. Prints one table per dimension and,
// last, `flagged=N dimensions=D replies=R` (or one JSON object with --json). Progress on stderr;
// Ctrl-C stops (exit 130). Exit 0 whether or not something is flagged: the report is the result.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/character_replier.h"
#include "cli/commands.h"
#include "cli/interrupt.h"
#include "studio/bias_conversations.h"
#include "studio/bias_job.h"
#include "studio/bias_review.h"

namespace troupe::cli {
namespace {

struct BiasFlags {
  std::string character;
  std::string prompts;  // a file, one prompt per line; empty: the built-in ones
  int repeats = 2;  // the stage test needs two conversations a side
  int max_tokens = 64;
  double temperature = 0.7;  // replies must vary between repeats for the tests to mean anything
  bool json = false;
};

Result<std::vector<std::string>> ReadBiasPrompts(const std::string& path) {
  if (path.empty()) return studio::DefaultBiasPrompts();
  std::ifstream file(path);
  if (!file) return NotFound(path + ": cannot open the prompts file");
  std::vector<std::string> prompts;
  for (std::string line; std::getline(file, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") != std::string::npos) prompts.push_back(line);
  }
  if (prompts.empty()) return InvalidArgument(path + ": no prompt (one per line)", "--prompts");
  return prompts;
}

void PrintBiasReport(const studio::BiasReport& report) {
  int flagged = 0;
  int replies = 0;
  for (const studio::BiasDimensionReport& dimension : report.dimensions) {
    std::printf("%s (alpha per test %.4f)%s\n", dimension.name.c_str(), dimension.corrected_alpha,
                dimension.flagged ? "  FLAGGED" : "");
    std::printf("  %-12s %7s %6s %9s %8s %6s  %s\n", "variant", "replies", "words", "sentiment", "refusals",
                "stages", "p (length, sentiment, refusals, stages)");
    for (const studio::BiasVariantReport& variant : dimension.variants) {
      std::string p_values = variant.tests.empty() ? "reference" : "";
      for (const studio::BiasMetricTest& test : variant.tests) {
        char text[32];
        std::snprintf(text, sizeof(text), "%.4f%s ", test.p_value, test.flagged ? "*" : "");
        p_values += text;
      }
      std::printf("  %-12s %7d %6.1f %9.3f %8.3f %6.2f  %s\n", variant.label.c_str(), variant.replies,
                  variant.mean_words, variant.mean_sentiment, variant.refusal_rate, variant.mean_stages,
                  p_values.c_str());
      replies += variant.replies;
    }
    flagged += dimension.flagged ? 1 : 0;
  }
  std::printf("flagged=%d dimensions=%zu replies=%d\n", flagged, report.dimensions.size(), replies);
  std::fflush(stdout);
}

Status ReviewBias(CommandContext& context, const BiasFlags& flags) {
  TROUPE_ASSIGN_OR_RETURN(const config::LoadedConfig* loaded, context.Configuration());
  studio::BiasReviewOptions options;
  TROUPE_ASSIGN_OR_RETURN(options.prompts, ReadBiasPrompts(flags.prompts));
  options.dimensions = studio::DefaultBiasDimensions();
  options.repeats = flags.repeats;
  TROUPE_ASSIGN_OR_RETURN(CommandContext::MigratedStore migrated, context.ConnectAndMigrate());
  TROUPE_ASSIGN_OR_RETURN(store::Character character, FindCharacter(*migrated.store, flags.character));
  TROUPE_ASSIGN_OR_RETURN(CharacterReplier replier, MakeCharacterReplier(loaded->config, character));
  StopOnInterrupt stop;
  studio::BiasConversationOptions conversation_options;
  llm::ProviderRegistry* registry = replier.registry.get();
  conversation_options.providers = [registry](std::string_view name) { return registry->Find(name); };
  conversation_options.intent_catalogs_dir = std::filesystem::path(loaded->config.data_dir) / "intents";
  conversation_options.sampling.temperature = flags.temperature;
  conversation_options.sampling.max_tokens = flags.max_tokens;
  conversation_options.cancel = InterruptFlag();
  TROUPE_ASSIGN_OR_RETURN(std::unique_ptr<studio::ScratchBiasConversations> conversations,
                          studio::ScratchBiasConversations::Open(character, std::move(conversation_options)));
  const auto progress = [](int done, int total) {
    if (done % 10 == 0 || done == total) std::cerr << "troupe studio bias: " << done << "/" << total << " replies\n";
  };
  Result<studio::BiasReport> report = studio::RunBiasReview(options, conversations->Starter(), progress, InterruptFlag());
  if (InterruptRequested()) {
    std::cerr << "troupe studio bias: interrupted\n";
    context.exit_code = kInterruptedExitCode;
    return Status::Ok();
  }
  if (!report.ok()) return report.status();
  if (flags.json) {
    std::cout << studio::BiasReportJson(*report).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  }
  PrintBiasReport(*report);
  return Status::Ok();
}

}  // namespace

void AddStudioBiasCommand(CLI::App& studio, CommandContext& context) {
  auto flags = std::make_shared<BiasFlags>();
  CLI::App* command = studio.add_subcommand(
      "bias", "Review a character for bias: the same prompts with varied user attributes, replies compared");
  command->add_option("--character", flags->character, "character id or slug")->required();
  command->add_option("--prompts", flags->prompts, "prompts file, one per line (default: built-in prompts)");
  command->add_option("--repeats", flags->repeats, "conversations per variant (2 or more to test stages)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  command->add_option("--max-tokens", flags->max_tokens, "longest reply, in tokens")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  command->add_option("--temperature", flags->temperature, "sampling temperature")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 2.0));
  command->add_flag("--json", flags->json, "print the report as one JSON object before the result line");
  command->callback([&context, flags] {
    if (Status status = ReviewBias(context, *flags); !status.ok()) context.Fail(status);
  });
}

}  // namespace troupe::cli
