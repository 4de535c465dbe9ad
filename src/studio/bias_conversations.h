// Bias review conversations (bias_review.h) held by the real chat runtime, so the character's
// greeting, flow, moods, memory, intents and response templates shape them as they shape a user's,
// and the stage a conversation reaches is the stage the runtime moves it to. They run over a
// scratch SQLite store in a temporary directory that holds a copy of the character and nothing
// else: nothing of a review reaches the operator's database, its dashboards or its experiments,
// and the directory is removed with the object. Tools are never offered (a review must not act on
// backend APIs) and replies get no voice or pictures.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "base/status.h"
#include "chat/runtime.h"
#include "llm/provider.h"
#include "store/records.h"
#include "studio/bias_review.h"

namespace troupe::studio {

struct BiasConversationOptions {
  chat::ProviderResolver providers;           // as the runtime resolves them
  std::filesystem::path intent_catalogs_dir;  // <data_dir>/intents; empty: only the card's catalog
  llm::Sampling sampling;  // over each stage's; its seed is replaced by the conversation's repeat + 1
  std::string provider;    // "" = the stage's or the character's
  const std::atomic<bool>* cancel = nullptr;  // set: the reply being written stops
};

class ScratchBiasConversations {
 public:
  // kUnavailable when the scratch store cannot be made, with the reason.
  static Result<std::unique_ptr<ScratchBiasConversations>> Open(const store::Character& character,
                                                                BiasConversationOptions options);
  ~ScratchBiasConversations();
  ScratchBiasConversations(const ScratchBiasConversations&) = delete;
  ScratchBiasConversations& operator=(const ScratchBiasConversations&) = delete;

  // Each conversation opens with the card's greeting, as a user's does; the starter and the
  // conversations it makes must not outlive this object. One conversation at a time.
  BiasConversationStarter Starter();

  struct Scratch;  // the store, the runtime and the copies in it; defined in the .cpp

 private:
  explicit ScratchBiasConversations(std::unique_ptr<Scratch> scratch);
  std::unique_ptr<Scratch> scratch_;
};

}  // namespace troupe::studio
