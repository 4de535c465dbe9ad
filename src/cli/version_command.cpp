#include <iostream>

#include "base/build_info.h"
#include "cli/commands.h"

namespace troupe::cli {

void AddVersionCommand(CLI::App& app, CommandContext& /*context*/) {
  CLI::App* command = app.add_subcommand("version", "Print the version and the commit it was built from");
  command->callback([] {
    std::cout << "troupe " << Version() << " (commit " << GitCommit() << ", " << BuildType() << ")\n";
  });
}

}  // namespace troupe::cli
