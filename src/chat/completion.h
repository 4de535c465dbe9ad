// Stateless completions as a character, for the OpenAI-compatible endpoint: the client sends the
// whole conversation each time (as OpenAI clients do) and the character answers it. The card, the
// flow stage the conversation's length reaches (and its mood), the lorebook entries the messages
// activate and the example dialogues form the system block, as for a stored conversation; nothing
// is stored.
//
// The client's messages:
//   - system (and developer) messages before the first other message are appended to the
//     character's system block, after the card, stage and mood, so the prompt keeps one leading
//     system turn (templates such as Gemma's or Mistral's refuse a second one there);
//   - later system messages stay where they are, as system turns, the way the runtime places a
//     card's post-history instructions;
//   - user and assistant messages are the history, trimmed by tokens oldest first when the
//     context is tight; but when the conversation holds tool calls or tool results, every message
//     is passed on verbatim (not trimmed), since dropping a call or its result breaks the exchange;
//   - the last user message's `name`, when given, is {{user}} in the card's text (else "User").
// Sampling the client gives overrides the stage's; stop strings, tools, tool_choice and
// response_format go to the provider as given.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "base/status.h"
#include "llm/provider.h"
#include "store/records.h"

namespace troupe::chat {

struct CompletionRequest {
  const store::Character* character = nullptr;  // required; must outlive the call
  std::vector<llm::ChatMessage> messages;       // roles system, developer, user, assistant, tool
  llm::Sampling sampling;                       // unset fields: the stage's, then the provider's
  bool max_tokens_given = false;                // sampling.max_tokens came from the client
  std::vector<std::string> stop;
  std::vector<llm::ToolDefinition> tools;
  std::string tool_choice;
  llm::ResponseFormat response_format;
  const std::atomic<bool>* cancel = nullptr;  // see llm::ChatRequest::cancel
};

// The provider the character names (extensions.troupe.provider); "" = the default.
std::string ProviderNameFor(const store::Character& character);

// Builds the prompt and runs it on `provider`, streaming deltas through `callbacks`.
// Errors: kInvalidArgument naming "messages" for no messages or "context_length" for a
// conversation whose last message does not fit with the card; kFailedPrecondition naming "flow" or
// "character_book" for a character whose flow or lorebook does not load (or whose flow the safety
// gate refuses); the provider's errors otherwise.
Result<llm::ChatResult> CompleteAsCharacter(const CompletionRequest& request, llm::Provider& provider,
                                            const llm::ChatCallbacks& callbacks);
// The request CompleteAsCharacter sends, for callers that start it themselves (Provider::Start).
Result<llm::ChatRequest> BuildCompletion(const CompletionRequest& request, const llm::Provider& provider);

}  // namespace troupe::chat
