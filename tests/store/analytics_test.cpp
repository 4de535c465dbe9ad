// The dashboards' figures on both backends: hand-made conversations, messages (with sentiment and
// stage) and feedback over three days on a manual clock, read back per day for everyone and for one
// character, with that character's stages; every expected number is worked out in the comments.
#include "base/sentiment_lexicon.h"
#include "store/analytics_repository.h"
#include "store/kpi_report.h"
#include "store_test_fixture.h"

namespace troupe::store::testing {
namespace {

constexpr int64_t kAnalyticsTestHour = 3'600'000;

class AnalyticsStoreTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    day1_ = ParseKpiDay("2026-03-01").value();
    day2_ = day1_ + 24 * kAnalyticsTestHour;
    day3_ = day2_ + 24 * kAnalyticsTestHour;
    user_ = MakeUser().id;
    juno_ = MakeCharacter("Juno").id;
    other_ = MakeCharacter("Other").id;
  }

  int64_t Start(int64_t character_id, int64_t at, const std::string& stage) {
    clock_.Set(at);
    Conversation conversation = MakeConversation(user_, character_id);
    conversation.stage = stage;
    EXPECT_OK(store_->conversations().UpdateState(conversation).status());
    return conversation.id;
  }

  int64_t Say(int64_t conversation_id, MessageRole role, int64_t at, const std::string& stage,
              std::optional<double> sentiment = std::nullopt) {
    clock_.Set(at);
    Message message;
    message.conversation_id = conversation_id;
    message.role = role;
    message.content = "text";
    message.stage = stage;
    message.sentiment = sentiment;
    Result<Message> appended = store_->messages().Append(message);
    EXPECT_TRUE(appended.ok()) << appended.status().ToString();
    return appended.ok() ? appended->id : 0;
  }

  void Feedback(int64_t conversation_id, std::optional<int64_t> message_id, const std::string& kind, int rating,
                int64_t at) {
    clock_.Set(at);
    FeedbackEvent event;
    event.conversation_id = conversation_id;
    event.message_id = message_id;
    event.kind = kind;
    event.rating = rating;
    EXPECT_OK(store_->feedback().Record(event).status());
  }

  void Comment(int64_t conversation_id, const std::string& kind, std::optional<int> rating, const std::string& text,
               int64_t at) {
    clock_.Set(at);
    FeedbackEvent event;
    event.conversation_id = conversation_id;
    event.kind = kind;
    event.rating = rating;
    event.comment = text;
    EXPECT_OK(store_->feedback().Record(event).status());
  }

  // As the runtime marks a regenerated reply: every alternative, and the index of the one shown.
  void Swiped(int64_t message_id, int shown) {
    MessagePatch patch;
    patch.metadata_json = R"({"swipes":["one","two","three"],"swipe":)" + std::to_string(shown) + "}";
    EXPECT_OK(store_->messages().Patch(message_id, patch).status());
  }

  // A (Juno, day 1, now "friendly"): day 1 user 0.5 at intro, assistant at intro rated +1 (then
  //   regenerated, the last alternative kept), user
  //   -0.25 at friendly; day 2 a user message without a score at friendly, and csat 4.
  // B (Juno, day 2, "intro"): user 1.0, assistant rated -1 (day 2; regenerated, back to the
  //   first alternative), csat 2.
  // C (Other, day 1, "x"): user -1.0, assistant rated +1.
  // D (Juno, day 3: after the period): one user message 0.9.
  void MakeConversations() {
    const int64_t a = Start(juno_, day1_ + 10 * kAnalyticsTestHour, "friendly");
    Say(a, MessageRole::kUser, day1_ + 10 * kAnalyticsTestHour + 1, "intro", 0.5);
    const int64_t a_reply = Say(a, MessageRole::kAssistant, day1_ + 10 * kAnalyticsTestHour + 2, "intro");
    Feedback(a, a_reply, "rating", 1, day1_ + 11 * kAnalyticsTestHour);
    Swiped(a_reply, 2);  // regenerated twice, the latest kept
    Say(a, MessageRole::kUser, day1_ + 12 * kAnalyticsTestHour, "friendly", -0.25);
    Say(a, MessageRole::kUser, day2_ + kAnalyticsTestHour, "friendly");
    Feedback(a, std::nullopt, "csat", 4, day2_ + 2 * kAnalyticsTestHour);

    const int64_t b = Start(juno_, day2_ + 5 * kAnalyticsTestHour, "intro");
    Say(b, MessageRole::kUser, day2_ + 5 * kAnalyticsTestHour + 1, "intro", 1.0);
    const int64_t b_reply = Say(b, MessageRole::kAssistant, day2_ + 5 * kAnalyticsTestHour + 2, "intro");
    Feedback(b, b_reply, "rating", -1, day2_ + 6 * kAnalyticsTestHour);
    Swiped(b_reply, 0);  // regenerated, then back to the first
    Feedback(b, std::nullopt, "csat", 2, day2_ + 7 * kAnalyticsTestHour);

    const int64_t c = Start(other_, day1_ + 3 * kAnalyticsTestHour, "x");
    Say(c, MessageRole::kUser, day1_ + 3 * kAnalyticsTestHour + 1, "x", -1.0);
    const int64_t c_reply = Say(c, MessageRole::kAssistant, day1_ + 3 * kAnalyticsTestHour + 2, "x");
    Feedback(c, c_reply, "rating", 1, day1_ + 4 * kAnalyticsTestHour);

    const int64_t d = Start(juno_, day3_ + kAnalyticsTestHour, "intro");
    Say(d, MessageRole::kUser, day3_ + kAnalyticsTestHour + 1, "intro", 0.9);
  }

