// Campaigns on both backends: the records and their checks, a segment's members, one draft per
// member, review and the due queue, the daily-cap count, and replies, outcomes and replies per day.
#include "store_test_fixture.h"

namespace troupe::store::testing {
namespace {

constexpr int64_t kDay = 86'400'000;

class CampaignStoreTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    character_ = MakeCharacter();
  }

  User Member(const std::string& external_id, const std::string& segment) {
    User user = MakeUser(external_id);
    user.segment = segment;
    Result<User> updated = store_->users().Update(user);
    EXPECT_TRUE(updated.ok()) << updated.status().ToString();
    return updated.ok() ? *updated : user;
  }

  Campaign NewCampaign(const std::string& segment = "vip") {
    Campaign campaign;
    campaign.name = "Spring";
    campaign.character_id = character_.id;
    campaign.segment = segment;
    campaign.brief = "Invite them to the spring event";
    campaign.quiet_hours = QuietHours{22, 8};
    campaign.daily_cap = 2;
    Result<Campaign> created = store_->campaigns().Create(campaign);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : campaign;
  }

  Message Say(int64_t conversation_id, MessageRole role, const std::string& content) {
    Message message;
    message.conversation_id = conversation_id;
    message.role = role;
    message.content = content;
    Result<Message> stored = store_->messages().Append(message);
    EXPECT_TRUE(stored.ok()) << stored.status().ToString();
    return stored.ok() ? *stored : message;
  }

  // Marks the draft delivered as `message` of `conversation`.
  CampaignMessage Deliver(CampaignMessage draft, const Conversation& conversation, const Message& message) {
    draft.status = CampaignMessageStatus::kDelivered;
    draft.conversation_id = conversation.id;
    draft.message_id = message.id;
    draft.delivered_at = clock_.NowMillis();
    Result<CampaignMessage> updated = store_->campaigns().UpdateMessage(draft);
    EXPECT_TRUE(updated.ok()) << updated.status().ToString();
    return updated.ok() ? *updated : draft;
  }

  Character character_;
};

TEST_P(CampaignStoreTest, CreatesReadsAndUpdatesACampaign) {
  Campaign campaign = NewCampaign();
  EXPECT_GT(campaign.id, 0);
  EXPECT_EQ(campaign.status, CampaignStatus::kDraft);
  ASSERT_OK_AND_ASSIGN(Campaign read, store_->campaigns().Get(campaign.id));
  EXPECT_EQ(read.name, "Spring");
  EXPECT_EQ(read.segment, "vip");
  EXPECT_EQ(read.brief, "Invite them to the spring event");
  ASSERT_TRUE(read.quiet_hours.has_value());
  EXPECT_EQ(read.quiet_hours->start, 22);
  EXPECT_EQ(read.quiet_hours->end, 8);
  EXPECT_EQ(read.daily_cap, 2);
  EXPECT_FALSE(read.draft_job_id.has_value());

  read.status = CampaignStatus::kDrafting;
  read.draft_job_id = 42;
  read.quiet_hours.reset();
  ASSERT_OK_AND_ASSIGN(Campaign updated, store_->campaigns().Update(read));
  EXPECT_EQ(updated.status, CampaignStatus::kDrafting);
  EXPECT_EQ(updated.draft_job_id, 42);
  EXPECT_FALSE(updated.quiet_hours.has_value());
  ASSERT_OK_AND_ASSIGN(std::vector<Campaign> drafting, store_->campaigns().ListByStatus(CampaignStatus::kDrafting, 10));
  ASSERT_EQ(drafting.size(), 1u);
  EXPECT_EQ(drafting[0].id, campaign.id);
  ASSERT_OK_AND_ASSIGN(Page<Campaign> all, store_->campaigns().List({}));
  EXPECT_EQ(all.items.size(), 1u);
}

TEST_P(CampaignStoreTest, RefusesABadCampaignNamingTheField) {
  Campaign campaign;
  campaign.character_id = character_.id;
  campaign.segment = "vip";
  EXPECT_EQ(store_->campaigns().Create(campaign).status().field(), "name");
  campaign.name = "x";
  campaign.daily_cap = 0;
  EXPECT_EQ(store_->campaigns().Create(campaign).status().field(), "daily_cap");
  campaign.daily_cap = 1;
  campaign.quiet_hours = QuietHours{24, 3};
  EXPECT_EQ(store_->campaigns().Create(campaign).status().field(), "quiet_hours");
  campaign.quiet_hours.reset();
  campaign.character_id = 999;
  Result<Campaign> missing = store_->campaigns().Create(campaign);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().field(), "character_id");
  EXPECT_EQ(store_->campaigns().Get(12345).status().code(), StatusCode::kNotFound);
}

