// Routing decisions stored with users' messages: Juno's card carries its intent catalog; the
// classifier's decision is in the acknowledged message, and an uncertain one is settled by the LLM
// before the reply, in the same turn (cancelled with it). Real SQLite store and runtime; the
// provider is scripted so the test writes the LLM's answer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>

#include "chat/intents/intent_catalog.h"
#include "chat/runtime.h"
#include "scripted_provider.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace troupe::chat {
namespace {

using ::troupe::chat::testing::ScriptedProvider;
using ::troupe::testing::TempDir;

// Juno's card's extensions (flow and intent catalog), with the routing thresholds replaced when
// asked: {1, 0} sends every message to the LLM.
std::string JunoExtensions(std::optional<std::pair<double, double>> thresholds = std::nullopt) {
  nlohmann::json card = nlohmann::json::parse(
      ::troupe::testing::ReadFile(std::string(TROUPE_SOURCE_DIR) + "/examples/characters/juno_telecom_support.json"));
  nlohmann::json extensions = card["data"]["extensions"];
  if (thresholds) {
    extensions["troupe"]["intents"]["routing"] = {{"classifier_threshold", thresholds->first},
                                                  {"llm_threshold", thresholds->second}};
  }
  return extensions.dump();
}

nlohmann::json RoutingOf(const store::Message& message) {
  return nlohmann::json::parse(message.metadata_json).value("routing", nlohmann::json());
}

class MessageRoutingTest : public ::testing::Test {
 protected:
  MessageRoutingTest() {
    store::StoreOptions store_options;
    store_options.url = "sqlite://" + (dir_ / "troupe.db").string();
    store_options.clock = &clock_;
    store_ = std::move(store::Store::Open(store_options)).value();
    EXPECT_TRUE(store_->Migrate().ok());
    RuntimeOptions options;
    options.clock = &clock_;
    options.intent_catalogs_dir = dir_ / "intents";
    options.response_templates = false;  // the reply is the model's own (template_turns_test has the others)
    runtime_ = std::make_unique<ChatRuntime>(
        *store_, [this](std::string_view) -> Result<llm::Provider*> { return &provider_; }, options);
  }

  int64_t Conversation(const std::string& extensions_json) {
    store::User user;
    user.external_id = "kim";
    user.display_name = "Kim";
    const int64_t user_id = store_->users().Create(user)->id;
    store::Character character;
    character.name = "Juno";
    character.description = "Support.";
    character.extensions_json = extensions_json;
    const int64_t character_id = store_->characters().Create(character)->id;
    store::Conversation conversation;
    conversation.user_id = user_id;
    conversation.character_id = character_id;
    return store_->conversations().Create(conversation)->id;
  }

  struct Posted {
    store::Message acknowledged;
    std::shared_ptr<TurnHandle> handle;
    std::promise<Result<TurnOutcome>> done;
  };

  std::shared_ptr<Posted> Post(int64_t conversation, const std::string& text) {
    auto posted = std::make_shared<Posted>();
    TurnOptions options;
    options.typing_delays = false;
    Result<PostedMessage> result = runtime_->PostMessage(
        conversation, text, options, [](const TurnEvent&) {},
        [posted](Result<TurnOutcome> outcome) { posted->done.set_value(std::move(outcome)); });
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (result.ok()) {
      posted->acknowledged = result->message;
      posted->handle = result->turn;
    }
    return posted;
  }

  store::Message Stored(int64_t id) { return store_->messages().Get(id).value(); }

