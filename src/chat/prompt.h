// Prompt assembly: turns a character, the current flow stage and mood, memory, lorebook hits,
// example dialogues and the conversation's history into the chat a provider is asked to continue,
// trimmed to the model's context by the provider's own token count.
//
// What goes in, by priority when the context is tight (higher first):
//   1. the system block: the card's system prompt (or a default), description, personality,
//      scenario, the stage's prompt and the mood's; the last user turn; post_history_instructions;
//   2. the rolling summary and pinned memories;
//   3. the most recent history (at least `min_recent_messages` when they fit);
//   4. lorebook entries (the activator already kept them within the lorebook budget);
//   5. facts recalled from older messages by full-text search;
//   6. the card's example dialogues (mes_example);
//   7. older history, newest first, until the context is full.
// Text from the card, the flow and the lorebook has its {{char}}/{{user}} macros expanded here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "llm/provider.h"
#include "store/records.h"

namespace troupe::chat {

struct PromptInputs {
  const store::Character* character = nullptr;  // required
  std::string user_name = "User";
  std::string stage_prompt;  // the flow stage's instructions ("" = none)
  std::string mood_prompt;   // how the current mood colours the replies ("" = none)
  std::string summary;       // the rolling summary of older messages ("" = none)
  std::vector<std::string> pinned_memories;
  std::vector<std::string> recalled;         // earlier messages found by search, as plain text
  std::vector<std::string> lorebook_before;  // entries placed before the character definition
  std::vector<std::string> lorebook_after;   // entries placed after it
  // The conversation so far, oldest first; the last is usually the user's new message. Messages
  // already covered by the summary should be left out by the caller.
  std::vector<store::Message> history;
  // An instruction appended as the last system turn (a proactive "write first" nudge, a
  // regeneration hint). "" = none.
  std::string closing_instruction;
  int64_t context_length = 4096;       // tokens the provider's model takes, prompt and reply
  int64_t reply_tokens = 512;          // kept free for the reply
  int min_recent_messages = 4;
};

struct AssembledPrompt {
  std::vector<llm::ChatMessage> messages;
  int64_t prompt_tokens = 0;           // as the provider counts them
  int history_included = 0;            // history messages that made it in
  int history_dropped = 0;             // oldest messages left out for lack of room
  bool examples_included = false;
  int lorebook_included = 0;
  int recalled_included = 0;
};

// One example dialogue of a card's mes_example, split at <START> lines, macros expanded.
std::vector<std::string> ExampleDialogues(const std::string& mes_example, const std::string& char_name,
                                          const std::string& user_name);

// kInvalidArgument when even the system block and the last message do not fit (the message says
// how many tokens each took and the context length).
Result<AssembledPrompt> AssemblePrompt(const PromptInputs& inputs, const llm::Provider& provider);

// Reply text as stored: a leading "Name:" the model wrote for its own turn is dropped, trailing
// whitespace trimmed.
std::string CleanReply(std::string_view reply, const std::string& char_name);

}  // namespace troupe::chat
