// Feedback comments on both backends: each non-empty comment stored with its lexicon sentiment,
// the comments of a period read back page by page (everyone's or one character's), and comments
// recorded before migration 12 kept without a score.
#include "base/sentiment_lexicon.h"
#include "store/analytics_repository.h"
#include "store/kpi_report.h"
#include "store/migrator.h"
#include "store_test_fixture.h"

namespace troupe::store::testing {
namespace {

constexpr int64_t kFeedbackTestHour = 3'600'000;

class FeedbackCommentTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    day1_ = ParseKpiDay("2026-03-01").value();
    const int64_t user = MakeUser().id;
    juno_ = MakeCharacter("Juno").id;
    other_ = MakeCharacter("Other").id;
    with_juno_ = MakeConversation(user, juno_).id;
    with_other_ = MakeConversation(user, other_).id;
  }

  FeedbackEvent Leave(int64_t conversation_id, const std::string& kind, const std::string& comment, int64_t at,
                      std::optional<int> rating = std::nullopt) {
    clock_.Set(at);
    FeedbackEvent event;
    event.conversation_id = conversation_id;
    event.kind = kind;
    event.comment = comment;
    event.rating = rating;
    Result<FeedbackEvent> recorded = store_->feedback().Record(event);
    EXPECT_TRUE(recorded.ok()) << recorded.status().ToString();
    return recorded.ok() ? *recorded : FeedbackEvent{};
  }

  // Every comment of the query, read two to a page so the cursor is followed.
  std::vector<std::string> Comments(const FeedbackCommentQuery& query) {
    std::vector<std::string> comments;
    PageRequest page{"", 2};
    do {
      Result<Page<FeedbackEvent>> batch = store_->feedback().ListComments(query, page);
      EXPECT_TRUE(batch.ok()) << batch.status().ToString();
      if (!batch.ok()) break;
      for (const FeedbackEvent& event : batch->items) comments.push_back(event.comment);
      page.cursor = batch->next_cursor;
    } while (!page.cursor.empty());
    return comments;
  }

  int64_t day1_ = 0;
  int64_t juno_ = 0;
  int64_t other_ = 0;
  int64_t with_juno_ = 0;
  int64_t with_other_ = 0;
};

TEST_P(FeedbackCommentTest, ACommentIsStoredWithItsLexiconSentiment) {
  const std::string kind_words = "Thank you, this was really helpful and kind!";
  const std::string rude_words = "This answer was terrible and rude.";
  const FeedbackEvent praise = Leave(with_juno_, "comment", kind_words, day1_);
  const FeedbackEvent complaint = Leave(with_juno_, "report", rude_words, day1_ + 1);
  ASSERT_TRUE(praise.sentiment.has_value());
  EXPECT_DOUBLE_EQ(*praise.sentiment, LexiconSentiment(kind_words));
  EXPECT_GT(*praise.sentiment, 0.0);
  ASSERT_TRUE(complaint.sentiment.has_value());
  EXPECT_LT(*complaint.sentiment, 0.0);

  // No text, no score; and a score the caller made up is not what gets stored.
  clock_.Set(day1_ + 2);
  FeedbackEvent csat;
  csat.conversation_id = with_juno_;
  csat.kind = "csat";
  csat.rating = 4;
  csat.sentiment = 0.7;
  ASSERT_OK_AND_ASSIGN(FeedbackEvent quiet, store_->feedback().Record(csat));
  EXPECT_FALSE(quiet.sentiment.has_value());

  ASSERT_OK_AND_ASSIGN(Page<FeedbackEvent> stored, store_->feedback().ListForConversation(with_juno_, {}));
  ASSERT_EQ(stored.items.size(), 3u);
  ASSERT_TRUE(stored.items[0].sentiment.has_value());
  EXPECT_NEAR(*stored.items[0].sentiment, *praise.sentiment, 1e-12);
  ASSERT_TRUE(stored.items[1].sentiment.has_value());
  EXPECT_NEAR(*stored.items[1].sentiment, *complaint.sentiment, 1e-12);
  EXPECT_FALSE(stored.items[2].sentiment.has_value());
}