  TempDir dir_;
  ManualClock clock_{1'790'000'000'000};
  ScriptedProvider provider_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ChatRuntime> runtime_;
};

TEST_F(MessageRoutingTest, TheClassifiersDecisionIsStoredWithTheMessage) {
  const int64_t conversation = Conversation(JunoExtensions());
  std::shared_ptr<Posted> posted = Post(conversation, "what's my balance");
  const nlohmann::json routing = RoutingOf(posted->acknowledged);
  EXPECT_EQ(routing["intent"], "check_balance");
  EXPECT_EQ(routing["level"], "classifier");
  EXPECT_EQ(routing["reason"], "confident");
  EXPECT_GE(routing["confidence"].get<double>(), 0.45);
  EXPECT_EQ(RoutingOf(Stored(posted->acknowledged.id)), routing);

  // No LLM call for routing: the first call is the reply.
  ASSERT_TRUE(provider_.WaitForCalls(1));
  EXPECT_EQ(provider_.call(0)->request.response_format.kind, llm::ResponseFormat::Kind::kText);
  provider_.Write(0, "Your balance is 12 euros.");
  provider_.End(0);
  ASSERT_TRUE(posted->done.get_future().get().ok());
}

TEST_F(MessageRoutingTest, AnUncertainMessageIsSettledByTheLlmBeforeTheReply) {
  const int64_t conversation = Conversation(JunoExtensions(std::make_pair(1.0, 0.0)));
  std::shared_ptr<Posted> posted = Post(conversation, "my bill looks wrong");
  EXPECT_EQ(RoutingOf(posted->acknowledged)["level"], "llm");
  EXPECT_EQ(RoutingOf(posted->acknowledged)["reason"], "uncertain");

  ASSERT_TRUE(provider_.WaitForCalls(1));
  const llm::ChatRequest& ask = provider_.call(0)->request;
  ASSERT_EQ(ask.response_format.kind, llm::ResponseFormat::Kind::kJsonSchema);
  EXPECT_EQ(ask.messages.back().content, "my bill looks wrong");
  provider_.Write(0, R"({"intent":"payment"})");
  provider_.End(0);

  // Then the reply, with the decision already stored.
  ASSERT_TRUE(provider_.WaitForCalls(2));
  EXPECT_EQ(provider_.call(1)->request.response_format.kind, llm::ResponseFormat::Kind::kText);
  const nlohmann::json routing = RoutingOf(Stored(posted->acknowledged.id));
  EXPECT_EQ(routing["intent"], "payment");
  EXPECT_EQ(routing["level"], "llm");
  EXPECT_EQ(routing["llm_answer"], R"({"intent":"payment"})");
  provider_.Write(1, "Let me look at your bill.");
  provider_.End(1);
  ASSERT_TRUE(posted->done.get_future().get().ok());
  EXPECT_EQ(Stored(posted->acknowledged.id).content, "my bill looks wrong");
}

TEST_F(MessageRoutingTest, CancellingTheTurnCancelsTheLlmsRouting) {
  const int64_t conversation = Conversation(JunoExtensions(std::make_pair(1.0, 0.0)));
  std::shared_ptr<Posted> posted = Post(conversation, "my bill looks wrong");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  posted->handle->Cancel();
  ASSERT_TRUE(provider_.WaitForCancel(0));
  std::future<Result<TurnOutcome>> done = posted->done.get_future();
  ASSERT_EQ(done.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  (void)done.get();
  // Nothing was decided: a human is left to look at it.
  const nlohmann::json routing = RoutingOf(Stored(posted->acknowledged.id));
  EXPECT_EQ(routing["level"], "human");
  EXPECT_EQ(routing["reason"], "llm_failed");
}

TEST_F(MessageRoutingTest, AMessageStoredWithoutATurnKeepsTheClassifiersDecision) {
  const int64_t conversation = Conversation(JunoExtensions());
  Result<store::Message> stored = runtime_->AddUserMessage(conversation, "I want to talk to a human");
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  const nlohmann::json routing = RoutingOf(*stored);
  EXPECT_EQ(routing["intent"], "human_agent");
  EXPECT_EQ(routing["level"], "human");
  EXPECT_EQ(routing["reason"], "handoff_intent");
  EXPECT_EQ(provider_.calls(), 0u);
}

TEST_F(MessageRoutingTest, ACharacterWithoutACatalogStoresNoDecision) {
  const int64_t conversation = Conversation("{}");
  std::shared_ptr<Posted> posted = Post(conversation, "what's my balance");
  EXPECT_TRUE(RoutingOf(posted->acknowledged).is_null());
  ASSERT_TRUE(provider_.WaitForCalls(1));
  provider_.End(0);
  ASSERT_TRUE(posted->done.get_future().get().ok());
}

// A catalog kept as a file under the intents directory, named after the character's slug, routes
// the messages of a character whose card has none; an edit of the file takes effect on the next
// message, and a catalog naming a tool the card does not define is refused by its path.
TEST_F(MessageRoutingTest, AStandaloneCatalogRoutesACharacterWithoutOne) {
  const int64_t conversation = Conversation("{}");
  const std::string slug = store_->characters().Get(store_->conversations().Get(conversation)->character_id)->slug;
  std::filesystem::create_directories(dir_ / "intents");
  const std::filesystem::path file = dir_ / "intents" / (slug + ".yml");
  const auto write_catalog = [&](const std::string& greeting, const std::string& weather) {
    std::ofstream(file) << "routing: {classifier_threshold: 0.0, llm_threshold: 0.0}\n"
                        << "intents:\n"
                        << "  - name: " << greeting << "\n    examples: [hello there, hi, good morning]\n"
                        << "  - name: " << weather << "\n    examples: [is it raining, how is the weather, sunny today]\n";
  };
  write_catalog("greet", "weather");
  std::shared_ptr<Posted> first = Post(conversation, "is it raining today");
  EXPECT_EQ(RoutingOf(first->acknowledged)["intent"], "weather");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  provider_.End(0);
  ASSERT_TRUE(first->done.get_future().get().ok());

  // Edited in place (a different size, so the stamp differs even within one clock tick).
  write_catalog("salute", "forecast_question");
  std::shared_ptr<Posted> second = Post(conversation, "is it raining today");
  EXPECT_EQ(RoutingOf(second->acknowledged)["intent"], "forecast_question");
  ASSERT_TRUE(provider_.WaitForCalls(2));
  provider_.End(1);
  ASSERT_TRUE(second->done.get_future().get().ok());

  // Juno's catalog names tools this card does not define.
  std::filesystem::copy_file(std::string(TROUPE_SOURCE_DIR) + "/examples/intents/juno.yaml", file,
                             std::filesystem::copy_options::overwrite_existing);
  Result<PostedMessage> refused = runtime_->PostMessage(
      conversation, "what's my balance", TurnOptions{}, [](const TurnEvent&) {}, [](Result<TurnOutcome>) {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().field(), file.string());
  EXPECT_NE(refused.status().message().find("uses the tool 'get_balance'"), std::string::npos)
      << refused.status().message();
}

TEST(CardIntentCatalogTest, JunosCardCarriesTheExampleCatalog) {
  Result<std::optional<intents::IntentCatalog>> from_card = intents::CatalogFromExtensions(JunoExtensions());
  ASSERT_TRUE(from_card.ok()) << from_card.status().ToString();
  ASSERT_TRUE(from_card->has_value());
  Result<intents::IntentCatalog> from_file =
      intents::LoadIntentCatalog(std::string(TROUPE_SOURCE_DIR) + "/examples/intents/juno.yaml");
  ASSERT_TRUE(from_file.ok());
  ASSERT_EQ((*from_card)->intents.size(), from_file->intents.size());
  for (size_t i = 0; i < from_file->intents.size(); ++i) {
    const intents::Intent& a = (*from_card)->intents[i];
    const intents::Intent& b = from_file->intents[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.examples, b.examples) << a.name << ": the card's copy of examples/intents/juno.yaml differs";
    EXPECT_EQ(a.tools, b.tools) << a.name;
    EXPECT_EQ(a.templates, b.templates) << a.name;
    EXPECT_EQ(a.handoff, b.handoff) << a.name;
  }
  EXPECT_EQ((*from_card)->routing.classifier, from_file->routing.classifier);
}

TEST(CardIntentCatalogTest, ABrokenCatalogIsRefusedByName) {
  Result<std::optional<intents::IntentCatalog>> none = intents::CatalogFromExtensions(R"({"troupe":{}})");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  const Status typo = intents::CatalogFromExtensions(
                          R"({"troupe":{"intents":{"intents":[{"name":"a","exampels":["x"]}]}}})")
                          .status();
  EXPECT_EQ(typo.field(), "extensions.troupe.intents");
  EXPECT_NE(typo.message().find("extensions.troupe.intents:4: an intent: unknown key 'exampels'"), std::string::npos)
      << typo.message();
  const Status one = intents::CatalogFromExtensions(
                         R"({"troupe":{"intents":{"intents":[{"name":"a","examples":["x"]}]}}})")
                         .status();
  EXPECT_NE(one.message().find("at least two intents; found 1"), std::string::npos) << one.message();
  EXPECT_EQ(intents::CatalogFromExtensions(R"({"troupe":{"intents":[1]}})").status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace troupe::chat
