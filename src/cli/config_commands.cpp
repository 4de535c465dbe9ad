#include <iostream>

#include "cli/commands.h"

namespace troupe::cli {

void AddConfigCommands(CLI::App& app, CommandContext& context) {
  CLI::App* group = app.add_subcommand("config", "Inspect the configuration");
  group->require_subcommand(1);

  CLI::App* show = group->add_subcommand(
      "show", "Print the effective configuration (file, then TROUPE_* environment, then flags), "
              "secrets masked, each value with where it came from");
  show->callback([&context] {
    Result<const config::LoadedConfig*> loaded = context.Configuration();
    if (!loaded.ok()) {
      context.Fail(loaded.status());
      return;
    }
    std::cout << config::Render(**loaded);
  });
}

}  // namespace troupe::cli
