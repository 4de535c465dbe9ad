// The dashboards' routes over a real socket: a character with a three-stage flow and conversations
// at each stage (one before the flow ran, one at a stage the flow no longer has), a day's volume,
// sentiment, ratings and feedback comments, the funnel with its drop-off; evaluation runs listed and read with their
// reports; and the errors naming the parameter, and the scopes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/sentiment_lexicon.h"
#include "server/api_fixture.h"
#include "support/test_flows.h"

namespace troupe::server::testing {
namespace {

using nlohmann::json;

constexpr int64_t kAnalyticsMarch1 = 1'772'323'200'000;  // 2026-03-01T00:00:00Z

using ::troupe::testing::kThreeStageFlow;

class AnalyticsRoutesTest : public ::testing::Test {
 protected:
  AnalyticsRoutesTest() {
    ApiOptions options = UnlimitedOptions();
    options.clock = &clock_;
    api_ = std::make_unique<ApiServer>(Backend::kSqlite, options);
  }

  void SetUp() override {
    ASSERT_TRUE(api_->ok());
    agent_ = api_->MintKey({"agent"}).key;
    studio_ = api_->MintKey({"studio"}).key;
    user_ = api_->MakeUser("alice").id;
    juno_ = api_->MakeCharacter("Juno", true);
    juno_.flow = std::string(kThreeStageFlow);
    Result<store::Character> updated = api_->store().characters().Update(juno_);
    ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  }

  int64_t StartAt(const std::string& stage) {
    store::Conversation conversation = api_->MakeConversation(user_, juno_.id);
    conversation.stage = stage;
    EXPECT_TRUE(api_->store().conversations().UpdateState(conversation).ok());
    return conversation.id;
  }

  int64_t Say(int64_t conversation_id, store::MessageRole role, const std::string& stage,
              std::optional<double> sentiment) {
    store::Message message;
    message.conversation_id = conversation_id;
    message.role = role;
    message.content = "text";
    message.stage = stage;
    message.sentiment = sentiment;
    Result<store::Message> appended = api_->store().messages().Append(message);
    EXPECT_TRUE(appended.ok()) << appended.status().ToString();
    return appended.ok() ? appended->id : 0;
  }

  // Five conversations on March 1: "" (the flow's start, intro), intro, friendly, close, and one
  // at "gone". At friendly: a user message of sentiment 0.4 and a reply rated -1, then regenerated.
  void MakeConversations() {
    clock_.Set(kAnalyticsMarch1 + 1000);
    StartAt("");
    StartAt("intro");
    const int64_t friendly = StartAt("friendly");
    StartAt("close");
    StartAt("gone");
    Say(friendly, store::MessageRole::kUser, "friendly", 0.4);
    const int64_t reply = Say(friendly, store::MessageRole::kAssistant, "friendly", std::nullopt);
    ClientResponse rated = api_->Call("POST", "/api/v1/conversations/" + std::to_string(friendly) + "/feedback",
                                      studio_, json{{"kind", "rating"}, {"rating", -1}, {"message_id", reply}}.dump());
    ASSERT_EQ(rated.status, 201) << rated.body;
    store::MessagePatch swiped;  // regenerated once, the new alternative kept, as the runtime marks it
    swiped.metadata_json = R"({"swipes":["first","second"],"swipe":1})";
    ASSERT_TRUE(api_->store().messages().Patch(reply, swiped).ok());
  }

  json Get(const std::string& path, const std::string& key) {
    ClientResponse response = api_->Call("GET", path, key);
    EXPECT_EQ(response.status, 200) << response.body;
    return response.Json();
  }

