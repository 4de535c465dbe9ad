#include "cli/cli.h"

#include <iostream>

#include "base/build_info.h"
#include "cli/commands.h"

namespace troupe::cli {

CLI::Option* AddSettingFlag(CLI::App& command, CommandContext& context, const std::string& flag,
                            const std::string& key, const std::string& description) {
  return command.add_option_function<std::string>(
      "--" + flag,
      [&context, key, flag](const std::string& value) { context.flags.Set(key, "--" + flag, value); },
      description + " (config: " + key + ")");
}

int Run(int argc, char** argv) {
  CommandContext context;
  CLI::App app("Troupe: AI characters that hold conversations, and a studio that makes them.",
               "troupe");
  app.set_version_flag("--version", std::string(Version()));
  app.require_subcommand(1);
  app.fallthrough();  // global flags may follow the subcommand: `troupe serve --data /srv`

  app.add_option("-c,--config", context.config_file, "YAML configuration file (env: TROUPE_CONFIG)");
  AddSettingFlag(app, context, "data", "data_dir", "data directory (env: TROUPE_DATA)");
  AddSettingFlag(app, context, "database", "store.url", "database URL: sqlite://PATH or postgres://...");
  AddSettingFlag(app, context, "log-level", "log.level", "trace, debug, info, warn, error or off");

  AddServeCommand(app, context);
  AddVersionCommand(app, context);
  AddConfigCommands(app, context);
  AddDatabaseCommands(app, context);
  AddKeyCommands(app, context);
  AddUserCommands(app, context);
  AddKpisCommand(app, context);
  AddSegmentCommands(app, context);
  AddCharacterCommands(app, context);
  AddChatCommand(app, context);
  AddModelCommands(app, context);
  AddGenerateCommands(app, context);
  AddBenchCommand(app, context);
  AddIntentsCommands(app, context);
  AddAnalyticsCommands(app, context);
  AddEvalCommands(app, context);
  AddStudioCommands(app, context);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForVersion& version) {
    return app.exit(version);
  } catch (const CLI::ParseError& error) {
    std::cerr << "troupe: error: " << error.what() << "\nRun 'troupe --help' for usage.\n";
    return 1;
  }
  return context.exit_code;
}

}  // namespace troupe::cli
