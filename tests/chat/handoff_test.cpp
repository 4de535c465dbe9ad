// Automatic handoff (chat/handoff.h) with Juno: a user who asks for a person, a message the router
// cannot place, a strongly negative message, and the same request failing again and again each end
// with Juno saying a colleague takes over, the conversation handed off with a summary for the agent,
// and Juno quiet until it is handed back. A conversation the outcome predictor expects to need a
// person goes to one early when the catalog asks for it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>

#include "chat/outcome_prediction.h"
#include "chat/sentiment.h"
#include "juno_turns_fixture.h"

namespace troupe::chat {
namespace {

using ::testing::HasSubstr;
using ::troupe::chat::testing::Json;
using nlohmann::json;

class HandoffTest : public testing::JunoTurnsTest {
 protected:
  void Start() {
    StartRuntime(4, [this](RuntimeOptions& options) {
      options.on_conversation_changed = [this](const store::Conversation& conversation) {
        std::lock_guard lock(changed_mutex_);
        changed_.push_back(conversation);
      };
    });
  }

  // The prompt's text, every message joined: what the model was told.
  static std::string PromptOf(const llm::ChatRequest& request) {
    std::string text;
    for (const llm::ChatMessage& message : request.messages) text += message.content + "\n";
    return text;
  }

  json HandoffOf(int64_t conversation) {
    return json::parse(store_->conversations().Get(conversation)->metadata_json).value("handoff", json());
  }

  size_t Changed() {
    std::lock_guard lock(changed_mutex_);
    return changed_.size();
  }

  std::mutex changed_mutex_;
  std::vector<store::Conversation> changed_;
};

TEST_F(HandoffTest, AUserWhoAsksForAPersonIsToldAndHandedOverWithASummary) {
  Start();
  const int64_t conversation = Conversation(Extensions());
  std::shared_ptr<Posted> posted = Post(conversation, "I want to talk to a real person, not a bot");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  const llm::ChatRequest& request = provider_.call(0)->request;
  EXPECT_TRUE(request.tools.empty());
  EXPECT_THAT(PromptOf(request), HasSubstr("a colleague will take over"));  // the handoff intent's prompt
  const store::Message told = Answer(posted, 0, "Of course, a colleague will be with you right here.");
  EXPECT_EQ(json::parse(told.metadata_json)["handoff"], "asked");

  const store::Conversation after = *store_->conversations().Get(conversation);
  EXPECT_EQ(after.status, store::ConversationStatus::kHandedOff);
  const json handoff = HandoffOf(conversation);
  EXPECT_EQ(handoff["requested_by"], "assistant");
  EXPECT_EQ(handoff["reason"], "asked");
  EXPECT_EQ(handoff["summary"]["customer"]["external_id"], "kim-42");
  EXPECT_EQ(handoff["summary"]["wants"]["intent"], "human_agent");
  EXPECT_EQ(handoff["summary"]["wants"]["last_messages"].back(), "I want to talk to a real person, not a bot");
  EXPECT_THAT(handoff["summary"]["text"].get<std::string>(), HasSubstr("Kim (kim-42)"));
  EXPECT_THAT(handoff["summary"]["text"].get<std::string>(), HasSubstr("No tools were tried"));
  EXPECT_EQ(Changed(), 1u);

  // The reply's stream said so before it ended.
  {
    std::lock_guard lock(posted->mutex);
    ASSERT_GE(posted->events.size(), 2u);
    EXPECT_EQ(EventName(posted->events[posted->events.size() - 2]), "handoff");
    EXPECT_EQ(EventName(posted->events.back()), "done");
  }

  // Juno stays quiet: the user's next message is stored for the agent, and no reply is written.
  std::shared_ptr<Posted> later = Post(conversation, "hello? is anyone there?");
  std::future<Result<TurnOutcome>> ended = later->done.get_future();
  ASSERT_EQ(ended.wait_for(std::chrono::seconds(0)), std::future_status::ready);  // ended at once
  Result<TurnOutcome> outcome = ended.get();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_TRUE(outcome->messages.empty());
  EXPECT_EQ(outcome->conversation.status, store::ConversationStatus::kHandedOff);
  {
    std::lock_guard lock(later->mutex);
    std::vector<std::string> names;
    for (const TurnEvent& event : later->events) names.emplace_back(EventName(event));
    EXPECT_EQ(names, (std::vector<std::string>{"message", "handoff", "done"}));
  }
  const std::vector<store::Message> stored = *store_->messages().Latest(conversation, 1);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].id, later->acknowledged.id);
  EXPECT_EQ(stored[0].role, store::MessageRole::kUser);
  EXPECT_EQ(stored[0].content, "hello? is anyone there?");
  EXPECT_EQ(json::parse(stored[0].metadata_json)["to_agent"], true);
  EXPECT_EQ(store_->conversations().Get(conversation)->message_count, after.message_count + 1);
  EXPECT_EQ(provider_.calls(), 1u);
  // A reply asked for outright is still refused.
  Result<TurnOutcome> reply = runtime_->Reply(conversation, TurnOptions{}, {});
  EXPECT_EQ(reply.status().code(), StatusCode::kFailedPrecondition);

