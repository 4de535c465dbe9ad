// `troupe analytics ...`: the analytics lab's models over files, from the operator's shell. Each
// model's subcommands live in their own file and are added to the group here.
#include "cli/commands.h"

namespace troupe::cli {

void AddAnalyticsCommands(CLI::App& app, CommandContext& context) {
  CLI::App* analytics = app.add_subcommand("analytics", "Analyse messages and conversations: sentiment, topics, outcomes");
  analytics->require_subcommand(1);
  AddOutcomesCommand(*analytics, context);
  AddTopicsCommand(*analytics, context);
  AddSentimentCommand(*analytics, context);
}

}  // namespace troupe::cli