TEST_P(CampaignStoreTest, ASegmentIsTheUsersWithThatSegment) {
  const User a = Member("a", "vip");
  Member("b", "trial");
  const User c = Member("c", "vip");
  MakeUser("d");
  ASSERT_OK_AND_ASSIGN(int64_t count, store_->campaigns().CountSegmentMembers("vip"));
  EXPECT_EQ(count, 2);
  PageRequest first;
  first.limit = 1;
  ASSERT_OK_AND_ASSIGN(Page<User> page, store_->campaigns().SegmentMembers("vip", first));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id, a.id);
  PageRequest next;
  next.cursor = page.next_cursor;
  ASSERT_OK_AND_ASSIGN(Page<User> rest, store_->campaigns().SegmentMembers("vip", next));
  ASSERT_EQ(rest.items.size(), 1u);
  EXPECT_EQ(rest.items[0].id, c.id);
  EXPECT_TRUE(rest.next_cursor.empty());
}

TEST_P(CampaignStoreTest, OneDraftPerMemberReviewedAndQueued) {
  const Campaign campaign = NewCampaign();
  const User a = Member("a", "vip");
  const User b = Member("b", "vip");
  ASSERT_OK_AND_ASSIGN(CampaignMessage first, store_->campaigns().AddDraft(campaign.id, a.id, "Hello a"));
  ASSERT_OK_AND_ASSIGN(CampaignMessage second, store_->campaigns().AddDraft(campaign.id, b.id, "Hello b"));
  EXPECT_EQ(store_->campaigns().AddDraft(campaign.id, a.id, "again").status().code(), StatusCode::kConflict);
  ASSERT_OK_AND_ASSIGN(std::optional<CampaignMessage> found, store_->campaigns().FindMessage(campaign.id, a.id));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, first.id);

  first.text = "Edited";
  first.status = CampaignMessageStatus::kApproved;
  ASSERT_OK_AND_ASSIGN(CampaignMessage edited, store_->campaigns().UpdateMessage(first));
  EXPECT_EQ(edited.text, "Edited");
  EXPECT_EQ(edited.status, CampaignMessageStatus::kApproved);
  CampaignMessageQuery drafted;
  drafted.status = CampaignMessageStatus::kDrafted;
  ASSERT_OK_AND_ASSIGN(Page<CampaignMessage> waiting, store_->campaigns().ListMessages(campaign.id, drafted));
  ASSERT_EQ(waiting.items.size(), 1u);
  EXPECT_EQ(waiting.items[0].id, second.id);
  ASSERT_OK_AND_ASSIGN(int64_t approved, store_->campaigns().ApproveAllDrafted(campaign.id));
  EXPECT_EQ(approved, 1);
  ASSERT_OK_AND_ASSIGN(int64_t approved_count,
                       store_->campaigns().CountByStatus(campaign.id, CampaignMessageStatus::kApproved));
  EXPECT_EQ(approved_count, 2);

  // One held back by quiet hours is due only once its time has come.
  ASSERT_OK_AND_ASSIGN(CampaignMessage held, store_->campaigns().GetMessage(campaign.id, second.id));
  held.reason = "quiet_hours";
  held.due_at = clock_.NowMillis() + 1000;
  ASSERT_OK(store_->campaigns().UpdateMessage(held).status());
  ASSERT_OK_AND_ASSIGN(std::vector<CampaignMessage> due, store_->campaigns().DueMessages(campaign.id, clock_.NowMillis(), 10));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, first.id);
  ASSERT_OK_AND_ASSIGN(due, store_->campaigns().DueMessages(campaign.id, clock_.NowMillis() + 1000, 10));
  EXPECT_EQ(due.size(), 2u);
  ASSERT_OK_AND_ASSIGN(CampaignStats stats, store_->campaigns().Stats(campaign.id));
  EXPECT_EQ(stats.members, 2);
  EXPECT_EQ(stats.by_status["approved"], 2);
  EXPECT_EQ(stats.waiting, 1);

  // A message of another campaign is not found through this one.
  const Campaign other = NewCampaign("trial");
  Result<CampaignMessage> elsewhere = store_->campaigns().GetMessage(other.id, first.id);
  EXPECT_EQ(elsewhere.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(elsewhere.status().field(), "message_id");
}

