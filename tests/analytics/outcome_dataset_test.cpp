// The outcome examples from a real SQLite store on a manual clock: which conversations count for
// each outcome, what they are labelled, and the features of their first messages.
#include "analytics/outcome_dataset.h"

#include <gtest/gtest.h>

#include <cmath>

#include "base/clock.h"
#include "support/temp_dir.h"

namespace troupe::analytics {
namespace {

constexpr int64_t kDay = 24LL * 3600 * 1000;

class OutcomeDatasetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreOptions options;
    options.url = "sqlite://" + (dir_ / "troupe.db").string();
    options.clock = &clock_;
    Result<std::unique_ptr<store::Store>> opened = store::Store::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    ASSERT_TRUE(store_->Migrate().ok());
    store::Character character;
    character.name = "Juno";
    character_id_ = store_->characters().Create(character)->id;
  }

  int64_t NewUser(const std::string& name) {
    store::User user;
    user.external_id = name;
    return store_->users().Create(user)->id;
  }

  // A conversation of `user` with the given user messages, each answered, one minute apart.
  int64_t Converse(int64_t user, const std::vector<std::string>& said) {
    store::Conversation conversation;
    conversation.user_id = user;
    conversation.character_id = character_id_;
    const int64_t id = store_->conversations().Create(conversation)->id;
    for (const std::string& text : said) {
      store::Message message;
      message.conversation_id = id;
      message.content = text;
      message.sentiment = text.find('!') != std::string::npos ? -0.8 : 0.4;
      EXPECT_TRUE(store_->messages().Append(message).ok());
      clock_.Advance(60'000);
      message.role = store::MessageRole::kAssistant;
      message.content = "Sure.";
      message.sentiment.reset();
      message.latency_ms = 1500;
      EXPECT_TRUE(store_->messages().Append(message).ok());
    }
    return id;
  }

  testing::TempDir dir_;
  ManualClock clock_{1'700'000'000'000};
  std::unique_ptr<store::Store> store_;
  int64_t character_id_ = 0;
};

TEST_F(OutcomeDatasetTest, FeaturesOfTheFirstMessages) {
  const int64_t id = Converse(NewUser("a"), {"Where is it?!", "hello", "third one, beyond the first 4"});
  Result<std::vector<OutcomeExample>> examples =
      BuildOutcomeDataset(*store_, {Outcome::kHandoff, /*first_messages=*/4, 7, clock_.NowMillis()});
  ASSERT_TRUE(examples.ok()) << examples.status().ToString();
  ASSERT_EQ(examples->size(), 1u);
  EXPECT_EQ((*examples)[0].conversation_id, id);
  const std::vector<float>& f = (*examples)[0].features;
  const std::vector<std::string>& names = OutcomeFeatureNames();
  ASSERT_EQ(f.size(), names.size());
  auto feature = [&](const std::string& name) { return f[std::find(names.begin(), names.end(), name) - names.begin()]; };
  EXPECT_EQ(feature("user_messages"), 2);
  EXPECT_EQ(feature("assistant_messages"), 2);
  EXPECT_FLOAT_EQ(feature("mean_user_chars"), (13 + 5) / 2.0f);
  EXPECT_FLOAT_EQ(feature("questions_per_user_message"), 0.5f);
  EXPECT_FLOAT_EQ(feature("min_user_sentiment"), -0.8f);
  EXPECT_FLOAT_EQ(feature("sentiment_trend"), 1.2f);
  EXPECT_FLOAT_EQ(feature("mean_reply_latency_s"), 1.5f);
  EXPECT_FLOAT_EQ(feature("mean_user_gap_s"), 60.0f);
  EXPECT_EQ(feature("swipes"), 0);
  EXPECT_EQ(feature("distinct_intents"), 0);
  EXPECT_EQ(feature("human_routed"), 0);
  EXPECT_TRUE(std::isnan(feature("mean_intent_confidence")));  // nothing was routed
  EXPECT_FALSE((*examples)[0].happened);
}

TEST_F(OutcomeDatasetTest, SwipesAndRoutedIntentsOfTheFirstMessagesAreFeatures) {
  store::Conversation conversation;
  conversation.user_id = NewUser("router");
  conversation.character_id = character_id_;
  const int64_t id = store_->conversations().Create(conversation)->id;
  // As the runtime writes them: routing on the user's messages, alternatives on a regenerated reply.
  const std::vector<std::pair<store::MessageRole, std::string>> script = {
      {store::MessageRole::kUser, R"({"routing":{"intent":"order_status","level":"classifier","confidence":0.9}})"},
      {store::MessageRole::kAssistant, R"({"swipes":["first","second","third"],"swipe":2})"},
      {store::MessageRole::kUser, R"({"routing":{"intent":"refund","level":"llm","confidence":0.5}})"},
      {store::MessageRole::kAssistant, R"({"swipes":["only"]})"},
      {store::MessageRole::kUser, R"({"routing":{"intent":"refund","level":"human","confidence":0.7}})"},
      {store::MessageRole::kAssistant, "{}"},
      {store::MessageRole::kUser, R"({"routing":{"intent":"beyond_the_first_six","level":"human"}})"},
  };
  for (const auto& [role, metadata] : script) {
    store::Message message;
    message.conversation_id = id;
    message.role = role;
    message.content = "text";
    message.metadata_json = metadata;
    ASSERT_TRUE(store_->messages().Append(message).ok());
  }
  Result<std::vector<OutcomeExample>> examples =
      BuildOutcomeDataset(*store_, {Outcome::kHandoff, /*first_messages=*/6, 7, clock_.NowMillis()});
  ASSERT_TRUE(examples.ok()) << examples.status().ToString();
  ASSERT_EQ(examples->size(), 1u);
  const std::vector<std::string>& names = OutcomeFeatureNames();
  ASSERT_EQ((*examples)[0].features.size(), names.size());
  auto feature = [&](const std::string& name) {
    return (*examples)[0].features[std::find(names.begin(), names.end(), name) - names.begin()];
  };
  EXPECT_EQ(feature("swipes"), 2);            // three alternatives: two regenerations
  EXPECT_EQ(feature("distinct_intents"), 2);  // order_status and refund
  EXPECT_EQ(feature("human_routed"), 1);      // the seventh message is not among the first six
  EXPECT_FLOAT_EQ(feature("mean_intent_confidence"), (0.9f + 0.5f + 0.7f) / 3);
}

TEST_F(OutcomeDatasetTest, ReturnIsKnownOnlyOnceItsWindowHasClosed) {
  const int64_t mia = NewUser("mia"), leo = NewUser("leo");
  const int64_t mia_first = Converse(mia, {"hi"});
  const int64_t leo_only = Converse(leo, {"hi"});
  clock_.Advance(3 * kDay);
  const int64_t mia_second = Converse(mia, {"back again"});
  clock_.Advance(8 * kDay);
  const int64_t mia_recent = Converse(mia, {"and again"});
  Result<std::vector<OutcomeExample>> examples =
      BuildOutcomeDataset(*store_, {Outcome::kReturn, 6, /*return_days=*/7, clock_.NowMillis()});
  ASSERT_TRUE(examples.ok());
  std::map<int64_t, bool> labels;
  for (const OutcomeExample& example : *examples) labels[example.conversation_id] = example.happened;
  EXPECT_TRUE(labels.at(mia_first));    // came back after 3 days
  EXPECT_FALSE(labels.at(leo_only));    // never came back
  EXPECT_FALSE(labels.at(mia_second));  // the next one came 8 days later
  EXPECT_EQ(labels.count(mia_recent), 0u);  // its week is not over
}

TEST_F(OutcomeDatasetTest, GoodEndFollowsTheLatestRatingAndHandoffSkipsEarlyAgents) {
  const int64_t user = NewUser("u");
  const int64_t happy = Converse(user, {"thanks"}), unhappy = Converse(user, {"meh"}), middling = Converse(user, {"ok"});
  for (auto [conversation, rating] : {std::pair{happy, 2}, {happy, 5}, {unhappy, 1}, {middling, 3}}) {
    store::FeedbackEvent event;
    event.conversation_id = conversation;
    event.kind = "csat";
    event.rating = rating;
    ASSERT_TRUE(store_->feedback().Record(event).ok());
    clock_.Advance(1000);
  }
  Result<std::vector<OutcomeExample>> rated = BuildOutcomeDataset(*store_, {Outcome::kGoodEnd, 6, 7, clock_.NowMillis()});
  ASSERT_TRUE(rated.ok());
  ASSERT_EQ(rated->size(), 2u);  // 3 is neither
  for (const OutcomeExample& example : *rated) EXPECT_EQ(example.happened, example.conversation_id == happy);

  store::Message agent;
  agent.conversation_id = happy;
  agent.role = store::MessageRole::kAgent;
  agent.content = "A person here.";
  ASSERT_TRUE(store_->messages().Append(agent).ok());
  Result<std::vector<OutcomeExample>> handoffs = BuildOutcomeDataset(*store_, {Outcome::kHandoff, 2, 7, clock_.NowMillis()});
  ASSERT_TRUE(handoffs.ok());
  ASSERT_EQ(handoffs->size(), 3u);  // the agent came after the first 2 messages
  for (const OutcomeExample& example : *handoffs) EXPECT_EQ(example.happened, example.conversation_id == happy);
  Result<std::vector<OutcomeExample>> later = BuildOutcomeDataset(*store_, {Outcome::kHandoff, 6, 7, clock_.NowMillis()});
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->size(), 2u);  // within the first 6 it is no longer a prediction
}

}  // namespace
}  // namespace troupe::analytics
