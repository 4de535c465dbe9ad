#include "studio/bias_conversations.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>
#include <vector>

#include "store/store.h"

namespace troupe::studio {

struct ScratchBiasConversations::Scratch {
  std::filesystem::path directory;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<chat::ChatRuntime> runtime;
  store::Character character;
  store::User user;
  BiasConversationOptions options;

  ~Scratch() {
    runtime.reset();  // its turns end before the store they write goes
    store.reset();
    std::error_code ignored;
    if (!directory.empty()) std::filesystem::remove_all(directory, ignored);
  }
};

namespace {

Result<std::filesystem::path> MakeScratchDirectory() {
  std::error_code error;
  const std::filesystem::path base = std::filesystem::temp_directory_path(error);
  if (error) return Unavailable("no temporary directory for the bias review: " + error.message());
  std::string pattern = (base / "troupe-bias-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return Unavailable("cannot make a scratch directory for the bias review in " + base.string() + ": " +
                       std::strerror(errno));
  }
  return std::filesystem::path(pattern);
}

class RuntimeConversation final : public BiasConversation {
 public:
  RuntimeConversation(ScratchBiasConversations::Scratch& scratch, int64_t conversation_id, std::string start_stage,
                      int repeat)
      : scratch_(scratch), conversation_id_(conversation_id), start_stage_(std::move(start_stage)) {
    turn_.typing_delays = false;
    turn_.split_messages = false;
    turn_.provider = scratch.options.provider;
    turn_.sampling = scratch.options.sampling;
    turn_.sampling->seed = static_cast<uint64_t>(repeat) + 1;
    turn_.cancel = scratch.options.cancel;
  }

  Result<BiasTurn> Send(const std::string& message) override {
    TROUPE_RETURN_IF_ERROR(scratch_.runtime->AddUserMessage(conversation_id_, message).status());
    TROUPE_ASSIGN_OR_RETURN(chat::TurnOutcome outcome,
                            scratch_.runtime->Reply(conversation_id_, turn_, [](const chat::TurnEvent&) {}));
    BiasTurn turn;
    for (const store::Message& reply : outcome.messages) {
      if (!turn.reply.empty()) turn.reply += "\n";
      turn.reply += reply.content;
    }
    turn.stage = outcome.conversation.stage;
    return turn;
  }
  std::string StartStage() const override { return start_stage_; }

 private:
  ScratchBiasConversations::Scratch& scratch_;
  int64_t conversation_id_;
  std::string start_stage_;
  chat::TurnOptions turn_;
};

}  // namespace

ScratchBiasConversations::ScratchBiasConversations(std::unique_ptr<Scratch> scratch) : scratch_(std::move(scratch)) {}
ScratchBiasConversations::~ScratchBiasConversations() = default;

Result<std::unique_ptr<ScratchBiasConversations>> ScratchBiasConversations::Open(const store::Character& character,
                                                                                 BiasConversationOptions options) {
  auto scratch = std::make_unique<Scratch>();
  TROUPE_ASSIGN_OR_RETURN(scratch->directory, MakeScratchDirectory());
  store::StoreOptions store_options;
  store_options.url = "sqlite://" + (scratch->directory / "review.db").string();
  store_options.sqlite_synchronous = "normal";  // thrown away afterwards: durability buys nothing
  TROUPE_ASSIGN_OR_RETURN(scratch->store, store::Store::Open(store_options));
  TROUPE_RETURN_IF_ERROR(scratch->store->Migrate().status());
  store::Character copy = character;
  copy.id = 0;
  TROUPE_ASSIGN_OR_RETURN(scratch->character, scratch->store->characters().Create(std::move(copy)));
  store::User user;
  user.external_id = "bias-review";
  user.display_name = "User";
  TROUPE_ASSIGN_OR_RETURN(scratch->user, scratch->store->users().Create(std::move(user)));
  chat::RuntimeOptions runtime_options;
  runtime_options.intent_catalogs_dir = options.intent_catalogs_dir;
  runtime_options.worker_threads = 1;
  scratch->runtime = std::make_unique<chat::ChatRuntime>(*scratch->store, options.providers, std::move(runtime_options));
  scratch->options = std::move(options);
  return std::unique_ptr<ScratchBiasConversations>(new ScratchBiasConversations(std::move(scratch)));
}

BiasConversationStarter ScratchBiasConversations::Starter() {
  Scratch* scratch = scratch_.get();
  return [scratch](const BiasVariant& variant, int repeat) -> Result<std::unique_ptr<BiasConversation>> {
    store::Conversation conversation;
    conversation.user_id = scratch->user.id;
    conversation.character_id = scratch->character.id;
    conversation.title = "bias review: " + variant.label;
    TROUPE_ASSIGN_OR_RETURN(conversation, scratch->store->conversations().Create(std::move(conversation)));
    chat::TurnOptions greeting;
    greeting.typing_delays = false;
    greeting.provider = scratch->options.provider;
    greeting.sampling = scratch->options.sampling;
    greeting.sampling->seed = static_cast<uint64_t>(repeat) + 1;
    greeting.cancel = scratch->options.cancel;
    TROUPE_ASSIGN_OR_RETURN(chat::TurnOutcome opened,
                            scratch->runtime->Open(conversation.id, 0, greeting, [](const chat::TurnEvent&) {}));
    return std::unique_ptr<BiasConversation>(
        std::make_unique<RuntimeConversation>(*scratch, conversation.id, opened.conversation.stage, repeat));
  };
}

}  // namespace troupe::studio