  ManualClock clock_{kAnalyticsMarch1};
  std::unique_ptr<ApiServer> api_;
  std::string agent_;
  std::string studio_;
  int64_t user_ = 0;
  store::Character juno_;
};

TEST_F(AnalyticsRoutesTest, DaysAndTheFunnelAreExact) {
  MakeConversations();
  const std::string character = std::to_string(juno_.id);
  const json overview =
      Get("/api/v1/analytics/overview?from=2026-03-01&to=2026-03-02&character_id=" + character, studio_);
  EXPECT_EQ(overview["from"], "2026-03-01");
  EXPECT_EQ(overview["to"], "2026-03-02");
  EXPECT_EQ(overview["character_id"], juno_.id);
  ASSERT_EQ(overview["days"].size(), 2u);
  const json& day = overview["days"][0];
  EXPECT_EQ(day["day"], "2026-03-01");
  EXPECT_EQ(day["conversations"], 5);
  EXPECT_EQ(day["user_messages"], 1);
  EXPECT_EQ(day["assistant_messages"], 1);
  EXPECT_DOUBLE_EQ(day["sentiment_mean"].get<double>(), 0.4);
  EXPECT_EQ(day["thumbs_up"], 0);
  EXPECT_EQ(day["thumbs_down"], 1);
  EXPECT_TRUE(day["csat_mean"].is_null());
  EXPECT_EQ(overview["days"][1]["conversations"], 0);
  EXPECT_TRUE(overview["days"][1]["sentiment_mean"].is_null());

  const json& funnel = overview["funnel"];
  EXPECT_EQ(funnel["flow"], "steps");
  ASSERT_EQ(funnel["stages"].size(), 3u);
  const json& intro = funnel["stages"][0];
  EXPECT_EQ(intro["stage"], "intro");
  EXPECT_EQ(intro["at_stage"], 2);  // "" and intro
  EXPECT_EQ(intro["reached"], 4);
  EXPECT_EQ(intro["drop_off"], 2);
  EXPECT_DOUBLE_EQ(intro["drop_off_rate"].get<double>(), 0.5);
  const json& friendly = funnel["stages"][1];
  EXPECT_EQ(friendly["stage"], "friendly");
  EXPECT_EQ(friendly["reached"], 2);
  EXPECT_EQ(friendly["drop_off"], 1);
  EXPECT_DOUBLE_EQ(friendly["drop_off_rate"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(friendly["sentiment_mean"].get<double>(), 0.4);
  EXPECT_DOUBLE_EQ(friendly["rating_mean"].get<double>(), -1.0);
  EXPECT_EQ(friendly["replies"], 1);
  EXPECT_EQ(friendly["regenerated"], 1);
  EXPECT_EQ(friendly["first_kept"], 0);
  EXPECT_DOUBLE_EQ(friendly["regenerated_rate"].get<double>(), 1.0);
  EXPECT_EQ(intro["replies"], 0);
  EXPECT_TRUE(intro["regenerated_rate"].is_null());
  const json& close = funnel["stages"][2];
  EXPECT_EQ(close["reached"], 1);
  EXPECT_TRUE(close["drop_off"].is_null());
  EXPECT_TRUE(close["rating_mean"].is_null());
  ASSERT_EQ(funnel["other_stages"].size(), 1u);
  EXPECT_EQ(funnel["other_stages"][0]["stage"], "gone");
  EXPECT_EQ(funnel["other_stages"][0]["at_stage"], 1);
}

// Comments posted through the feedback route come back scored, and the overview counts them per
// day with their mean sentiment; a day without comments has no mean.
TEST_F(AnalyticsRoutesTest, CommentsAndTheirSentimentPerDay) {
  clock_.Set(kAnalyticsMarch1 + 1000);
  const std::string path = "/api/v1/conversations/" + std::to_string(StartAt("intro")) + "/feedback";
  const std::string praise = "Lovely, thank you so much!";
  const std::string complaint = "Rude and unhelpful.";
  ClientResponse first = api_->Call("POST", path, studio_, json{{"kind", "comment"}, {"comment", praise}}.dump());
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_DOUBLE_EQ(first.Json()["sentiment"].get<double>(), LexiconSentiment(praise));
  ClientResponse second = api_->Call("POST", path, studio_, json{{"kind", "report"}, {"comment", complaint}}.dump());
  ASSERT_EQ(second.status, 201) << second.body;
  ClientResponse csat = api_->Call("POST", path, studio_, json{{"kind", "csat"}, {"rating", 4}}.dump());
  ASSERT_EQ(csat.status, 201) << csat.body;
  EXPECT_TRUE(csat.Json()["sentiment"].is_null());

  const json overview = Get("/api/v1/analytics/overview?from=2026-03-01&to=2026-03-02", studio_);
  const json& day = overview["days"][0];
  EXPECT_EQ(day["comments"], 2);
  EXPECT_EQ(day["comment_sentiment_count"], 2);
  EXPECT_NEAR(day["comment_sentiment_mean"].get<double>(),
              (LexiconSentiment(praise) + LexiconSentiment(complaint)) / 2, 1e-12);
  EXPECT_EQ(day["csat_count"], 1);
  EXPECT_EQ(overview["days"][1]["comments"], 0);
  EXPECT_TRUE(overview["days"][1]["comment_sentiment_mean"].is_null());
}

TEST_F(AnalyticsRoutesTest, EveryCharacterHasNoFunnelAndAgentsMayRead) {
  MakeConversations();
  const json overview = Get("/api/v1/analytics/overview?from=2026-03-01&to=2026-03-01", agent_);
  ASSERT_EQ(overview["days"].size(), 1u);
  EXPECT_EQ(overview["days"][0]["conversations"], 5);
  EXPECT_TRUE(overview["character_id"].is_null());
  EXPECT_TRUE(overview["funnel"].is_null());
}

TEST_F(AnalyticsRoutesTest, ErrorsNameTheParameter) {
  const std::string path = "/api/v1/analytics/overview";
  ExpectApiError(api_->Call("GET", path + "?from=2026-02-30", studio_), 400, "invalid_argument", "from");
  ExpectApiError(api_->Call("GET", path + "?from=2026-03-02&to=2026-03-01", studio_), 400, "invalid_argument", "to");
  ExpectApiError(api_->Call("GET", path + "?character_id=abc", studio_), 400, "invalid_argument", "character_id");
  ExpectApiError(api_->Call("GET", path + "?character_id=-3", studio_), 400, "invalid_argument", "character_id");
  EXPECT_EQ(api_->Call("GET", path + "?character_id=999", studio_).status, 404);
  const std::string client = api_->MintKey({"client"}).key;
  EXPECT_EQ(api_->Call("GET", path, client, "", {{"X-Troupe-User", "alice"}}).status, 403);
}

TEST_F(AnalyticsRoutesTest, EvaluationRunsAreListedAndReadWithTheirReports) {
  for (double bleu : {0.25, 0.5}) {
    store::EvalRunRecord run;
    run.character_id = juno_.id;
    run.dataset = "greetings.jsonl";
    run.dataset_fingerprint = "abc";
    run.provider = "local";
    run.cases = 2;
    run.bleu = bleu;
    run.chrf = 0.6;
    run.rouge_l = 0.7;
    run.report_json = json{{"cases", json::array({{{"prompt", "hi"}, {"bleu", bleu}}})}}.dump();
    ASSERT_TRUE(api_->store().eval_runs().Create(run).ok());
  }
  const json list = Get("/api/v1/characters/" + std::to_string(juno_.id) + "/eval-runs?limit=1", studio_);
  ASSERT_EQ(list["data"].size(), 1u);
  EXPECT_DOUBLE_EQ(list["data"][0]["bleu"].get<double>(), 0.25);
  EXPECT_FALSE(list["data"][0].contains("report"));
  ASSERT_TRUE(list["next_cursor"].is_string());
  const json rest = Get("/api/v1/characters/" + std::to_string(juno_.id) +
                            "/eval-runs?cursor=" + list["next_cursor"].get<std::string>(),
                        studio_);
  ASSERT_EQ(rest["data"].size(), 1u);
  const int64_t second = rest["data"][0]["id"];
  const json run = Get("/api/v1/eval-runs/" + std::to_string(second), studio_);
  EXPECT_DOUBLE_EQ(run["bleu"].get<double>(), 0.5);
  EXPECT_TRUE(run["perplexity"].is_null());
  ASSERT_TRUE(run["report"].is_object());
  EXPECT_EQ(run["report"]["cases"][0]["prompt"], "hi");

  ExpectApiError(api_->Call("GET", "/api/v1/eval-runs/999", studio_), 404, "not_found", "id");
  EXPECT_EQ(api_->Call("GET", "/api/v1/characters/999/eval-runs", studio_).status, 404);
  ExpectApiError(api_->Call("GET", "/api/v1/eval-runs/x", studio_), 400, "invalid_argument", "eval_run_id");
  EXPECT_EQ(api_->Call("GET", "/api/v1/eval-runs/" + std::to_string(second), agent_).status, 403);
}

TEST_F(AnalyticsRoutesTest, AConversationsSentimentIsItsUsersScoresInOrderWithTheirTrajectory) {
  const int64_t conversation = StartAt("intro");
  Say(conversation, store::MessageRole::kUser, "intro", -0.5);
  Say(conversation, store::MessageRole::kAssistant, "intro", 0.9);  // replies do not count
  Say(conversation, store::MessageRole::kUser, "intro", std::nullopt);  // nor unscored messages
  Say(conversation, store::MessageRole::kUser, "intro", 0.1);
  Say(conversation, store::MessageRole::kUser, "friendly", 0.7);
  const json sentiment = Get("/api/v1/conversations/" + std::to_string(conversation) + "/sentiment", agent_);
  EXPECT_EQ(sentiment["conversation_id"], conversation);
  ASSERT_EQ(sentiment["points"].size(), 3u);
  EXPECT_EQ(sentiment["points"][0]["score"], -0.5);
  EXPECT_EQ(sentiment["points"][2]["score"], 0.7);
  const json& trajectory = sentiment["trajectory"];
  EXPECT_EQ(trajectory["count"], 3);
  EXPECT_NEAR(trajectory["mean"].get<double>(), 0.1, 1e-12);
  EXPECT_EQ(trajectory["start_mean"], -0.5);
  EXPECT_EQ(trajectory["end_mean"], 0.7);
  EXPECT_NEAR(trajectory["slope"].get<double>(), 0.6, 1e-12);
  EXPECT_EQ(trajectory["trend"], "improving");

  const json empty = Get("/api/v1/conversations/" + std::to_string(StartAt("")) + "/sentiment", studio_);
  EXPECT_TRUE(empty["points"].empty());
  EXPECT_EQ(empty["trajectory"]["trend"], "none");
  EXPECT_TRUE(empty["trajectory"]["mean"].is_null());
}

}  // namespace
}  // namespace troupe::server::testing
