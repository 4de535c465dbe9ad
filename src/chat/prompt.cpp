#include "chat/prompt.h"

#include <algorithm>
#include <cctype>

#include "base/text.h"
#include "chat/macros.h"

namespace troupe::chat {
namespace {

// Per-message framing a chat template adds (role markers, separators); the final count comes from
// the provider, this only keeps the greedy selection close to it.
constexpr int64_t kMessageOverheadTokens = 8;

std::string RoleOf(store::MessageRole role) {
  switch (role) {
    case store::MessageRole::kUser:
      return "user";
    case store::MessageRole::kSystem:
      return "system";
    case store::MessageRole::kTool:
      return "tool";
    case store::MessageRole::kAssistant:
    case store::MessageRole::kAgent:  // a human agent speaks for the character's side
      return "assistant";
  }
  return "user";
}

void AppendSection(std::string& out, std::string_view heading, std::string_view text) {
  text = TrimSpace(text);
  if (text.empty()) return;
  if (!out.empty()) out += "\n\n";
  if (!heading.empty()) {
    out += heading;
    out += '\n';
  }
  out += text;
}

std::string JoinLines(const std::vector<std::string>& items, std::string_view bullet) {
  std::string out;
  for (const std::string& item : items) {
    std::string_view text = TrimSpace(item);
    if (text.empty()) continue;
    if (!out.empty()) out += '\n';
    out += bullet;
    out += text;
  }
  return out;
}

// The parts of the system turn that can be dropped one by one, in the order they go.
struct OptionalParts {
  std::vector<std::string> lorebook_before;
  std::vector<std::string> lorebook_after;
  std::vector<std::string> recalled;
  std::vector<std::string> examples;
};

std::string BuildSystem(const PromptInputs& inputs, const MacroValues& names, const OptionalParts& parts) {
  const store::Character& character = *inputs.character;
  auto expand = [&](std::string_view text) { return ExpandMacros(text, names); };

  std::string system;
  AppendSection(system, "",
                character.system_prompt.empty()
                    ? expand("You are {{char}}. Stay in character: write only {{char}}'s next reply to "
                             "{{user}}, in {{char}}'s own voice, and never write {{user}}'s lines.")
                    : expand(character.system_prompt));
  AppendSection(system, "", expand(JoinLines(parts.lorebook_before, "")));
  AppendSection(system, expand("About {{char}}:"), expand(character.description));
  AppendSection(system, expand("{{char}}'s personality:"), expand(character.personality));
  AppendSection(system, "Scenario:", expand(character.scenario));
  AppendSection(system, "", expand(JoinLines(parts.lorebook_after, "")));
  if (!parts.examples.empty()) {
    std::string examples;
    for (const std::string& dialogue : parts.examples) {
      if (!examples.empty()) examples += "\n\n";
      examples += dialogue;
    }
    AppendSection(system, expand("Examples of how {{char}} talks:"), examples);
  }
  AppendSection(system, "Now:", expand(inputs.stage_prompt));
  AppendSection(system, expand("{{char}}'s mood:"), expand(inputs.mood_prompt));
  AppendSection(system, "What happened earlier in this conversation:", inputs.summary);
  AppendSection(system, expand("Things {{char}} knows about {{user}}:"),
                JoinLines(inputs.pinned_memories, "- "));
  AppendSection(system, "Said earlier (recalled):", JoinLines(parts.recalled, "- "));
  return system;
}

}  // namespace

std::vector<std::string> ExampleDialogues(const std::string& mes_example, const std::string& char_name,
                                          const std::string& user_name) {
  const std::string expanded = ExpandMacros(mes_example, {char_name, user_name});
  std::vector<std::string> dialogues;
  std::string current;
  size_t start = 0;
  auto flush = [&] {
    std::string_view text = TrimSpace(current);
    if (!text.empty()) dialogues.emplace_back(text);
    current.clear();
  };
  while (start <= expanded.size()) {
    size_t end = expanded.find('\n', start);
    if (end == std::string::npos) end = expanded.size();
    std::string_view line = std::string_view(expanded).substr(start, end - start);
    std::string upper(TrimSpace(line));
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (upper == "<START>") {
      flush();
    } else {
      current += line;
      current += '\n';
    }
    start = end + 1;
  }
  flush();
  return dialogues;
}

Result<AssembledPrompt> AssemblePrompt(const PromptInputs& inputs, const llm::Provider& provider) {
  if (inputs.character == nullptr) return Status(StatusCode::kInvalidArgument, "no character", "character");
  const MacroValues names{inputs.character->name, inputs.user_name};
  const int64_t budget = inputs.context_length - inputs.reply_tokens;
  auto count = [&](std::string_view text) { return provider.CountTokens(text) + kMessageOverheadTokens; };

  // Everything that may be dropped starts in; the greedy pass below decides.
  OptionalParts parts{inputs.lorebook_before, inputs.lorebook_after, inputs.recalled,
                      ExampleDialogues(inputs.character->mes_example, inputs.character->name,
                                       inputs.user_name)};
  OptionalParts core;  // the system block with nothing optional in it

  std::vector<llm::ChatMessage> history;
  history.reserve(inputs.history.size());
  for (const store::Message& message : inputs.history) {
    if (message.role == store::MessageRole::kTool) continue;  // tool results belong to their turn only
    if (TrimSpace(message.content).empty()) continue;
    history.push_back({RoleOf(message.role), message.content, "", {}, ""});
  }
  std::string post_history = ExpandMacros(inputs.character->post_history_instructions, names);
  std::string closing = ExpandMacros(inputs.closing_instruction, names);

  const int64_t core_tokens = count(BuildSystem(inputs, names, core)) +
                              (post_history.empty() ? 0 : count(post_history)) +
                              (closing.empty() ? 0 : count(closing));
  const int64_t last_tokens = history.empty() ? 0 : count(history.back().content);
  if (core_tokens + last_tokens > budget) {
    return Status(StatusCode::kInvalidArgument,
                  "the prompt does not fit: the character's definition takes " + std::to_string(core_tokens) +
                      " tokens and the last message " + std::to_string(last_tokens) + ", but only " +
                      std::to_string(budget) + " of the context's " + std::to_string(inputs.context_length) +
                      " tokens are left after " + std::to_string(inputs.reply_tokens) + " for the reply",
                  "context_length");
  }

  // Greedy selection in priority order, each part taking what it needs of the remaining room.
  int64_t used = core_tokens;
  size_t kept_history = 0;  // newest messages kept
  auto take_history = [&](size_t up_to) {
    while (kept_history < std::min(up_to, history.size())) {
      const int64_t cost = count(history[history.size() - 1 - kept_history].content);
      if (used + cost > budget) return false;
      used += cost;
      ++kept_history;
    }
    return true;
  };
  auto take_list = [&](std::vector<std::string>& items) {
    std::vector<std::string> kept;
    for (std::string& item : items) {
      const int64_t cost = provider.CountTokens(item) + 2;
      if (used + cost > budget) continue;
      used += cost;
      kept.push_back(std::move(item));
    }
    items = std::move(kept);
  };

  take_history(1);
  take_history(static_cast<size_t>(std::max(inputs.min_recent_messages, 1)));
  take_list(parts.lorebook_before);
  take_list(parts.lorebook_after);
  take_list(parts.recalled);
  {
    int64_t examples_cost = 0;
    for (const std::string& dialogue : parts.examples) examples_cost += provider.CountTokens(dialogue) + 2;
    if (used + examples_cost <= budget) {
      used += examples_cost;
    } else {
      parts.examples.clear();
    }
  }
  take_history(history.size());

  // The provider's exact count may differ from the estimate (template framing): drop in reverse
  // priority until it fits: older history, examples, recalled facts, lorebook entries, and only
  // then the most recent messages (down to the last one).
  const size_t min_recent = static_cast<size_t>(std::max(inputs.min_recent_messages, 1));
  AssembledPrompt prompt;
  for (;;) {
    std::vector<llm::ChatMessage> messages;
    messages.push_back({"system", BuildSystem(inputs, names, parts), "", {}, ""});
    const size_t first = history.size() - kept_history;
    for (size_t i = first; i < history.size(); ++i) {
      // Instructions that must stay close to the reply go just before the last message.
      if (i + 1 == history.size() && !post_history.empty() && history[i].role == "user") {
        messages.push_back(history[i]);
        messages.push_back({"system", post_history, "", {}, ""});
        continue;
      }
      messages.push_back(history[i]);
    }
    if (!post_history.empty() && (kept_history == 0 || history.back().role != "user")) {
      messages.push_back({"system", post_history, "", {}, ""});
    }
    if (!closing.empty()) messages.push_back({"system", closing, "", {}, ""});

    const int64_t tokens = provider.CountChatTokens(messages);
    if (tokens <= budget) {
      prompt.messages = std::move(messages);
      prompt.prompt_tokens = tokens;
      break;
    }
    if (kept_history > min_recent) {
      --kept_history;
    } else if (!parts.examples.empty()) {
      parts.examples.clear();
    } else if (!parts.recalled.empty()) {
      parts.recalled.pop_back();
    } else if (!parts.lorebook_after.empty()) {
      parts.lorebook_after.pop_back();
    } else if (!parts.lorebook_before.empty()) {
      parts.lorebook_before.pop_back();
    } else if (kept_history > 1) {
      --kept_history;
    } else {
      return Status(StatusCode::kInvalidArgument,
                    "the prompt does not fit: " + std::to_string(tokens) + " tokens with nothing left to drop, " +
                        "but only " + std::to_string(budget) + " of the context's " +
                        std::to_string(inputs.context_length) + " tokens are left for it",
                    "context_length");
    }
  }
  prompt.history_included = static_cast<int>(kept_history);
  prompt.history_dropped = static_cast<int>(history.size() - kept_history);
  prompt.examples_included = !parts.examples.empty();
  prompt.lorebook_included = static_cast<int>(parts.lorebook_before.size() + parts.lorebook_after.size());
  prompt.recalled_included = static_cast<int>(parts.recalled.size());
  return prompt;
}

std::string CleanReply(std::string_view reply, const std::string& char_name) {
  std::string_view text = TrimSpace(reply);
  if (!char_name.empty() && text.size() > char_name.size() && text.substr(0, char_name.size()) == char_name &&
      text[char_name.size()] == ':') {
    text = TrimSpace(text.substr(char_name.size() + 1));
  }
  return std::string(text);
}

}  // namespace troupe::chat
