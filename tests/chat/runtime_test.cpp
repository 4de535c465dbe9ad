// The turn pipeline against a real SQLite store and the real local engine running stories260K
// (a tiny model that writes children's stories): structure and numbers, never prose quality.
#include "chat/runtime.h"

#include <gtest/gtest.h>

#include <atomic>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "chat/card.h"
#include "llm/local_model.h"
#include "llm/local_provider.h"
#include "support/temp_dir.h"

namespace troupe::chat {
namespace {

using nlohmann::json;
using ::troupe::testing::SharedDir;
using ::troupe::testing::TempDir;

constexpr int64_t kMinute = 60'000;

// Message count drives the stages; the close stage writes first after an hour's break.
constexpr char kFlow[] = R"(
name: test relationship
start: ice_breaker
moods:
  options:
    - {name: cheerful, weight: 3, prompt: "{{char}} is cheerful."}
    - {name: sleepy, weight: 1, prompt: "{{char}} is sleepy."}
stages:
  ice_breaker:
    prompt: "Say hello to {{user}}."
    sampling: {temperature: 0, max_tokens: 24}
    reply: {split: paragraph, typing_chars_per_second: 0}
    transitions:
      - to: friendly
        when: {messages_at_least: 4}
  friendly:
    prompt: "Talk like an old friend."
    sampling: {temperature: 0, max_tokens: 24}
    reply: {split: paragraph, typing_chars_per_second: 0}
    proactive: {after_minutes: 60, daily_cap: 2, backoff_factor: 2, max_unanswered: 2}
)";

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreOptions options;
    options.url = "sqlite://" + (dir_ / "troupe.db").string();
    options.clock = &clock_;
    Result<std::unique_ptr<store::Store>> opened = store::Store::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
    ASSERT_TRUE(store_->Migrate().ok());

    static std::shared_ptr<llm::LocalModel> model = llm::LocalModel::Load(SharedDir() / "models/stories260K.gguf").value();
    llm::LocalProviderOptions provider_options;
    provider_options.context_length = 512;
    provider_ = llm::MakeLocalProvider(model, provider_options).value();

    RuntimeOptions runtime_options;
    runtime_options.clock = &clock_;
    runtime_options.proactive_min_idle_ms = 10 * kMinute;
    runtime_options.on_message_stored = [this](const store::Conversation&, const store::Message& message) {
      announced_.push_back(message.id);
    };
    runtime_ = std::make_unique<ChatRuntime>(
        *store_,
        [this](std::string_view name) -> Result<llm::Provider*> {
          if (!name.empty() && name != "local") return Status(StatusCode::kNotFound, "no provider " + std::string(name));
          return provider_.get();
        },
        runtime_options);

    store::User user;
    user.external_id = "tim";
    user.display_name = "Tim";
    user_ = *store_->users().Create(user);
  }

  store::Character MakeCharacter(const std::string& flow, const std::string& extensions = "{}",
                                 const std::string& book = "") {
    store::Character character;
    character.name = "Lily";
    character.description = "A girl who loves stories.";
    character.first_mes = "Hello {{user}}, I am {{char}}!";
    character.alternate_greetings = {"Oh, {{user}}! You came back."};
    character.mes_example = "<START>\n{{user}}: Hi\n{{char}}: Hi! Want a story?";
    character.flow = flow;
    character.extensions_json = extensions;
    character.character_book_json = book;
    Result<store::Character> created = store_->characters().Create(character);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return *created;
  }

  int64_t MakeConversation(int64_t character_id) {
    store::Conversation conversation;
    conversation.user_id = user_.id;
    conversation.character_id = character_id;
    return store_->conversations().Create(conversation)->id;
  }

  std::vector<TurnEvent> Say(int64_t conversation, const std::string& text, TurnOptions options = {}) {
    Result<store::Message> stored = runtime_->AddUserMessage(conversation, text);
    EXPECT_TRUE(stored.ok()) << stored.status().ToString();
    clock_.Advance(1000);
    std::vector<TurnEvent> events;
    options.typing_delays = false;
    Result<TurnOutcome> outcome = runtime_->Reply(conversation, options, [&](const TurnEvent& e) { events.push_back(e); });
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    clock_.Advance(1000);
    return events;
  }

  std::vector<store::Message> Messages(int64_t conversation) {
    return store_->messages().List(conversation, {"", 500})->items;
  }

  TempDir dir_;
  ManualClock clock_{1'790'000'000'000};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<llm::Provider> provider_;
  std::unique_ptr<ChatRuntime> runtime_;
  store::User user_;
  std::vector<int64_t> announced_;
};

