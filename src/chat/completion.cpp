#include "chat/completion.h"

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "chat/flow.h"
#include "chat/lorebook.h"
#include "chat/macros.h"
#include "chat/prompt.h"
#include "chat/reply_style.h"

namespace troupe::chat {
namespace {

// Lorebook entries a stateless completion may add, when the book sets no budget of its own.
constexpr int64_t kLorebookTokenBudget = 512;
// Framing the template adds around the client's system text beyond its own tokens (the separator).
constexpr int64_t kClientSystemOverheadTokens = 4;

bool IsSystemRole(const std::string& role) { return role == "system" || role == "developer"; }

std::optional<store::MessageRole> HistoryRole(const std::string& role) {
  if (role == "user") return store::MessageRole::kUser;
  if (role == "assistant") return store::MessageRole::kAssistant;
  if (IsSystemRole(role)) return store::MessageRole::kSystem;
  return std::nullopt;  // tool results only travel in the verbatim path
}

bool HasText(const std::string& text) { return text.find_first_not_of(" \t\r\n") != std::string::npos; }

Result<Flow> LoadFlow(const store::Character& character) {
  if (!HasText(character.flow)) return DefaultFlow();
  Result<Flow> flow = ParseFlow(character.flow);
  if (!flow.ok()) {
    return Status(StatusCode::kFailedPrecondition,
                  "the character's flow does not load: " + flow.status().message(), "flow");
  }
  // The safety gate holds here too: a stateless completion is still a conversation.
  if (Status valid = ValidateFlow(*flow, TraitsFromExtensions(character.extensions_json)); !valid.ok()) {
    return Status(StatusCode::kFailedPrecondition, "the character's flow is refused: " + valid.message(), "flow");
  }
  return flow;
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
  TROUPE_ASSIGN_OR_RETURN(llm::ChatRequest chat, BuildCompletion(request, provider));
  return provider.Chat(chat, callbacks);
}

Result<llm::ChatRequest> BuildCompletion(const CompletionRequest& request, const llm::Provider& provider) {
  const store::Character& character = *request.character;
  if (request.messages.empty()) {
    return Status(StatusCode::kInvalidArgument, "messages must hold at least one message", "messages");
  }
  TROUPE_ASSIGN_OR_RETURN(const Flow flow, LoadFlow(character));

  // The leading system messages join the character's system block; the rest is the conversation.
  std::string client_system;
  size_t first = 0;
  for (; first < request.messages.size() && IsSystemRole(request.messages[first].role); ++first) {
    if (!HasText(request.messages[first].content)) continue;
    if (!client_system.empty()) client_system += "\n\n";
    client_system += request.messages[first].content;
  }
  bool verbatim = false;
  std::string user_name = "User";
  std::vector<store::Message> history;
  ConversationSignals signals;
  for (size_t i = first; i < request.messages.size(); ++i) {
    const llm::ChatMessage& message = request.messages[i];
    if (message.role == "tool" || !message.tool_calls.empty()) verbatim = true;
    if (message.role == "user" && !message.name.empty()) user_name = message.name;
    std::optional<store::MessageRole> role = HistoryRole(message.role);
    if (!role) continue;
    if (*role != store::MessageRole::kSystem) ++signals.message_count;
    store::Message item;
    item.role = *role;
    item.content = message.content;
    history.push_back(std::move(item));
  }
  // No conversation id: every client that sends the same conversation meets the same mood.
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
  if (chat.sampling.max_tokens <= 0) chat.sampling.max_tokens = llm::Sampling{}.max_tokens;

  const MacroValues names{character.name, user_name};
  PromptInputs inputs;
  inputs.character = &character;
  inputs.user_name = user_name;
  inputs.stage_prompt = stage.prompt;
  if (const Mood* mood = flow.FindMood(step.state.mood)) inputs.mood_prompt = mood->prompt;
  const int64_t context_length = provider.info().context_length > 0 ? provider.info().context_length : 4096;
  // The client's system text is added after assembly, so the assembler leaves room for it.
  const int64_t client_system_tokens =
      client_system.empty() ? 0 : provider.CountTokens(client_system) + kClientSystemOverheadTokens;
  inputs.context_length = context_length - client_system_tokens;
  inputs.reply_tokens = std::min<int64_t>(chat.sampling.max_tokens, context_length / 2);
  if (HasText(character.character_book_json)) {
    Result<Lorebook> book = ParseCharacterBook(character.character_book_json);
    if (!book.ok()) {
      return Status(StatusCode::kFailedPrecondition,
                    "the character's lorebook does not load: " + book.status().message(), "character_book");
    }
    std::vector<std::string> recent;
    for (const store::Message& message : history) recent.push_back(message.content);
    for (const ActivatedEntry& entry :
         ActivateLorebook(*book, recent, [&provider](std::string_view text) { return provider.CountTokens(text); },
                          kLorebookTokenBudget)) {
      (entry.position == LorebookPosition::kBeforeCharacter ? inputs.lorebook_before : inputs.lorebook_after)
          .push_back(ExpandMacros(entry.content, names));
    }
  }
  if (!verbatim) inputs.history = std::move(history);
  TROUPE_ASSIGN_OR_RETURN(AssembledPrompt prompt, AssemblePrompt(inputs, provider));
  chat.messages = std::move(prompt.messages);
  if (!client_system.empty()) chat.messages.front().content += "\n\n" + client_system;
  if (verbatim) {
    for (size_t i = first; i < request.messages.size(); ++i) {
      llm::ChatMessage message = request.messages[i];
      if (IsSystemRole(message.role)) message.role = "system";
      chat.messages.push_back(std::move(message));
    }
  }
  chat.stop = request.stop;
  for (std::string& stop : UserTurnStopStrings(user_name)) chat.stop.push_back(std::move(stop));
  chat.tools = request.tools;
  chat.tool_choice = request.tool_choice;
  chat.response_format = request.response_format;
  chat.cancel = request.cancel;
  return chat;
}

}  // namespace troupe::chat