TEST_P(CampaignStoreTest, RepliesOutcomesAndDailyCounts) {
  const Campaign campaign = NewCampaign();
  const User a = Member("a", "vip");
  const User b = Member("b", "vip");
  const Conversation talk_a = MakeConversation(a.id, character_.id);
  const Conversation talk_b = MakeConversation(b.id, character_.id);
  ASSERT_OK_AND_ASSIGN(CampaignMessage to_a, store_->campaigns().AddDraft(campaign.id, a.id, "Hi a"));
  ASSERT_OK_AND_ASSIGN(CampaignMessage to_b, store_->campaigns().AddDraft(campaign.id, b.id, "Hi b"));
  const int64_t day_start = (clock_.NowMillis() / kDay) * kDay;
  // A user message before the campaign's is no reply to it.
  Say(talk_a.id, MessageRole::kUser, "earlier");
  to_a = Deliver(to_a, talk_a, Say(talk_a.id, MessageRole::kAssistant, "Hi a"));
  to_b = Deliver(to_b, talk_b, Say(talk_b.id, MessageRole::kAssistant, "Hi b"));
  ASSERT_OK_AND_ASSIGN(int64_t sent_to_a, store_->campaigns().DeliveredToUserSince(a.id, day_start));
  EXPECT_EQ(sent_to_a, 1);
  ASSERT_OK_AND_ASSIGN(int64_t sent_tomorrow, store_->campaigns().DeliveredToUserSince(a.id, day_start + kDay));
  EXPECT_EQ(sent_tomorrow, 0);

  ASSERT_OK_AND_ASSIGN(int64_t none, store_->campaigns().RecordReplies(campaign.id));
  EXPECT_EQ(none, 0);
  clock_.Advance(5000);
  const Message reply = Say(talk_a.id, MessageRole::kUser, "Sounds great");
  FeedbackEvent rating;
  rating.conversation_id = talk_a.id;
  rating.kind = "rating";
  rating.rating = 1;
  ASSERT_OK(store_->feedback().Record(rating).status());
  ASSERT_OK(store_->conversations().SetStatus(talk_b.id, ConversationStatus::kClosed));

  ASSERT_OK_AND_ASSIGN(int64_t found, store_->campaigns().RecordReplies(campaign.id));
  EXPECT_EQ(found, 1);
  ASSERT_OK_AND_ASSIGN(CampaignMessage replied, store_->campaigns().GetMessage(campaign.id, to_a.id));
  EXPECT_EQ(replied.replied_at, reply.created_at);
  EXPECT_EQ(replied.outcome, "rated_up");
  ASSERT_OK_AND_ASSIGN(CampaignStats stats, store_->campaigns().Stats(campaign.id));
  EXPECT_EQ(stats.by_status["delivered"], 2);
  EXPECT_EQ(stats.replied, 1);
  EXPECT_EQ(stats.outcomes["rated_up"], 1);
  EXPECT_EQ(stats.outcomes["closed"], 1);
  // A second pass finds nothing new and keeps the first reply's time.
  ASSERT_OK_AND_ASSIGN(int64_t again, store_->campaigns().RecordReplies(campaign.id));
  EXPECT_EQ(again, 0);

  ASSERT_OK_AND_ASSIGN(std::vector<CampaignDailyReplies> days,
                       store_->campaigns().RepliesPerDay(day_start, day_start + 2 * kDay));
  ASSERT_EQ(days.size(), 1u);
  EXPECT_EQ(days[0].campaign_id, campaign.id);
  EXPECT_EQ(days[0].day_start, (reply.created_at / kDay) * kDay);
  EXPECT_EQ(days[0].replied, 1);
  ASSERT_OK_AND_ASSIGN(days, store_->campaigns().RepliesPerDay(day_start + 2 * kDay, day_start + 3 * kDay));
  EXPECT_TRUE(days.empty());
}

TEST_P(CampaignStoreTest, MessagesGoWithTheirUser) {
  const Campaign campaign = NewCampaign();
  const User a = Member("a", "vip");
  ASSERT_OK(store_->campaigns().AddDraft(campaign.id, a.id, "Hi").status());
  ASSERT_OK(store_->user_data().DeleteUser(a.id).status());
  ASSERT_OK_AND_ASSIGN(Page<CampaignMessage> left, store_->campaigns().ListMessages(campaign.id, {}));
  EXPECT_TRUE(left.items.empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, CampaignStoreTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) { return BackendName(info.param); });

}  // namespace
}  // namespace troupe::store::testing
