// `troupe chat CHARACTER`: a conversation in the terminal with the in-process runtime and the local
// model, the same pipeline the API runs (flow, prompt, split replies, storage). Each line of stdin
// is the user's message; the character's messages stream to stdout, one paragraph-message per
// block; the stage and mood changes, voice messages and pictures (the files written under
// <data_dir>/media) and statistics go to stderr. `--conversation ID` continues a stored conversation.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "chat/experiments.h"
#include "chat/runtime.h"
#include "cli/commands.h"
#include "cli/interrupt.h"
#include "cli/reply_media_config.h"
#include "llm/local_model.h"
#include "llm/local_provider.h"

namespace troupe::cli {
namespace {


struct ChatOptions {
  std::string character;  // id or slug
  std::optional<int64_t> conversation;
  std::string user = "cli";  // the end user's external id
  std::string name;          // how the character calls the user ("" = the user's display name)
  bool typing = true;
};

Result<store::User> FindOrCreateUser(store::Store& database, const ChatOptions& options) {
  Result<store::User> user = database.users().GetByExternalId(options.user);
  if (user.ok() || user.status().code() != StatusCode::kNotFound) return user;
  store::User fresh;
  fresh.external_id = options.user;
  fresh.display_name = options.name;
  return database.users().Create(fresh);
}

// "[voice message: PATH, 2.1 s]", "[picture: PATH]", or why the medium failed: a terminal cannot
// play or show them, so it says where they are.
std::string MediumLine(const chat::MediaEvent& event, const std::filesystem::path& media_dir) {
  const nlohmann::json metadata = nlohmann::json::parse(event.message.metadata_json, nullptr, false);
  nlohmann::json medium;
  if (metadata.is_object() && metadata.contains("media") && metadata["media"].is_array() && event.media_index >= 0 &&
      static_cast<size_t>(event.media_index) < metadata["media"].size()) {
    medium = metadata["media"][static_cast<size_t>(event.media_index)];
  }
  if (!medium.is_object()) return "[a medium the message does not list]";
  const std::string kind = medium.value("kind", "medium") == "voice" ? "voice message" : "picture";
  if (medium.contains("error")) return "[" + kind + " failed: " + medium["error"].value("message", "") + "]";
  Result<std::filesystem::path> path =
      chat::MediaFilePath(media_dir, event.message.conversation_id, event.message.id,
                          medium.value("file", event.media_index), medium.value("mime_type", ""));
  if (!path.ok()) return "[" + kind + ": " + path.status().message() + "]";
  std::string line = "[" + kind + ": " + path->string();
  if (const int64_t ms = medium.value("duration_ms", int64_t{0}); ms > 0) {
    char seconds[32];
    std::snprintf(seconds, sizeof(seconds), ", %.1f s", static_cast<double>(ms) / 1000.0);
    line += seconds;
  }
  return line + "]";
}

// Prints a turn's events: text as it streams, a blank line between messages.
chat::TurnSink Printer(const store::Conversation& before, const std::filesystem::path& media_dir) {
  auto stage = std::make_shared<std::string>(before.stage);
  return [stage, media_dir](const chat::TurnEvent& event) {
    if (const auto* start = std::get_if<chat::MessageStartEvent>(&event)) {
      if (!start->stage.empty() && start->stage != *stage) {
        std::cerr << "[stage: " << start->stage << (start->mood.empty() ? "" : ", mood: " + start->mood) << "]\n";
        *stage = start->stage;
      }
      if (start->message_index > 0) std::cout << "\n";
    } else if (const auto* delta = std::get_if<chat::DeltaEvent>(&event)) {
      std::cout << delta->text << std::flush;
    } else if (std::holds_alternative<chat::MessageEndEvent>(event)) {
      std::cout << "\n" << std::flush;
    } else if (const auto* call = std::get_if<chat::ToolCallEvent>(&event)) {
      std::cerr << "[tool " << call->tool << " " << call->arguments_json
                << (call->needs_confirmation ? ", waiting for your yes" : "") << "]\n";
    } else if (const auto* result = std::get_if<chat::ToolResultEvent>(&event)) {
      std::cerr << "[tool " << result->tool << ": " << result->outcome
                << (result->error.empty() ? "" : " (" + result->error + ")") << "]\n";
    } else if (const auto* medium = std::get_if<chat::MediaEvent>(&event)) {
      std::cerr << MediumLine(*medium, media_dir) << "\n";
    } else if (const auto* failure = std::get_if<chat::ErrorEvent>(&event)) {
      std::cerr << "[error: " << failure->error.message() << "]\n";
    } else if (const auto* done = std::get_if<chat::DoneEvent>(&event)) {
      std::cerr << "[" << done->usage.prompt_tokens << " prompt tokens, " << done->usage.completion_tokens
                << " generated]\n";
    }
  };
}

void Chat(CommandContext& context, const ChatOptions& options) {
  Result<const config::LoadedConfig*> loaded = context.Configuration();
  if (!loaded.ok()) {
    context.Fail(loaded.status());
    return;
  }
  const config::Config& config = (*loaded)->config;
  Result<CommandContext::MigratedStore> migrated = context.ConnectAndMigrate();
  if (!migrated.ok()) {
    context.Fail(migrated.status());
    return;
  }
  store::Store& database = *migrated->store;
  Result<store::Character> character = FindCharacter(database, options.character);
  if (!character.ok()) {
    context.Fail(character.status());
    return;
  }
  Result<llm::ConfiguredModel> local = llm::LoadConfiguredModel(config);
  if (!local.ok()) {
    context.Fail(local.status());
    return;
  }
  if (!local->model) {
    context.Fail(Status(StatusCode::kUnavailable, local->missing_hint, "model.path"));
    return;
  }
  llm::LocalProviderOptions provider_options;
  provider_options.context_length = config.model.context_length;
  provider_options.kv_cache_bytes = static_cast<uint64_t>(config.model.kv_cache_bytes);
  provider_options.kv_cache_type = config.model.kv_cache_type;
  provider_options.draft = local->draft;
  provider_options.draft_tokens = config.model.draft_tokens;
  Result<std::unique_ptr<llm::Provider>> made = llm::MakeLocalProvider(local->model, provider_options);
  if (!made.ok()) {
    context.Fail(made.status());
    return;
  }
  std::unique_ptr<llm::Provider> provider = std::move(*made);
  chat::RuntimeOptions runtime_options;
  runtime_options.intent_catalogs_dir = std::filesystem::path(config.data_dir) / "intents";
  Result<std::shared_ptr<chat::ReplyMedia>> reply_media = ReplyMediaFrom(config);
  if (!reply_media.ok()) {
    context.Fail(reply_media.status());
    return;
  }
  runtime_options.reply_media = std::move(*reply_media);
  runtime_options.media_dir = std::filesystem::path(config.data_dir) / "media";
  const std::filesystem::path media_dir = runtime_options.media_dir;
  chat::ChatRuntime runtime(
      database, [&provider](std::string_view) -> Result<llm::Provider*> { return provider.get(); },
      std::move(runtime_options));

  Result<store::User> user = FindOrCreateUser(database, options);
  if (!user.ok()) {
    context.Fail(user.status().WithContext("--user"));
    return;
  }
  store::Conversation conversation;
  if (options.conversation) {
    Result<store::Conversation> existing = database.conversations().Get(*options.conversation);
    if (!existing.ok()) {
      context.Fail(existing.status().WithContext("--conversation"));
      return;
    }
    conversation = *existing;
  } else {
    conversation.user_id = user->id;
    conversation.character_id = character->id;
    conversation.title = "terminal chat";
    Result<chat::StartedConversation> started = chat::StartConversation(database, conversation);
    if (!started.ok()) {
      context.Fail(started.status());
      return;
    }
    conversation = started->conversation;
  }
  std::cerr << "[" << character->name << ", conversation " << conversation.id << "; end with Ctrl-D]\n";

  chat::TurnOptions turn;
  turn.typing_delays = options.typing;
  turn.user_name = options.name;
  // Ctrl-C stops the reply being written, not the program.
  StopOnInterrupt stop_on_interrupt;
  turn.cancel = InterruptFlag();
  auto report = [&](const Status& status) {
    if (!status.ok()) std::cerr << "troupe: error: " << status.message() << "\n";
  };
  report(runtime.Open(conversation.id, 0, turn, Printer(conversation, media_dir)).status());
  const bool interactive = isatty(fileno(stdin)) != 0;
  std::string line;
  while (true) {
    if (interactive) std::cerr << "> " << std::flush;
    if (!std::getline(std::cin, line)) break;
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    ResetInterrupt();
    Result<store::Message> stored = runtime.AddUserMessage(conversation.id, line);
    if (!stored.ok()) {
      context.Fail(stored.status());
      return;
    }
    Result<store::Conversation> before = database.conversations().Get(conversation.id);
    report(runtime.Reply(conversation.id, turn, Printer(before.ok() ? *before : conversation, media_dir)).status());
  }
}

}  // namespace

void AddChatCommand(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<ChatOptions>();
  CLI::App* command = app.add_subcommand(
      "chat", "Talk with a character in the terminal (local model; each line of stdin is a message)");
  command->add_option("CHARACTER", options->character, "id or slug")->required();
  command->add_option("--conversation", options->conversation, "continue this conversation instead of starting one");
  command->add_option("--user", options->user, "the end user's external id (default: cli)");
  command->add_option("--name", options->name, "what the character calls you (default: the user's display name)");
  command->add_flag("!--no-typing", options->typing, "show later messages at once, without typing pauses");
  AddSettingFlag(*command, context, "model", "model.path", "GGUF model to run (env: TROUPE_MODEL)");
  command->callback([&context, options] { Chat(context, *options); });
}

}  // namespace troupe::cli
