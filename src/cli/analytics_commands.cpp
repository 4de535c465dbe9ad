// `troupe analytics ...`: the analytics lab's models over files, from the operator's shell. Each
// model's subcommands live in their own file and are added to the group here.
#include "cli/commands.h"

namespace troupe::cli {

void AddAnalyticsCommands(CLI::App& app, CommandContext& context) {
  CLI::App* analytics = app.add_subcommand("analytics", "Analyse messages: sentiment, topics");
  analytics->require_subcommand(1);
  (void)context;
}

}  // namespace troupe::cli