  // Closed, the conversation takes no message at all.
  ASSERT_TRUE(store_->conversations().SetStatus(conversation, store::ConversationStatus::kClosed).ok());
  Result<PostedMessage> refused = runtime_->PostMessage(conversation, "hello?", TurnOptions{},
                                                        [](const TurnEvent&) {}, [](Result<TurnOutcome>) {});
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->messages().Latest(conversation, 1)->at(0).id, later->acknowledged.id);
}

// An agent who is available and was seen recently takes the conversation at once; one whose
// presence is older than the timeout does not.
TEST_F(HandoffTest, TheHandoffGoesToAnAvailableAgent) {
  Start();
  auto agent_key = [this](const std::string& name) {
    store::ApiKey key;
    key.name = name;
    key.prefix = name + "-prefix";
    key.secret_hash = "x";
    key.scopes = {"agent"};
    return store_->api_keys().Create(key).value();
  };
  const store::ApiKey stale = agent_key("stale");
  ASSERT_TRUE(store_->agents().SetPresence(stale.id, store::AgentStatus::kAvailable, 3).ok());
  clock_.Advance(RuntimeOptions{}.agent_presence_timeout_ms + 1);
  const store::ApiKey fresh = agent_key("fresh");
  ASSERT_TRUE(store_->agents().SetPresence(fresh.id, store::AgentStatus::kAvailable, 3).ok());

  const int64_t conversation = Conversation(Extensions());
  std::shared_ptr<Posted> posted = Post(conversation, "I want to talk to a real person, not a bot");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  Answer(posted, 0, "A colleague will be with you right here.");
  const json handoff = HandoffOf(conversation);
  EXPECT_EQ(handoff["assigned_to"], "fresh-prefix");
  EXPECT_EQ(handoff["assigned_at"], clock_.NowMillis());
  std::lock_guard lock(changed_mutex_);
  ASSERT_EQ(changed_.size(), 1u);  // announced with its agent
  EXPECT_EQ(json::parse(changed_[0].metadata_json)["handoff"]["assigned_to"], "fresh-prefix");
}

TEST_F(HandoffTest, AMessageTheRouterCannotPlaceGoesToAPerson) {
  Start();
  // Nothing is confident enough for the classifier or the LLM: every message is a human's.
  const int64_t conversation =
      Conversation(Extensions(true, {{"classifier_threshold", 1.0}, {"llm_threshold", 1.0}}));
  std::shared_ptr<Posted> posted = Post(conversation, "what's my balance");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  EXPECT_TRUE(provider_.call(0)->request.tools.empty());
  Answer(posted, 0, "Let me bring in a colleague.");
  EXPECT_EQ(HandoffOf(conversation)["reason"], "low_confidence");
}

TEST_F(HandoffTest, AStronglyNegativeMessageGoesToAPerson) {
  Start();
  const std::string angry = "This is terrible, your useless service is awful and I hate it";
  ASSERT_LE(EstimateSentiment(angry), -0.3) << "the test's message must read as negative";
  const int64_t conversation = Conversation(Extensions(true, {{"handoff_sentiment", -0.3}}));
  std::shared_ptr<Posted> posted = Post(conversation, angry);
  ASSERT_TRUE(provider_.WaitForCalls(1));
  Answer(posted, 0, "I am sorry. A colleague will take over now.");
  EXPECT_EQ(HandoffOf(conversation)["reason"], "negative_sentiment");
}

TEST_F(HandoffTest, HowNegativeIsTooNegativeIsTheCatalogsChoice) {
  Start();
  const std::string angry = "This is terrible, your useless service is awful and I hate it";
  ASSERT_GT(EstimateSentiment(angry), -1.0) << "only the most negative message goes to a person at -1";
  const int64_t calm = Conversation(Extensions(true, {{"handoff_sentiment", -1.0}}));
  std::shared_ptr<Posted> posted = Post(calm, angry);
  ASSERT_TRUE(provider_.WaitForCalls(1));
  Answer(posted, 0, "I am sorry to hear that. What went wrong?");
  EXPECT_TRUE(HandoffOf(calm).is_null());
}