TEST_F(RuntimeTest, OpeningStoresTheGreetingWithMacrosExpandedOnlyOnce) {
  const int64_t conversation = MakeConversation(MakeCharacter(kFlow).id);
  std::vector<TurnEvent> events;
  Result<TurnOutcome> opened = runtime_->Open(conversation, 0, {}, [&](const TurnEvent& e) { events.push_back(e); });
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  ASSERT_EQ(opened->messages.size(), 1u);
  EXPECT_EQ(opened->messages[0].content, "Hello Tim, I am Lily!");
  EXPECT_EQ(opened->conversation.stage, "ice_breaker");
  EXPECT_TRUE(opened->conversation.mood == "cheerful" || opened->conversation.mood == "sleepy");
  ASSERT_GE(events.size(), 4u);
  EXPECT_TRUE(std::holds_alternative<MessageStartEvent>(events.front()));
  EXPECT_TRUE(std::holds_alternative<DoneEvent>(events.back()));
  EXPECT_EQ(announced_.size(), 1u);

  // A second open writes nothing; an alternate greeting needs an empty conversation.
  Result<TurnOutcome> again = runtime_->Open(conversation, 1, {}, {});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->messages.empty());
  EXPECT_EQ(Messages(conversation).size(), 1u);

  const int64_t other = MakeConversation(MakeCharacter(kFlow).id);
  Result<TurnOutcome> alternate = runtime_->Open(other, 1, {}, {});
  ASSERT_TRUE(alternate.ok());
  EXPECT_EQ(alternate->messages.at(0).content, "Oh, Tim! You came back.");
  Result<TurnOutcome> missing = runtime_->Open(MakeConversation(MakeCharacter(kFlow).id), 5, {}, {});
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.status().field(), "greeting");
}

TEST_F(RuntimeTest, RepliesStreamInOrderAreStoredAndAdvanceTheStageByMessageCount) {
  const int64_t conversation = MakeConversation(MakeCharacter(kFlow).id);
  ASSERT_TRUE(runtime_->Open(conversation, 0, {}, {}).ok());

  std::vector<TurnEvent> events = Say(conversation, "Hello Lily! Tell me a story about a cat.");
  ASSERT_FALSE(events.empty());
  EXPECT_TRUE(std::holds_alternative<MessageStartEvent>(events.front()));
  EXPECT_TRUE(std::holds_alternative<DoneEvent>(events.back()));
  std::string streamed;
  int ends = 0;
  for (const TurnEvent& event : events) {
    if (const auto* delta = std::get_if<DeltaEvent>(&event)) streamed += delta->text;
    if (std::holds_alternative<MessageEndEvent>(event)) ++ends;
  }
  std::vector<store::Message> messages = Messages(conversation);
  ASSERT_GE(messages.size(), 3u);
  EXPECT_EQ(messages[1].role, store::MessageRole::kUser);
  // Every stored part of the reply was streamed, in order.
  std::string stored;
  for (size_t i = 2; i < messages.size(); ++i) {
    EXPECT_EQ(messages[i].role, store::MessageRole::kAssistant);
    EXPECT_EQ(messages[i].stage, "ice_breaker");
    EXPECT_EQ(messages[i].parent_id, messages[1].id);
    EXPECT_NE(streamed.find(messages[i].content), std::string::npos) << messages[i].content;
    stored += messages[i].content;
  }
  EXPECT_EQ(ends, static_cast<int>(messages.size() - 2));
  EXPECT_GT(messages.back().completion_tokens, 0);
  EXPECT_GT(messages.back().prompt_tokens, 0);
  const DoneEvent& done = std::get<DoneEvent>(events.back());
  EXPECT_EQ(done.conversation.stage, "ice_breaker");
  EXPECT_GT(done.usage.completion_tokens, 0);

  // The fourth message crosses messages_at_least: 4.
  Say(conversation, "That is lovely, thank you!");
  Result<store::Conversation> state = store_->conversations().Get(conversation);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->stage, "friendly");
  EXPECT_GT(state->affinity, 0.0);  // warm words raise it
  EXPECT_EQ(Messages(conversation).back().stage, "friendly");
}