  int64_t day1_ = 0;
  int64_t day2_ = 0;
  int64_t day3_ = 0;
  int64_t user_ = 0;
  int64_t juno_ = 0;
  int64_t other_ = 0;
};

TEST_P(AnalyticsStoreTest, DaysOfEveryCharacter) {
  MakeConversations();
  ASSERT_OK_AND_ASSIGN(AnalyticsOverview overview, store_->analytics().Overview(day1_, day3_, std::nullopt));
  EXPECT_EQ(overview.from_ms, day1_);
  EXPECT_EQ(overview.to_ms, day3_);
  EXPECT_TRUE(overview.stages.empty());
  ASSERT_EQ(overview.days.size(), 2u);
  const AnalyticsDay& first = overview.days[0];
  EXPECT_EQ(first.start_ms, day1_);
  EXPECT_EQ(first.conversations, 2);       // A, C
  EXPECT_EQ(first.user_messages, 3);       // A twice, C
  EXPECT_EQ(first.assistant_messages, 2);  // A, C
  EXPECT_EQ(first.sentiment_count, 3);
  EXPECT_DOUBLE_EQ(first.sentiment_sum, -0.75);  // 0.5 - 0.25 - 1.0
  EXPECT_EQ(first.thumbs_up, 2);
  EXPECT_EQ(first.thumbs_down, 0);
  EXPECT_EQ(first.csat_count, 0);
  const AnalyticsDay& second = overview.days[1];
  EXPECT_EQ(second.start_ms, day2_);
  EXPECT_EQ(second.conversations, 1);  // B
  EXPECT_EQ(second.user_messages, 2);  // A's unscored one, B
  EXPECT_EQ(second.assistant_messages, 1);
  EXPECT_EQ(second.sentiment_count, 1);
  EXPECT_DOUBLE_EQ(second.sentiment_sum, 1.0);
  EXPECT_EQ(second.thumbs_up, 0);
  EXPECT_EQ(second.thumbs_down, 1);
  EXPECT_EQ(second.csat_count, 2);
  EXPECT_DOUBLE_EQ(second.csat_sum, 6.0);  // 4 + 2
}

TEST_P(AnalyticsStoreTest, OneCharacterWithItsStages) {
  MakeConversations();
  ASSERT_OK_AND_ASSIGN(AnalyticsOverview overview, store_->analytics().Overview(day1_, day3_, juno_));
  ASSERT_EQ(overview.days.size(), 2u);
  EXPECT_EQ(overview.days[0].conversations, 1);  // A
  EXPECT_EQ(overview.days[0].user_messages, 2);
  EXPECT_EQ(overview.days[0].assistant_messages, 1);
  EXPECT_DOUBLE_EQ(overview.days[0].sentiment_sum, 0.25);
  EXPECT_EQ(overview.days[0].thumbs_up, 1);
  EXPECT_EQ(overview.days[1].conversations, 1);  // B; D is after the period
  EXPECT_EQ(overview.days[1].thumbs_down, 1);
  EXPECT_EQ(overview.days[1].csat_count, 2);

  ASSERT_EQ(overview.stages.size(), 2u);
  const AnalyticsStage& friendly = overview.stages[0];
  EXPECT_EQ(friendly.name, "friendly");
  EXPECT_EQ(friendly.conversations, 1);    // A
  EXPECT_EQ(friendly.sentiment_count, 1);  // the day-2 message has no score
  EXPECT_DOUBLE_EQ(friendly.sentiment_sum, -0.25);
  EXPECT_EQ(friendly.rating_count, 0);
  EXPECT_EQ(friendly.reply_count, 0);
  const AnalyticsStage& intro = overview.stages[1];
  EXPECT_EQ(intro.name, "intro");
  EXPECT_EQ(intro.conversations, 1);  // B
  EXPECT_EQ(intro.sentiment_count, 2);
  EXPECT_DOUBLE_EQ(intro.sentiment_sum, 1.5);  // 0.5 + 1.0
  EXPECT_EQ(intro.rating_count, 2);
  EXPECT_DOUBLE_EQ(intro.rating_sum, 0.0);  // +1 - 1
  EXPECT_EQ(intro.reply_count, 2);        // A's and B's
  EXPECT_EQ(intro.regenerated_count, 2);
  EXPECT_EQ(intro.first_kept_count, 1);   // B went back to its first
}

