#include "chat/completion.h"

#include <nlohmann/json.hpp>

#include "chat/flow.h"
#include "chat/lorebook.h"
#include "chat/macros.h"
#include "chat/prompt.h"
#include "chat/reply_style.h"

namespace troupe::chat {
namespace {

std::optional<store::MessageRole> RoleFrom(const std::string& role) {
  if (role == "user") return store::MessageRole::kUser;
  if (role == "assistant") return store::MessageRole::kAssistant;
  if (role == "system" || role == "developer") return store::MessageRole::kSystem;
  return std::nullopt;
}

}  // namespace

std::string ProviderNameFor(const store::Character& character) {
  const nlohmann::json extensions = nlohmann::json::parse(character.extensions_json, nullptr, false);
  if (extensions.is_object()) {
    auto troupe = extensions.find("troupe");
    if (troupe != extensions.end() && troupe->is_object()) {
      auto provider = troupe->find("provider");
      if (provider != troupe->end() && provider->is_string()) return provider->get<std::string>();
    }
  }
  return "";
}

Result<llm::ChatResult> CompleteAsCharacter(const CompletionRequest& request, llm::Provider& provider,
                                            const llm::ChatCallbacks& callbacks) {
  const store::Character& character = *request.character;
  if (request.messages.empty()) {
    return Status(StatusCode::kInvalidArgument, "messages must hold at least one message", "messages");
  }
  // The stage the conversation's length reaches.
  Flow flow = DefaultFlow();
  if (character.flow.find_first_not_of(" \t\r\n") != std::string::npos) {
    TROUPE_ASSIGN_OR_RETURN(flow, ParseFlow(character.flow));
  }
  bool verbatim = false;
  std::vector<store::Message> history;
  ConversationSignals signals;
  for (const llm::ChatMessage& message : request.messages) {
    if (message.role == "tool" || !message.tool_calls.empty()) verbatim = true;
    std::optional<store::MessageRole> role = RoleFrom(message.role);
    if (!role) continue;
    if (*role != store::MessageRole::kSystem) ++signals.message_count;
    store::Message item;
    item.role = *role;
    item.content = message.content;
    history.push_back(std::move(item));
  }
  const FlowStep step = Advance(flow, {}, signals, static_cast<uint64_t>(signals.message_count));
  const Stage& stage = *flow.FindStage(step.state.stage);

  llm::ChatRequest chat;
  chat.sampling = stage.sampling;
  auto take = [](auto& field, const auto& value) {
    if (value) field = value;
  };
  take(chat.sampling.temperature, request.sampling.temperature);
  take(chat.sampling.top_p, request.sampling.top_p);
  take(chat.sampling.top_k, request.sampling.top_k);
  take(chat.sampling.min_p, request.sampling.min_p);
  take(chat.sampling.repetition_penalty, request.sampling.repetition_penalty);
  take(chat.sampling.frequency_penalty, request.sampling.frequency_penalty);
  take(chat.sampling.presence_penalty, request.sampling.presence_penalty);
  take(chat.sampling.seed, request.sampling.seed);
  if (request.max_tokens_given) chat.sampling.max_tokens = request.sampling.max_tokens;
  if (chat.sampling.max_tokens <= 0) chat.sampling.max_tokens = 512;

  PromptInputs inputs;
  inputs.character = &character;
  inputs.user_name = request.user_name;
  inputs.stage_prompt = stage.prompt;
  if (const Mood* mood = flow.FindMood(step.state.mood)) inputs.mood_prompt = mood->prompt;
  inputs.context_length = provider.info().context_length > 0 ? provider.info().context_length : 4096;
  inputs.reply_tokens = std::min<int64_t>(chat.sampling.max_tokens, inputs.context_length / 2);
  if (!character.character_book_json.empty()) {
    Result<Lorebook> book = ParseCharacterBook(character.character_book_json);
    if (book.ok()) {
      std::vector<std::string> recent;
      for (const store::Message& message : history) recent.push_back(message.content);
      const MacroValues names{character.name, request.user_name};
      for (const ActivatedEntry& entry : ActivateLorebook(
               *book, recent, [&provider](std::string_view text) { return provider.CountTokens(text); }, 512)) {
        (entry.position == LorebookPosition::kBeforeCharacter ? inputs.lorebook_before : inputs.lorebook_after)
            .push_back(ExpandMacros(entry.content, names));
      }
    }
  }
  if (!verbatim) inputs.history = std::move(history);
  TROUPE_ASSIGN_OR_RETURN(AssembledPrompt prompt, AssemblePrompt(inputs, provider));
  chat.messages = std::move(prompt.messages);
  if (verbatim) {
    for (const llm::ChatMessage& message : request.messages) chat.messages.push_back(message);
  }
  chat.stop = request.stop;
  for (std::string& stop : UserTurnStopStrings(request.user_name)) chat.stop.push_back(std::move(stop));
  chat.tools = request.tools;
  chat.tool_choice = request.tool_choice;
  chat.cancel = request.cancel;
  return provider.Chat(chat, callbacks);
}

}  // namespace troupe::chat
