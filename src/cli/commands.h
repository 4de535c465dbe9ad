// Each command group adds its subcommands to the app. Internal to src/cli.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace troupe::cli {

void AddServeCommand(CLI::App& app, CommandContext& context);
void AddVersionCommand(CLI::App& app, CommandContext& context);
void AddConfigCommands(CLI::App& app, CommandContext& context);
void AddDatabaseCommands(CLI::App& app, CommandContext& context);
void AddKeyCommands(CLI::App& app, CommandContext& context);
void AddCharacterCommands(CLI::App& app, CommandContext& context);
void AddChatCommand(CLI::App& app, CommandContext& context);
void AddModelCommands(CLI::App& app, CommandContext& context);
void AddGenerateCommands(CLI::App& app, CommandContext& context);
void AddBenchCommand(CLI::App& app, CommandContext& context);
void AddIntentsCommands(CLI::App& app, CommandContext& context);
void AddUserCommands(CLI::App& app, CommandContext& context);
void AddKpisCommand(CLI::App& app, CommandContext& context);
// `analytics`, whose subcommands each model's file adds (analytics_commands.cpp).
void AddAnalyticsCommands(CLI::App& app, CommandContext& context);
// `analytics outcomes` (outcomes_command.cpp).
void AddOutcomesCommand(CLI::App& analytics, CommandContext& context);
// `eval bleu|chrf|rouge`: the evaluation metrics over files (eval_commands.cpp).
void AddEvalCommands(CLI::App& app, CommandContext& context);
// `eval --character C --dataset D` on the `eval` group itself (eval_character_command.cpp), and
// `eval runs` and `eval diff` (eval_runs_command.cpp).
void AddEvalCharacterCommand(CLI::App& eval, CommandContext& context);
void AddEvalRunsCommands(CLI::App& eval, CommandContext& context);
// `studio`, whose pipelines each add their subcommands (studio_commands.cpp).
void AddStudioCommands(CLI::App& app, CommandContext& context);
// `studio speak`: espeak-ng speech into an audio file (studio_speak_command.cpp).
void AddStudioSpeakCommand(CLI::App& studio, CommandContext& context);
// `studio avatar`: a character's offline avatar as a PNG (studio_avatar_command.cpp).
void AddStudioAvatarCommand(CLI::App& studio, CommandContext& context);
// `studio bias` (studio_bias_command.cpp).
void AddStudioBiasCommand(CLI::App& studio, CommandContext& context);
// `studio generate`: character generation into draft cards (studio_generate_command.cpp).
void AddStudioGenerateCommand(CLI::App& studio, CommandContext& context);
// `troupe studio experiment create|list|start|stop|delete|report` (studio_experiment_commands.cpp).
void AddStoredExperimentCommands(CLI::App& experiment, CommandContext& context);
// `troupe studio flow generate|optimize` (studio_flow_commands.cpp).
void AddStudioFlowCommands(CLI::App& studio, CommandContext& context);
// `analytics topics`, added to the `analytics` subcommand by AddAnalyticsCommands.
void AddTopicsCommand(CLI::App& analytics, CommandContext& context);
// `analytics sentiment`, added to the `analytics` subcommand by AddAnalyticsCommands.
void AddSentimentCommand(CLI::App& analytics, CommandContext& context);
// `users import`, added to the `users` subcommand by AddUserCommands.
void AddUserImportCommand(CLI::App& users, CommandContext& context);
void AddSegmentCommands(CLI::App& app, CommandContext& context);
// `models pull` and `models list`, added to the `models` subcommand by AddModelCommands.
void AddPullCommands(CLI::App& models, CommandContext& context);

// Registers a flag whose value, when given, overrides the config setting `key`.
CLI::Option* AddSettingFlag(CLI::App& command, CommandContext& context, const std::string& flag,
                            const std::string& key, const std::string& description);

// A character by id (all digits) or slug; kNotFound names the argument CHARACTER.
Result<store::Character> FindCharacter(store::Store& store, const std::string& id_or_slug);

}  // namespace troupe::cli
