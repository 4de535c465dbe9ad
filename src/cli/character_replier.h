// A character answering one message with no conversation stored, through the provider it names
// (the local engine unless its card says otherwise): what `eval --character` and `studio bias`
// send their prompts through. Internal to src/cli.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "chat/completion.h"
#include "config/config.h"
#include "llm/local_model.h"
#include "llm/provider_registry.h"
#include "store/records.h"

namespace troupe::cli {

struct CharacterReplier {
  std::shared_ptr<llm::LocalModel> local_model;  // null without a configured model
  std::unique_ptr<llm::ProviderRegistry> registry;
  llm::Provider* provider = nullptr;  // the character's
  bool provider_is_local = false;     // the local engine, with local_model loaded
  std::string name;                   // "local/<model>" or the provider's name
};

// The configured providers and the character's among them; the errors of loading the model,
// building the registry (kInvalidArgument naming a provider) or finding the name (kNotFound).
Result<CharacterReplier> MakeCharacterReplier(const config::Config& config, const store::Character& character);

// The completion request for one user message to the character, with the sampling given.
chat::CompletionRequest OneMessageRequest(const store::Character& character, const std::string& message,
                                          const llm::Sampling& sampling);

}  // namespace troupe::cli
