#include "cli/character_replier.h"

#include "cli/interrupt.h"

namespace troupe::cli {

Result<CharacterReplier> MakeCharacterReplier(const config::Config& config, const store::Character& character) {
  CharacterReplier replier;
  TROUPE_ASSIGN_OR_RETURN(llm::ConfiguredModel local, llm::LoadConfiguredModel(config));
  replier.local_model = local.model;
  TROUPE_ASSIGN_OR_RETURN(replier.registry,
                          llm::BuildProviderRegistry(config, local.model, local.missing_hint, local.draft));
  std::string name = chat::ProviderNameFor(character);
  if (name.empty()) name = replier.registry->default_name();
  TROUPE_ASSIGN_OR_RETURN(replier.provider, replier.registry->Find(name));
  replier.provider_is_local = name == "local" && replier.local_model != nullptr;
  replier.name = name;
  if (replier.provider_is_local) replier.name += "/" + replier.local_model->info().name;
  return replier;
}

chat::CompletionRequest OneMessageRequest(const store::Character& character, const std::string& message,
                                          const llm::Sampling& sampling) {
  chat::CompletionRequest request;
  request.character = &character;
  request.messages = {llm::ChatMessage{"user", message, "", {}, ""}};
  request.sampling = sampling;
  request.max_tokens_given = true;
  request.cancel = InterruptFlag();
  return request;
}

}  // namespace troupe::cli
