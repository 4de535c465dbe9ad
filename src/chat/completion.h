// Stateless completions as a character, for the OpenAI-compatible endpoint: the client sends the
// whole conversation each time (as OpenAI clients do) and the character answers it. The card, the
// flow stage its message count reaches, the lorebook and the examples go into the system block as
// for a stored conversation; nothing is stored. The client's own system messages stay where they
// are in the history. When the history holds tool calls or tool results, it is passed on verbatim
// after the character's system block (not trimmed), so the model sees the whole exchange.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "base/status.h"
#include "llm/provider.h"
#include "store/records.h"

namespace troupe::chat {

struct CompletionRequest {
  const store::Character* character = nullptr;
  std::vector<llm::ChatMessage> messages;  // roles system, user, assistant, tool
  llm::Sampling sampling;                  // unset fields: the stage's, then the provider's
  bool max_tokens_given = false;           // sampling.max_tokens came from the client
  std::vector<std::string> stop;
  std::vector<llm::ToolDefinition> tools;
  std::string tool_choice;
  std::string user_name = "User";
  const std::atomic<bool>* cancel = nullptr;
};

// The provider named by the character (extensions.troupe.provider) or its flow's stage; "" = the
// default.
std::string ProviderNameFor(const store::Character& character);

// kInvalidArgument naming "messages" for an empty or over-long conversation, "flow" for a flow that
// does not load; the provider's errors otherwise.
Result<llm::ChatResult> CompleteAsCharacter(const CompletionRequest& request, llm::Provider& provider,
                                            const llm::ChatCallbacks& callbacks);

}  // namespace troupe::chat