TEST_F(HandoffTest, TheSameRequestFailingTwiceGoesToAPersonWithWhatWasTried) {
  Start();
  const int64_t conversation = Conversation(Extensions());
  backend_.SetDefault(Json(503, R"({"error":"billing is down"})"));
  // Twice: the balance is asked for, the tool fails, the model apologises.
  for (size_t turn = 0; turn < 2; ++turn) {
    // Counted before posting: the turn may reach the provider before Post returns.
    const size_t first_call = provider_.calls();
    std::shared_ptr<Posted> posted = Post(conversation, turn == 0 ? "what's my balance" : "what is my balance please");
    ASSERT_TRUE(provider_.WaitForCalls(first_call + 1));
    EXPECT_FALSE(provider_.call(first_call)->request.tools.empty()) << "turn " << turn << " is not handed off yet";
    provider_.CallTools(first_call, {{"call_" + std::to_string(turn), "get_balance", "{}"}});
    ASSERT_TRUE(provider_.WaitForCalls(first_call + 2));
    Answer(posted, first_call + 1, "Sorry, I cannot see your balance right now.");
  }
  EXPECT_TRUE(HandoffOf(conversation).is_null());
  // The third time, Juno hands over instead of trying again.
  const size_t call = provider_.calls();
  std::shared_ptr<Posted> third = Post(conversation, "how much credit do I have left");
  ASSERT_TRUE(provider_.WaitForCalls(call + 1));
  EXPECT_TRUE(provider_.call(call)->request.tools.empty());
  Answer(third, call, "A colleague will look into it now.");
  const json handoff = HandoffOf(conversation);
  EXPECT_EQ(handoff["reason"], "repeated_failure");
  ASSERT_EQ(handoff["summary"]["tried"].size(), 2u);
  EXPECT_EQ(handoff["summary"]["tried"][0]["tool"], "get_balance");
  EXPECT_EQ(handoff["summary"]["tried"][0]["outcome"], "unavailable");
  EXPECT_THAT(handoff["summary"]["text"].get<std::string>(), HasSubstr("get_balance unavailable (HTTP 503)"));
}

TEST_F(HandoffTest, AFollowUpAfterAnAnswerThatWorkedStaysWithTheCharacter) {
  Start();
  const int64_t conversation = Conversation(Extensions());
  backend_.SetDefault(Json(200, R"({"balance":"3 EUR"})"));
  for (size_t turn = 0; turn < 3; ++turn) {
    const size_t first_call = provider_.calls();
    std::shared_ptr<Posted> posted = Post(conversation, "what's my balance");
    ASSERT_TRUE(provider_.WaitForCalls(first_call + 1));
    ASSERT_FALSE(provider_.call(first_call)->request.tools.empty()) << "turn " << turn;
    provider_.CallTools(first_call, {{"call_" + std::to_string(turn), "get_balance", "{}"}});
    ASSERT_TRUE(provider_.WaitForCalls(first_call + 2));
    Answer(posted, first_call + 1, "You have 3 EUR.");
  }
  EXPECT_TRUE(HandoffOf(conversation).is_null());
  EXPECT_EQ(store_->conversations().Get(conversation)->status, store::ConversationStatus::kActive);
}


// The predictor the runtime is given (chat/outcome_prediction.h): the probability the test sets,
// and the messages each call saw. The model behind the real one is tested in tests/server.
class SetProbability final : public OutcomePredictor {
 public:
  explicit SetProbability(double probability) : probability_(probability) {}
  Result<std::optional<double>> PredictHandoff(const store::Conversation&,
                                               const std::vector<store::Message>& messages) override {
    std::lock_guard lock(mutex_);
    seen_.push_back(messages.size());
    return std::optional<double>(probability_);
  }
  std::vector<size_t> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  const double probability_;
  std::mutex mutex_;
  std::vector<size_t> seen_;
};

class PredictedHandoffTest : public HandoffTest {
 protected:
  void StartWith(std::shared_ptr<SetProbability> predictor) {
    predictor_ = predictor;
    StartRuntime(4, [predictor](RuntimeOptions& options) { options.outcome_predictor = predictor; });
  }
  std::shared_ptr<SetProbability> predictor_;
};

TEST_F(PredictedHandoffTest, AConversationPredictedToNeedAPersonGoesToOneEarly) {
  StartWith(std::make_shared<SetProbability>(0.9));
  const int64_t conversation = Conversation(Extensions(true, {{"handoff_predicted_above", 0.7}}));
  std::shared_ptr<Posted> posted = Post(conversation, "hello there");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  Answer(posted, 0, "A colleague will take over now.");
  EXPECT_EQ(HandoffOf(conversation)["reason"], "predicted");
  EXPECT_EQ(predictor_->seen(), std::vector<size_t>{1});  // the whole conversation: one message
}

TEST_F(PredictedHandoffTest, BelowTheThresholdTheCharacterAnswers) {
  StartWith(std::make_shared<SetProbability>(0.3));
  const int64_t below = Conversation(Extensions(true, {{"handoff_predicted_above", 0.7}}));
  std::shared_ptr<Posted> posted = Post(below, "hello there");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  Answer(posted, 0, "Hello! How can I help?");
  EXPECT_TRUE(HandoffOf(below).is_null());
  EXPECT_EQ(predictor_->seen().size(), 1u);
}

TEST_F(PredictedHandoffTest, WithoutAThresholdAPredictionIsNeverActedOn) {
  StartWith(std::make_shared<SetProbability>(0.99));
  const int64_t unset = Conversation(Extensions());  // handoff_predicted_above 0: never
  std::shared_ptr<Posted> posted = Post(unset, "hello there");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  Answer(posted, 0, "Hello! How can I help?");
  EXPECT_TRUE(HandoffOf(unset).is_null());
  EXPECT_EQ(predictor_->seen().size(), 1u);  // predicted all the same, for the dashboards
}

}  // namespace
}  // namespace troupe::chat
