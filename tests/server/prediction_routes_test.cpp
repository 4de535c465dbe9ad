// Outcome prediction over a real socket with a real job runner: a store whose conversations that
// went to a person began upset, a predictor trained on it through the API as a job (stored with
// its held-out report), the server's predictor scoring new conversations from their first messages
// and storing what it predicted, which the API then shows; errors that name their field.
#include <gtest/gtest.h>

#include <memory>

#include <nlohmann/json.hpp>

#include "server/api_fixture.h"
#include "server/services/job_runner.h"
#include "server/services/outcome_predictions.h"

namespace troupe::server::testing {
namespace {

using nlohmann::json;

const char kCalm[] = "hi, can you check my order please";
const char kAngry[] = "This is the third time my order is late!!! Why does nobody answer?! I want a refund now!!!";

class PredictionRoutesTest : public ::testing::Test {
 protected:
  PredictionRoutesTest() {
    ApiOptions options = UnlimitedOptions();
    options.clock = &clock_;
    server_ = std::make_unique<ApiServer>(Backend::kSqlite, options, [this](store::Store& store, ApiOptions& api) {
      api.on_job_enqueued = [this] { runner_->Wake(); };
      JobRunnerOptions job_options;
      job_options.workers = 1;
      job_options.poll_interval_ms = 50;
      runner_ = std::make_unique<JobRunner>(store, job_options);
      predictor_ = std::make_unique<StoredOutcomePredictor>(store, clock_);
      RegisterAnalyticsJobs(*runner_, store, clock_, [this] { predictor_->Refresh(); });
      runner_->Start();
    });
    studio_ = server_->MintKey({"studio"}).key;
    user_ = server_->MakeUser("customer").id;
    character_ = server_->MakeCharacter("Juno", true).id;
  }

  ~PredictionRoutesTest() override {
    runner_->Stop();
    server_.reset();
  }

  // A conversation that opened with `first` and a reply; returned with its messages.
  std::pair<store::Conversation, std::vector<store::Message>> Conversation(const std::string& first) {
    store::Conversation conversation = server_->MakeConversation(user_, character_);
    std::vector<store::Message> messages;
    for (const auto& [role, text] : std::vector<std::pair<store::MessageRole, std::string>>{
             {store::MessageRole::kUser, first}, {store::MessageRole::kAssistant, "Let me look."},
             {store::MessageRole::kUser, "ok thanks"}, {store::MessageRole::kAssistant, "Done."}}) {
      store::Message message;
      message.conversation_id = conversation.id;
      message.role = role;
      message.content = text;
      messages.push_back(server_->store().messages().Append(message).value());
    }
    return {conversation, messages};
  }

  void SeedHistory() {
    for (int i = 0; i < 160; ++i) {
      const bool upset = i % 3 == 0;
      const int64_t id = Conversation(upset ? kAngry : kCalm).first.id;
      if (upset) {
        ASSERT_TRUE(server_->store().conversations().SetStatus(id, store::ConversationStatus::kHandedOff).ok());
      }
    }
  }

  ManualClock clock_{1'790'000'000'000};
  std::unique_ptr<StoredOutcomePredictor> predictor_;  // as serve's: told when the job saves a model
  std::unique_ptr<JobRunner> runner_;
  std::unique_ptr<ApiServer> server_;
  std::string studio_;
  int64_t user_ = 0;
  int64_t character_ = 0;
};

TEST_F(PredictionRoutesTest, APredictorTrainedThroughTheApiScoresAndStoresNewConversations) {
  SeedHistory();
  auto [early, early_messages] = Conversation(kAngry);
  Result<std::optional<double>> before = predictor_->PredictHandoff(early, early_messages);
  ASSERT_TRUE(before.ok());
  EXPECT_FALSE(before->has_value());  // no model yet (and the clock stands still from here on)

  const json queued = CallExpecting(*server_, studio_, "POST", "/api/v1/analytics/outcome-models",
                                    {{"outcome", "handoff"}, {"first_messages", 4}}, 202);
  EXPECT_EQ(queued["kind"], "analytics.train_outcomes");
  const json job = WaitForFinishedJob(*server_, studio_, queued["id"].get<int64_t>());
  ASSERT_EQ(job["status"], "succeeded") << job.dump();
  EXPECT_GT(job["result"]["report"]["auc"].get<double>(), 0.95);
  const int64_t model_id = job["result"]["model_id"].get<int64_t>();

  const json models = CallExpecting(*server_, studio_, "GET", "/api/v1/analytics/outcome-models?outcome=handoff", json(), 200);
  ASSERT_EQ(models["data"].size(), 1u);
  EXPECT_EQ(models["data"][0]["id"], model_id);
  EXPECT_EQ(models["data"][0]["first_messages"], 4);
  EXPECT_EQ(models["data"][0]["examples"], 161);  // the history and the conversation from before training

  // The model the job just saved is used at once: the job told the predictor.
  auto [angry, angry_messages] = Conversation(kAngry);
  auto [calm, calm_messages] = Conversation(kCalm);
  Result<std::optional<double>> upset = predictor_->PredictHandoff(angry, angry_messages);
  Result<std::optional<double>> fine = predictor_->PredictHandoff(calm, calm_messages);
  ASSERT_TRUE(upset.ok() && fine.ok()) << upset.status().ToString() << fine.status().ToString();
  ASSERT_TRUE(upset->has_value() && fine->has_value());
  EXPECT_GT(**upset, 0.8);
  EXPECT_LT(**fine, 0.2);

  const json stored = CallExpecting(*server_, studio_, "GET",
                                    "/api/v1/conversations/" + std::to_string(angry.id) + "/predictions", json(), 200);
  ASSERT_EQ(stored["predictions"].size(), 1u);
  EXPECT_EQ(stored["predictions"][0]["outcome"], "handoff");
  EXPECT_EQ(stored["predictions"][0]["model_id"], model_id);
  EXPECT_EQ(stored["predictions"][0]["messages_seen"], 4);
  EXPECT_DOUBLE_EQ(stored["predictions"][0]["probability"].get<double>(), **upset);
}

TEST_F(PredictionRoutesTest, WithoutAModelNothingIsPredictedAndErrorsNameTheirField) {
  StoredOutcomePredictor predictor(server_->store(), clock_);
  auto [conversation, messages] = Conversation(kAngry);
  Result<std::optional<double>> none = predictor.PredictHandoff(conversation, messages);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->has_value());

  ExpectApiError(server_->Call("POST", "/api/v1/analytics/outcome-models", studio_, R"({"outcome":"joy"})"), 400,
                 "invalid_argument", "outcome");
  ExpectApiError(server_->Call("POST", "/api/v1/analytics/outcome-models", studio_, R"({"test_share":1})"), 400,
                 "invalid_argument", "test_share");
  // Too few conversations: the job fails and says why.
  const json queued = CallExpecting(*server_, studio_, "POST", "/api/v1/analytics/outcome-models", json::object(), 202);
  const json job = WaitForFinishedJob(*server_, studio_, queued["id"].get<int64_t>());
  EXPECT_EQ(job["status"], "failed");
  EXPECT_NE(job["error"].get<std::string>().find("too few"), std::string::npos) << job.dump();
  const std::string client = server_->MintKey({"client"}, user_).key;
  EXPECT_EQ(server_->Call("GET", "/api/v1/analytics/outcome-models", client).status, 403);
}

}  // namespace
}  // namespace troupe::server::testing