TEST_F(RuntimeTest, ALorebookEntryJoinsThePromptWhenItsKeywordIsMentioned) {
  const std::string book = R"({"entries": [
      {"keys": ["dragon"], "content": "Dragons in {{char}}'s town are friendly.", "enabled": true,
       "insertion_order": 1},
      {"keys": ["castle"], "content": "The castle is old.", "enabled": true, "insertion_order": 2}]})";
  const int64_t conversation = MakeConversation(MakeCharacter(kFlow, "{}", book).id);
  Say(conversation, "Hi there.");
  json quiet = json::parse(Messages(conversation).back().metadata_json);
  EXPECT_EQ(quiet["prompt"]["lorebook_entries"], 0);
  Say(conversation, "Did you see the dragon?");
  json hit = json::parse(Messages(conversation).back().metadata_json);
  EXPECT_EQ(hit["prompt"]["lorebook_entries"], 1);
}

TEST_F(RuntimeTest, RegenerateKeepsEveryAlternativeAndSwipesBetweenThem) {
  const int64_t conversation = MakeConversation(MakeCharacter(kFlow).id);
  Say(conversation, "Tell me about the sun.");
  std::vector<store::Message> before = Messages(conversation);
  const store::Message first_reply = before.at(1);
  std::string original;
  for (size_t i = 1; i < before.size(); ++i) original += (i > 1 ? "\n\n" : "") + before[i].content;

  TurnOptions options;
  options.typing_delays = false;
  llm::Sampling sampling;
  sampling.temperature = 1.0;
  sampling.seed = 7;
  options.sampling = sampling;
  Result<TurnOutcome> regenerated = runtime_->Regenerate(conversation, before.back().id, options, {});
  ASSERT_TRUE(regenerated.ok()) << regenerated.status().ToString();
  ASSERT_EQ(regenerated->messages.size(), 1u);
  const store::Message& updated = regenerated->messages[0];
  EXPECT_EQ(updated.id, first_reply.id);
  json metadata = json::parse(updated.metadata_json);
  ASSERT_EQ(metadata["swipes"].size(), 2u);
  EXPECT_EQ(metadata["swipes"][0], original);
  EXPECT_EQ(metadata["swipe"], 1);
  EXPECT_EQ(updated.content, metadata["swipes"][1]);

  Result<store::Message> back = runtime_->SelectSwipe(updated.id, 0);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->content, original);
  EXPECT_EQ(runtime_->SelectSwipe(updated.id, 2).status().field(), "swipe");

  // Only the latest reply can be regenerated.
  Say(conversation, "And the moon?");
  Result<TurnOutcome> old = runtime_->Regenerate(conversation, first_reply.id, options, {});
  EXPECT_EQ(old.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(RuntimeTest, ACancelledReplyIsStoredMarkedIncomplete) {
  const int64_t conversation = MakeConversation(MakeCharacter(kFlow).id);
  ASSERT_TRUE(runtime_->AddUserMessage(conversation, "Tell me a long story.").ok());
  std::atomic<bool> cancel{false};
  TurnOptions options;
  options.typing_delays = false;
  options.cancel = &cancel;
  int deltas = 0;
  Result<TurnOutcome> outcome = runtime_->Reply(conversation, options, [&](const TurnEvent& event) {
    if (std::holds_alternative<DeltaEvent>(event) && ++deltas == 3) cancel = true;
  });
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_TRUE(outcome->incomplete);
  ASSERT_FALSE(outcome->messages.empty());
  EXPECT_TRUE(Messages(conversation).back().incomplete);
  EXPECT_LT(Messages(conversation).back().completion_tokens, 24);
}

TEST_F(RuntimeTest, TheCharacterWritesFirstAfterABreakWithBackoff) {
  const int64_t conversation = MakeConversation(MakeCharacter(kFlow).id);
  ASSERT_TRUE(runtime_->Open(conversation, 0, {}, {}).ok());
  Say(conversation, "Hi!");
  Say(conversation, "Bye for now.");  // four messages: the friendly stage, which writes first
  ASSERT_EQ(store_->conversations().Get(conversation)->stage, "friendly");
  const size_t before = Messages(conversation).size();

  // Not yet: the break is an hour.
  clock_.Advance(30 * kMinute);
  EXPECT_EQ(*runtime_->ScanProactive(), 0);

  clock_.Advance(45 * kMinute);
  EXPECT_EQ(*runtime_->ScanProactive(), 1);
  Result<std::optional<store::Job>> job = store_->jobs().Claim("test", {std::string(kProactiveJob)});
  ASSERT_TRUE(job.ok() && job->has_value());
  Result<json> ran = runtime_->RunJob(**job, {});
  ASSERT_TRUE(ran.ok()) << ran.status().ToString();
  EXPECT_TRUE((*ran)["written"].get<bool>());
  std::vector<store::Message> messages = Messages(conversation);
  ASSERT_GT(messages.size(), before);
  EXPECT_TRUE(json::parse(messages.back().metadata_json).value("proactive", false));
  EXPECT_EQ(json::parse(store_->conversations().Get(conversation)->metadata_json)["proactive"]["unanswered"], 1);

  // Unanswered: the next one waits twice as long (backoff 2), and a duplicate job writes nothing.
  EXPECT_EQ(*runtime_->RunJob(**job, {}), (json{{"written", false}, {"message_ids", json::array()}}));
  clock_.Advance(70 * kMinute);
  EXPECT_EQ(*runtime_->ScanProactive(), 0);
  clock_.Advance(60 * kMinute);
  EXPECT_EQ(*runtime_->ScanProactive(), 1);

  // The user answering resets the backoff.
  Say(conversation, "I'm back!");
  EXPECT_EQ(json::parse(store_->conversations().Get(conversation)->metadata_json)["proactive"]["unanswered"], 0);
}

TEST_F(RuntimeTest, AHandedOffConversationGetsNoCharacterReply) {
  const int64_t conversation = MakeConversation(MakeCharacter(kFlow).id);
  ASSERT_TRUE(runtime_->AddUserMessage(conversation, "Hello").ok());
  ASSERT_TRUE(store_->conversations().SetStatus(conversation, store::ConversationStatus::kHandedOff).ok());
  EXPECT_EQ(runtime_->Reply(conversation, {}, {}).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(runtime_->AddUserMessage(conversation, "Anyone?").status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(RuntimeTest, AMinorsCharacterWithARomanticStageIsRefusedNamingTheStage) {
  const std::string flow = R"(
stages:
  friends:
    prompt: "Be a good friend."
    transitions: [{to: sweethearts, when: {messages_at_least: 10}}]
  sweethearts:
    romance: romantic
)";
  const int64_t conversation = MakeConversation(MakeCharacter(flow, R"({"troupe":{"minor":true}})").id);
  ASSERT_TRUE(runtime_->AddUserMessage(conversation, "Hi").ok());
  Result<TurnOutcome> reply = runtime_->Reply(conversation, {}, {});
  EXPECT_EQ(reply.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(reply.status().message().find("sweethearts"), std::string::npos) << reply.status().message();
  EXPECT_EQ(reply.status().field(), "flow");
}

// Each example character imports, opens its conversation and answers on a real model.
// The definitions are longer than stories260K's 512-token context, so this runs on the synthetic
// Qwen2 model (random weights, a real vocabulary and chat template, a long context).
TEST_F(RuntimeTest, EveryExampleCharacterChats) {
  llm::LocalProviderOptions options;
  options.context_length = 2048;
  provider_ = llm::MakeLocalProvider(
      llm::LocalModel::Load(SharedDir() / "models/synthetic/tiny-qwen2-bpe-Q4_K_M.gguf").value(), options).value();
  int count = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::path(TROUPE_SOURCE_DIR) / "examples/characters")) {
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    Result<ImportedCard> card = ParseCardJson(text.str());
    ASSERT_TRUE(card.ok()) << entry.path();
    Result<store::Character> character = store_->characters().Create(card->character);
    ASSERT_TRUE(character.ok()) << character.status().ToString();
    const int64_t conversation = MakeConversation(character->id);
    Result<TurnOutcome> opened = runtime_->Open(conversation, 0, {}, {});
    ASSERT_TRUE(opened.ok()) << entry.path() << ": " << opened.status().ToString();
    EXPECT_EQ(opened->messages.size(), 1u);
    TurnOptions turn;
    llm::Sampling short_reply;
    short_reply.max_tokens = 16;
    turn.sampling = short_reply;
    Say(conversation, "Hello! What can you tell me?", turn);
    std::vector<store::Message> messages = Messages(conversation);
    ASSERT_GE(messages.size(), 3u) << entry.path();
    EXPECT_EQ(messages.back().role, store::MessageRole::kAssistant);
    EXPECT_EQ(messages.back().stage, store_->conversations().Get(conversation)->stage);
    ++count;
  }
  EXPECT_EQ(count, 3);
}

}  // namespace
}  // namespace troupe::chat