// Comments count by their own day whatever their kind (a csat may carry one), with the lexicon's
// score of each; the csat's rating still counts as a csat.
TEST_P(AnalyticsStoreTest, CommentsPerDayWithTheirSentiment) {
  const int64_t juno_chat = Start(juno_, day1_ + kAnalyticsTestHour, "intro");
  const int64_t other_chat = Start(other_, day1_ + kAnalyticsTestHour, "x");
  const std::string thanks = "Thanks, that was wonderful!";
  const std::string slow = "Slow and useless answers.";
  const std::string fine = "It was fine, I guess.";
  Comment(juno_chat, "comment", std::nullopt, thanks, day1_ + 2 * kAnalyticsTestHour);
  Comment(other_chat, "report", std::nullopt, slow, day1_ + 3 * kAnalyticsTestHour);
  Comment(juno_chat, "csat", 5, fine, day2_ + kAnalyticsTestHour);
  Comment(juno_chat, "csat", 2, "", day2_ + 2 * kAnalyticsTestHour);  // no text: no comment
  Comment(juno_chat, "comment", std::nullopt, thanks, day3_ + kAnalyticsTestHour);  // after the period

  ASSERT_OK_AND_ASSIGN(AnalyticsOverview everyone, store_->analytics().Overview(day1_, day3_, std::nullopt));
  ASSERT_EQ(everyone.days.size(), 2u);
  EXPECT_EQ(everyone.days[0].comments, 2);
  EXPECT_EQ(everyone.days[0].comment_sentiment_count, 2);
  EXPECT_NEAR(everyone.days[0].comment_sentiment_sum, LexiconSentiment(thanks) + LexiconSentiment(slow), 1e-12);
  EXPECT_EQ(everyone.days[1].comments, 1);
  EXPECT_EQ(everyone.days[1].comment_sentiment_count, 1);
  EXPECT_NEAR(everyone.days[1].comment_sentiment_sum, LexiconSentiment(fine), 1e-12);
  EXPECT_EQ(everyone.days[1].csat_count, 2);
  EXPECT_DOUBLE_EQ(everyone.days[1].csat_sum, 7.0);

  ASSERT_OK_AND_ASSIGN(AnalyticsOverview juno, store_->analytics().Overview(day1_, day3_, juno_));
  EXPECT_EQ(juno.days[0].comments, 1);
  EXPECT_NEAR(juno.days[0].comment_sentiment_sum, LexiconSentiment(thanks), 1e-12);
  EXPECT_EQ(juno.days[1].comments, 1);
  // The lexicon's verdicts the chart will show: praise above zero, the complaint below.
  EXPECT_GT(LexiconSentiment(thanks), 0.0);
  EXPECT_LT(LexiconSentiment(slow), 0.0);
}

TEST_P(AnalyticsStoreTest, AnEmptyPeriodHasEveryDayAtZero) {
  ASSERT_OK_AND_ASSIGN(AnalyticsOverview overview, store_->analytics().Overview(day1_, day3_, juno_));
  ASSERT_EQ(overview.days.size(), 2u);
  EXPECT_EQ(overview.days[1].start_ms, day2_);
  EXPECT_EQ(overview.days[1].conversations, 0);
  EXPECT_EQ(overview.days[1].comments, 0);
  EXPECT_EQ(overview.days[1].comment_sentiment_count, 0);
  EXPECT_TRUE(overview.stages.empty());
}

TEST_P(AnalyticsStoreTest, ABackwardOrUnalignedPeriodNamesTo) {
  Result<AnalyticsOverview> backward = store_->analytics().Overview(day2_, day1_, std::nullopt);
  ASSERT_FALSE(backward.ok());
  EXPECT_EQ(backward.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(backward.status().field(), "to");
  Result<AnalyticsOverview> unaligned = store_->analytics().Overview(day1_ + 1, day3_, std::nullopt);
  ASSERT_FALSE(unaligned.ok());
  EXPECT_EQ(unaligned.status().field(), "to");
}

INSTANTIATE_TEST_SUITE_P(Backends, AnalyticsStoreTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) { return BackendName(info.param); });

}  // namespace
}  // namespace troupe::store::testing
