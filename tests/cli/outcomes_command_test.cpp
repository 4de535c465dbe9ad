// `troupe analytics outcomes` through the real binary on SQLite and PostgreSQL: a store where the
// conversations that went to a person began with long, exclamatory messages, which the held-out
// report must find, and --save storing the model the runtime then predicts with; and errors that
// name the flag or say why nothing can be learned.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_store_fixture.h"

namespace troupe {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;
using testing::ProcessResult;

class OutcomesCommandTest : public testing::CliStoreTest {
 protected:
  void SetUp() override {
    CliStoreTest::SetUp();
    store::User user;
    user.external_id = "outcomes";
    Result<store::User> created_user = store_->users().Create(user);
    ASSERT_TRUE(created_user.ok());
    user_id_ = created_user->id;
    store::Character character;
    character.name = "Juno";
    Result<store::Character> created = store_->characters().Create(character);
    ASSERT_TRUE(created.ok());
    character_id_ = created->id;
  }

  // A conversation of two user messages and a reply; an upset one goes to a person afterwards.
  void AddConversation(bool upset, int index) {
    store::Conversation conversation;
    conversation.user_id = user_id_;
    conversation.character_id = character_id_;
    Result<store::Conversation> created = store_->conversations().Create(conversation);
    ASSERT_TRUE(created.ok());
    const std::string calm = "hi, can you check order " + std::to_string(index);
    const std::string angry = "This is the third time my order " + std::to_string(index) +
                              " is late!!! Why does nobody answer?! I want a refund now!!!";
    for (const std::string& content : {upset ? angry : calm, std::string("ok thanks")}) {
      store::Message message;
      message.conversation_id = created->id;
      message.role = store::MessageRole::kUser;
      message.content = content;
      ASSERT_TRUE(store_->messages().Append(message).ok());
      message.role = store::MessageRole::kAssistant;
      message.content = "Let me look.";
      ASSERT_TRUE(store_->messages().Append(message).ok());
    }
    if (upset) {
      ASSERT_TRUE(store_->conversations().SetStatus(created->id, store::ConversationStatus::kHandedOff).ok());
    }
  }

  int64_t user_id_ = 0;
  int64_t character_id_ = 0;
};

TEST_P(OutcomesCommandTest, HandoffsArePredictedFromTheFirstMessagesOnAHeldOutShare) {
  for (int i = 0; i < 160; ++i) AddConversation(/*upset=*/i % 3 == 0, i);
  const ProcessResult result = Troupe({"analytics", "outcomes", "--outcome", "handoff", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json report = json::parse(result.out);
  EXPECT_GT(report["test_examples"].get<int>(), 20);
  EXPECT_EQ(report["train_examples"].get<int>() + report["test_examples"].get<int>(), 160);
  EXPECT_GT(report["test_positives"].get<int>(), 0);
  EXPECT_GT(report["auc"].get<double>(), 0.95);
  EXPECT_GT(report["f1"].get<double>(), 0.9);
  const std::string top = report["feature_importance"][0]["feature"].get<std::string>();
  EXPECT_THAT(top, ::testing::AnyOf("mean_user_chars", "max_user_chars", "exclamations_per_user_message",
                                    "questions_per_user_message", "mean_user_sentiment", "min_user_sentiment",
                                    "sentiment_trend"));
  // The table names the same figures.
  const ProcessResult table = Troupe({"analytics", "outcomes", "--outcome", "handoff"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("AUC "));
  EXPECT_THAT(table.out, HasSubstr("feature importance"));
  EXPECT_FALSE(store_->predictions().LatestModel("handoff").value().has_value());  // nothing saved without --save

  const ProcessResult saved = Troupe({"analytics", "outcomes", "--outcome", "handoff", "--save"});
  ASSERT_EQ(saved.exit_code, 0) << saved.err;
  EXPECT_THAT(saved.err, HasSubstr("saved as outcome model"));
  std::optional<store::OutcomeModelRecord> model = store_->predictions().LatestModel("handoff").value();
  ASSERT_TRUE(model.has_value());
  EXPECT_EQ(model->examples, 160);
  EXPECT_EQ(model->first_messages, 6);
  EXPECT_EQ(json::parse(model->report_json)["auc"], report["auc"]);  // the same seed, the same model
}

TEST_P(OutcomesCommandTest, ErrorsSayWhatIsWrong) {
  const ProcessResult bad = Troupe({"analytics", "outcomes", "--outcome", "happiness"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("--outcome"));
  AddConversation(false, 1);
  const ProcessResult few = Troupe({"analytics", "outcomes"});
  EXPECT_NE(few.exit_code, 0);
  EXPECT_THAT(few.err, HasSubstr("too few"));
  // No rated conversation: good_end knows no outcome at all.
  const ProcessResult unrated = Troupe({"analytics", "outcomes", "--outcome", "good_end"});
  EXPECT_NE(unrated.exit_code, 0);
  EXPECT_THAT(unrated.err, HasSubstr("0 conversations have a known good_end outcome"));
}

INSTANTIATE_TEST_SUITE_P(Backends, OutcomesCommandTest,
                         ::testing::Values(testing::CliBackend::kSqlite, testing::CliBackend::kPostgres),
                         testing::CliBackendName);

}  // namespace
}  // namespace troupe