TEST_P(FeedbackCommentTest, TheCommentsOfAPeriodOfEveryoneOrOneCharacter) {
  Leave(with_juno_, "comment", "too early", day1_ - 1);
  Leave(with_juno_, "comment", "first", day1_);
  Leave(with_other_, "report", "second", day1_ + kFeedbackTestHour);
  Leave(with_juno_, "csat", "", day1_ + 2 * kFeedbackTestHour, 5);  // no text: not a comment
  Leave(with_juno_, "csat", "third, with a rating", day1_ + 3 * kFeedbackTestHour, 3);
  Leave(with_other_, "comment", "fourth", day1_ + 4 * kFeedbackTestHour);
  Leave(with_juno_, "comment", "too late", day1_ + 24 * kFeedbackTestHour);

  const int64_t day2 = day1_ + 24 * kFeedbackTestHour;
  EXPECT_EQ(Comments({day1_, day2, std::nullopt}),
            (std::vector<std::string>{"first", "second", "third, with a rating", "fourth"}));
  EXPECT_EQ(Comments({day1_, day2, juno_}), (std::vector<std::string>{"first", "third, with a rating"}));
  EXPECT_EQ(Comments({day1_, day2, other_}), (std::vector<std::string>{"second", "fourth"}));
  EXPECT_TRUE(Comments({day1_, day2, other_ + 100}).empty());

  Result<Page<FeedbackEvent>> reversed = store_->feedback().ListComments({day2, day1_, std::nullopt}, {});
  ASSERT_FALSE(reversed.ok());
  EXPECT_EQ(reversed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(reversed.status().field(), "to_ms");
}

// A database with a comment recorded before scoring existed: the test's own migration 12 writes it
// at schema 11, then the real migration (numbered 13 here) adds the column and leaves it NULL.
TEST_P(FeedbackCommentTest, CommentsRecordedBeforeScoringStayUnscored) {
  std::vector<Migration> before;
  std::optional<Migration> scoring;
  for (Migration& migration : BuiltInMigrations(BackendName(GetParam()))) {
    if (migration.name == "feedback_sentiment") {
      scoring = std::move(migration);
    } else if (migration.version < 12) {
      before.push_back(std::move(migration));
    }
  }
  ASSERT_TRUE(scoring.has_value());
  const std::string url = NewDatabaseUrl(GetParam(), dir_, "upgraded.db");
  ASSERT_OK_AND_ASSIGN(auto old_store, OpenAgain(before, url));
  ASSERT_OK(old_store->Migrate().status());
  User user;
  user.external_id = "user-old";
  ASSERT_OK_AND_ASSIGN(user, old_store->users().Create(user));
  Character character;
  character.name = "Juno";
  ASSERT_OK_AND_ASSIGN(character, old_store->characters().Create(character));
  Conversation conversation;
  conversation.user_id = user.id;
  conversation.character_id = character.id;
  ASSERT_OK_AND_ASSIGN(conversation, old_store->conversations().Create(conversation));

  std::vector<Migration> upgraded = before;
  upgraded.push_back({12, "old_comment",
                      "INSERT INTO feedback_events (conversation_id, kind, comment, created_at) VALUES (" +
                          std::to_string(conversation.id) + ", 'comment', 'great, thanks', " +
                          std::to_string(day1_) + ")"});
  scoring->version = 13;
  upgraded.push_back(*scoring);
  ASSERT_OK_AND_ASSIGN(auto new_store, OpenAgain(upgraded, url));
  ASSERT_OK_AND_ASSIGN(std::vector<int> applied, new_store->Migrate());
  EXPECT_EQ(applied, (std::vector<int>{12, 13}));

  clock_.Set(day1_ + kFeedbackTestHour);
  FeedbackEvent fresh;
  fresh.conversation_id = conversation.id;
  fresh.kind = "comment";
  fresh.comment = "great, thanks";
  ASSERT_OK_AND_ASSIGN(fresh, new_store->feedback().Record(fresh));
  ASSERT_OK_AND_ASSIGN(Page<FeedbackEvent> stored, new_store->feedback().ListForConversation(conversation.id, {}));
  ASSERT_EQ(stored.items.size(), 2u);
  EXPECT_FALSE(stored.items[0].sentiment.has_value());
  ASSERT_TRUE(stored.items[1].sentiment.has_value());

  // The dashboards count both comments but average only the scored one.
  ASSERT_OK_AND_ASSIGN(AnalyticsOverview overview,
                       new_store->analytics().Overview(day1_, day1_ + 24 * kFeedbackTestHour, std::nullopt));
  ASSERT_EQ(overview.days.size(), 1u);
  EXPECT_EQ(overview.days[0].comments, 2);
  EXPECT_EQ(overview.days[0].comment_sentiment_count, 1);
  EXPECT_NEAR(overview.days[0].comment_sentiment_sum, *fresh.sentiment, 1e-12);
}

INSTANTIATE_TEST_SUITE_P(Backends, FeedbackCommentTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) { return BackendName(info.param); });

}  // namespace
}  // namespace troupe::store::testing
