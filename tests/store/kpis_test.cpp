// The support KPIs on both backends: hand-made conversations whose every KPI is known exactly, read
// back through KpiRepository (JSON fields included) and aggregated in total, per day, per intent and
// per character; csat feedback is checked where it is stored.
#include <nlohmann/json.hpp>

#include "store/campaign_repository.h"
#include "store/kpi_report.h"
#include "store_test_fixture.h"

namespace troupe::store::testing {
namespace {

using nlohmann::json;

const KpiGroup* FindGroup(const KpiReport& report, const std::string& key) {
  for (const KpiGroup& group : report.groups) {
    if (group.key == key) return &group;
  }
  return nullptr;
}

class KpiTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    day1_ = ParseKpiDay("2026-03-01").value();
    user_ = MakeUser().id;
    juno_ = MakeCharacter("Juno").id;
    other_ = MakeCharacter("Other").id;
  }

  int64_t StartConversation(int64_t character_id, int64_t at) {
    clock_.Set(at);
    return MakeConversation(user_, character_id).id;
  }

  // A message of `role` at time `at`, routed to `intent` ("" = not routed).
  Message Say(int64_t conversation_id, MessageRole role, int64_t at, const std::string& intent = "") {
    clock_.Set(at);
    Message message;
    message.conversation_id = conversation_id;
    message.role = role;
    message.content = "text";
    if (!intent.empty()) message.metadata_json = json{{"routing", {{"intent", intent}, {"confidence", 0.9}}}}.dump();
    Result<Message> appended = store_->messages().Append(message);
    EXPECT_TRUE(appended.ok()) << appended.status().ToString();
    return appended.ok() ? *appended : Message{};
  }

  void Review(const Message& message, const std::string& intent) {
    json metadata = json::parse(message.metadata_json);
    metadata["routing"]["review"] = {{"intent", intent}, {"by", "agent"}, {"at", clock_.NowMillis()}};
    MessagePatch patch;
    patch.metadata_json = metadata.dump();
    EXPECT_OK(store_->messages().Patch(message.id, patch).status());
  }

  void HandOff(int64_t conversation_id) {
    Result<Conversation> conversation = store_->conversations().Get(conversation_id);
    ASSERT_TRUE(conversation.ok());
    conversation->metadata_json =
        json{{"handoff", {{"requested_by", "user"}, {"reason", ""}, {"at", clock_.NowMillis()}}}}.dump();
    EXPECT_OK(store_->conversations().UpdateState(*conversation).status());
  }

  void Csat(int64_t conversation_id, int rating) {
    FeedbackEvent event;
    event.conversation_id = conversation_id;
    event.kind = "csat";
    event.rating = rating;
    EXPECT_OK(store_->feedback().Record(event).status());
  }

  // A: billing, first reply after 2 s, then two user messages answered 5 s after the first of
  //    them; closed without a person; csat 5; a review agreeing with the router.
  // B: refund, a greeting (answers nothing), then an agent's reply after 4 s; handed off and
  //    closed; csat 3 then 2 (the latest counts); a review correcting the router to billing.
  // C: on day 2, with the other character, one unrouted, unanswered message; still active.
  // D: after the period.
  void MakeConversations() {
    const int64_t a = StartConversation(juno_, day1_ + 1000);
    Message a1 = Say(a, MessageRole::kUser, day1_ + 10'000, "billing");
    Say(a, MessageRole::kAssistant, day1_ + 12'000);
    Say(a, MessageRole::kUser, day1_ + 20'000, "billing");
    Say(a, MessageRole::kUser, day1_ + 21'000, "billing");
    Say(a, MessageRole::kAssistant, day1_ + 25'000);
    Review(a1, "billing");
    ASSERT_OK(store_->conversations().SetStatus(a, ConversationStatus::kClosed));
    Csat(a, 5);

    const int64_t b = StartConversation(juno_, day1_ + 50'000);
    Say(b, MessageRole::kAssistant, day1_ + 50'000);
    Message b1 = Say(b, MessageRole::kUser, day1_ + 60'000, "refund");
    HandOff(b);
    Say(b, MessageRole::kAgent, day1_ + 64'000);
    Review(b1, "billing");
    ASSERT_OK(store_->conversations().SetStatus(b, ConversationStatus::kClosed));
    Csat(b, 3);
    Csat(b, 2);

    const int64_t c = StartConversation(other_, day1_ + 86'400'000 + 5000);
    Say(c, MessageRole::kUser, day1_ + 86'400'000 + 6000);

    const int64_t d = StartConversation(juno_, day1_ + 4 * 86'400'000);
    Say(d, MessageRole::kUser, day1_ + 4 * 86'400'000 + 1000, "billing");
    Say(d, MessageRole::kAssistant, day1_ + 4 * 86'400'000 + 2000);
    ASSERT_OK(store_->conversations().SetStatus(d, ConversationStatus::kClosed));
  }

  KpiReport Report(KpiGrouping grouping) {
    Result<KpiRows> rows = store_->kpis().Rows(day1_, day1_ + 3 * 86'400'000);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? AggregateKpis(*rows, grouping) : KpiReport{};
  }

  int64_t day1_ = 0;
  int64_t user_ = 0;
  int64_t juno_ = 0;
  int64_t other_ = 0;
};

TEST_P(KpiTest, RowsCarryTheJsonFieldsTheKpisNeed) {
  MakeConversations();
  ASSERT_OK_AND_ASSIGN(KpiRows rows, store_->kpis().Rows(day1_, day1_ + 3 * 86'400'000));
  ASSERT_EQ(rows.conversations.size(), 3u);
  EXPECT_FALSE(rows.conversations[0].handoff_at.has_value());
  ASSERT_TRUE(rows.conversations[1].handoff_at.has_value());
  EXPECT_EQ(*rows.conversations[1].handoff_at, day1_ + 60'000);
  EXPECT_EQ(rows.conversations[1].status, ConversationStatus::kClosed);
  ASSERT_EQ(rows.messages.size(), 9u);
  EXPECT_EQ(rows.messages[0].routed_intent, "billing");
  EXPECT_EQ(rows.messages[0].reviewed_intent, "billing");
  EXPECT_EQ(rows.messages[1].routed_intent, "");
  EXPECT_EQ(rows.messages[6].routed_intent, "refund");
  EXPECT_EQ(rows.messages[6].reviewed_intent, "billing");
  EXPECT_EQ(rows.messages[7].role, MessageRole::kAgent);
  ASSERT_EQ(rows.csat.size(), 3u);
  EXPECT_EQ(rows.csat[2].rating, 2);
  EXPECT_TRUE(rows.campaign_sends.empty());
}

// Campaign messages count by their delivery in the period, each with whether it was answered, and
// give the campaign reply rate per character.
TEST_P(KpiTest, CampaignDeliveriesGiveTheReplyRate) {
  const int64_t a = StartConversation(juno_, day1_ - 86'400'000);  // an older conversation
  const int64_t b = StartConversation(other_, day1_ + 1000);
  Campaign campaign;
  campaign.name = "winback";
  campaign.character_id = juno_;
  campaign.segment = "lapsed";
  ASSERT_OK_AND_ASSIGN(Campaign created, store_->campaigns().Create(campaign));
  User second;
  second.external_id = "kpi-second";
  ASSERT_OK_AND_ASSIGN(User other_user, store_->users().Create(second));
  const auto deliver = [&](int64_t user_id, int64_t conversation_id, int64_t at) {
    ASSERT_OK_AND_ASSIGN(CampaignMessage message, store_->campaigns().AddDraft(created.id, user_id, "hello again"));
    message.status = CampaignMessageStatus::kDelivered;
    message.conversation_id = conversation_id;
    message.delivered_at = at;
    EXPECT_OK(store_->campaigns().UpdateMessage(message).status());
  };
  User third;
  third.external_id = "kpi-third";
  ASSERT_OK_AND_ASSIGN(User third_user, store_->users().Create(third));
  const int64_t c = StartConversation(other_, day1_ + 2000);
  deliver(user_, a, day1_ + 5000);
  Say(a, MessageRole::kUser, day1_ + 9000);  // replied (campaign stats have not recorded it)
  deliver(other_user.id, b, day1_ + 6000);
  Say(b, MessageRole::kUser, day1_ + 7000);
  deliver(third_user.id, c, day1_ + 3 * 86'400'000 + 1);  // after the period
  Say(c, MessageRole::kUser, day1_ + 1500);  // before any delivery
  ASSERT_OK_AND_ASSIGN(KpiRows rows, store_->kpis().Rows(day1_, day1_ + 3 * 86'400'000));
  ASSERT_EQ(rows.campaign_sends.size(), 2u);
  EXPECT_EQ(rows.campaign_sends[0].conversation_id, a);
  EXPECT_EQ(rows.campaign_sends[0].character_id, juno_);
  EXPECT_EQ(rows.campaign_sends[0].sent_at, day1_ + 5000);
  EXPECT_TRUE(rows.campaign_sends[0].replied);
  EXPECT_EQ(rows.campaign_sends[1].character_id, other_);
  EXPECT_TRUE(rows.campaign_sends[1].replied);
  const KpiReport report = AggregateKpis(rows, KpiGrouping::kDay);
  EXPECT_EQ(report.totals.campaign_sends, 2);
  EXPECT_DOUBLE_EQ(report.totals.campaign_reply_rate.value(), 1.0);

  // A delivery nobody answered lowers the rate.
  const int64_t d = StartConversation(juno_, day1_ + 3000);
  User fourth;
  fourth.external_id = "kpi-fourth";
  ASSERT_OK_AND_ASSIGN(User fourth_user, store_->users().Create(fourth));
  deliver(fourth_user.id, d, day1_ + 8000);
  ASSERT_OK_AND_ASSIGN(KpiRows more, store_->kpis().Rows(day1_, day1_ + 3 * 86'400'000));
  EXPECT_DOUBLE_EQ(AggregateKpis(more, KpiGrouping::kDay).totals.campaign_reply_rate.value(), 2.0 / 3);
}

TEST_P(KpiTest, TotalsAreExact) {
  MakeConversations();
  const KpiValues v = Report(KpiGrouping::kNone).totals;
  EXPECT_EQ(v.conversations, 3);
  EXPECT_EQ(v.first_responses, 2);
  EXPECT_DOUBLE_EQ(v.first_response_ms.value(), 3000.0);  // 2000 and 4000
  EXPECT_EQ(v.replies, 3);
  EXPECT_DOUBLE_EQ(v.average_response_ms.value(), 11000.0 / 3);  // 2000, 5000 and 4000
  EXPECT_EQ(v.resolved, 2);
  EXPECT_DOUBLE_EQ(v.resolution_rate.value(), 2.0 / 3);
  EXPECT_EQ(v.handed_off, 1);
  EXPECT_DOUBLE_EQ(v.handoff_rate.value(), 1.0 / 3);
  EXPECT_EQ(v.resolved_without_human, 1);
  EXPECT_DOUBLE_EQ(v.agent_load_reduction.value(), 0.5);
  EXPECT_EQ(v.csat_ratings, 2);
  EXPECT_EQ(v.csat_satisfied, 1);
  EXPECT_DOUBLE_EQ(v.csat.value(), 0.5);
  EXPECT_DOUBLE_EQ(v.csat_mean.value(), 3.5);  // 5 and 2
  EXPECT_EQ(v.routing_reviews, 2);
  EXPECT_EQ(v.routing_correct, 1);
  EXPECT_DOUBLE_EQ(v.routing_accuracy.value(), 0.5);
  EXPECT_EQ(v.campaign_sends, 0);
  EXPECT_FALSE(v.campaign_reply_rate.has_value());
}

TEST_P(KpiTest, PerDayEveryDayOfThePeriod) {
  MakeConversations();
  const KpiReport report = Report(KpiGrouping::kDay);
  ASSERT_EQ(report.groups.size(), 3u);
  EXPECT_EQ(report.groups[0].key, "2026-03-01");
  EXPECT_EQ(report.groups[0].values.conversations, 2);
  EXPECT_DOUBLE_EQ(report.groups[0].values.resolution_rate.value(), 1.0);
  EXPECT_EQ(report.groups[1].key, "2026-03-02");
  EXPECT_EQ(report.groups[1].values.conversations, 1);
  EXPECT_FALSE(report.groups[1].values.first_response_ms.has_value());
  EXPECT_DOUBLE_EQ(report.groups[1].values.resolution_rate.value(), 0.0);
  EXPECT_FALSE(report.groups[1].values.agent_load_reduction.has_value());
  EXPECT_EQ(report.groups[2].key, "2026-03-03");
  EXPECT_EQ(report.groups[2].values.conversations, 0);
  EXPECT_FALSE(report.groups[2].values.resolution_rate.has_value());
}

TEST_P(KpiTest, PerIntentFollowsTheDefinitions) {
  MakeConversations();
  const KpiReport report = Report(KpiGrouping::kIntent);
  ASSERT_EQ(report.groups.size(), 3u);
  const KpiGroup* billing = FindGroup(report, "billing");
  const KpiGroup* refund = FindGroup(report, "refund");
  const KpiGroup* none = FindGroup(report, "");
  ASSERT_TRUE(billing && refund && none);
  EXPECT_EQ(billing->values.conversations, 1);
  EXPECT_DOUBLE_EQ(billing->values.first_response_ms.value(), 2000.0);
  EXPECT_EQ(billing->values.replies, 2);
  EXPECT_DOUBLE_EQ(billing->values.average_response_ms.value(), 3500.0);
  EXPECT_EQ(billing->values.routing_reviews, 1);
  EXPECT_DOUBLE_EQ(billing->values.routing_accuracy.value(), 1.0);
  EXPECT_EQ(refund->values.conversations, 1);
  EXPECT_EQ(refund->values.handed_off, 1);
  EXPECT_DOUBLE_EQ(refund->values.csat_mean.value(), 2.0);
  EXPECT_EQ(refund->values.routing_reviews, 1);
  EXPECT_DOUBLE_EQ(refund->values.routing_accuracy.value(), 0.0);
  EXPECT_EQ(none->values.conversations, 1);
  EXPECT_EQ(none->values.replies, 0);
}

TEST_P(KpiTest, PerCharacter) {
  MakeConversations();
  const KpiReport report = Report(KpiGrouping::kCharacter);
  const KpiGroup* juno = FindGroup(report, std::to_string(juno_));
  const KpiGroup* other = FindGroup(report, std::to_string(other_));
  ASSERT_TRUE(juno && other);
  EXPECT_EQ(report.groups.size(), 2u);
  EXPECT_EQ(juno->values.conversations, 2);
  EXPECT_DOUBLE_EQ(juno->values.first_response_ms.value(), 3000.0);
  EXPECT_DOUBLE_EQ(juno->values.handoff_rate.value(), 0.5);
  EXPECT_EQ(other->values.conversations, 1);
  EXPECT_EQ(other->values.csat_ratings, 0);
  EXPECT_FALSE(other->values.csat.has_value());
}

TEST_P(KpiTest, AnEmptyPeriodHasCountsAndNoRates) {
  ASSERT_OK_AND_ASSIGN(KpiRows rows, store_->kpis().Rows(day1_, day1_ + 86'400'000));
  const KpiValues v = AggregateKpis(rows, KpiGrouping::kNone).totals;
  EXPECT_EQ(v.conversations, 0);
  EXPECT_FALSE(v.first_response_ms.has_value());
  EXPECT_FALSE(v.resolution_rate.has_value());
  EXPECT_FALSE(v.csat.has_value());
}

TEST_P(KpiTest, APeriodMustEndAfterItStarts) {
  Result<KpiRows> rows = store_->kpis().Rows(day1_, day1_);
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(rows.status().field(), "to");
}

TEST_P(KpiTest, CsatIsOneToFiveOnTheConversation) {
  const int64_t a = StartConversation(juno_, day1_);
  const Message said = Say(a, MessageRole::kUser, day1_ + 1);
  FeedbackEvent event;
  event.conversation_id = a;
  event.kind = "csat";
  for (int bad : {0, 6, -1}) {
    event.rating = bad;
    Result<FeedbackEvent> recorded = store_->feedback().Record(event);
    ASSERT_FALSE(recorded.ok()) << bad;
    EXPECT_EQ(recorded.status().field(), "rating");
  }
  event.rating.reset();
  EXPECT_EQ(store_->feedback().Record(event).status().field(), "rating");
  event.rating = 4;
  event.message_id = said.id;
  EXPECT_EQ(store_->feedback().Record(event).status().field(), "message_id");
  event.message_id.reset();
  ASSERT_OK_AND_ASSIGN(FeedbackEvent stored, store_->feedback().Record(event));
  EXPECT_EQ(stored.rating, 4);
}

INSTANTIATE_TEST_SUITE_P(Backends, KpiTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) { return BackendName(info.param); });

TEST(KpiDays, ParseAndFormatUtcDays) {
  EXPECT_EQ(ParseKpiDay("1970-01-01"), 0);
  EXPECT_EQ(ParseKpiDay("2026-03-01"), 1'772'323'200'000);
  EXPECT_EQ(KpiDay(1'772'323'200'000 + 86'399'999), "2026-03-01");
  EXPECT_EQ(KpiDay(1'772'323'200'000 + 86'400'000), "2026-03-02");
  for (const char* bad : {"2026-02-30", "2026-3-01", "2026-13-01", "20260301", "2026-03-01T", "abcd-ef-gh", ""}) {
    EXPECT_FALSE(ParseKpiDay(bad).has_value()) << bad;
  }
}

TEST(KpiDays, PeriodsIncludeBothDaysAndNameTheBadParameter) {
  const int64_t day = 86'400'000;
  const int64_t march1 = ParseKpiDay("2026-03-01").value();
  auto period = ParseKpiPeriod("2026-03-01", "2026-03-03", 0);
  ASSERT_TRUE(period.ok());
  EXPECT_EQ(period->first, march1);
  EXPECT_EQ(period->second, march1 + 3 * day);
  auto defaults = ParseKpiPeriod("", "", march1 + 5 * day + 1234);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->second, march1 + 6 * day);
  EXPECT_EQ(defaults->first, march1 + 6 * day - 30 * day);
  EXPECT_EQ(ParseKpiPeriod("2026-3-1", "", 0).status().field(), "from");
  EXPECT_EQ(ParseKpiPeriod("", "tomorrow", 0).status().field(), "to");
  EXPECT_EQ(ParseKpiPeriod("2026-03-02", "2026-03-01", 0).status().field(), "to");
  EXPECT_EQ(ParseKpiPeriod("2025-01-01", "2026-03-01", 0).status().field(), "to");
  EXPECT_TRUE(ParseKpiPeriod("2025-03-01", "2026-03-01", 0).ok());  // 366 days
}

TEST(KpiCampaigns, CampaignSendsGiveTheReplyRate) {
  KpiRows rows;
  rows.from_ms = 0;
  rows.to_ms = 86'400'000;
  rows.campaign_sends = {{1, 7, 1000, true}, {2, 7, 2000, false}, {3, 8, 3000, true}, {4, 8, 4000, true}};
  const KpiReport report = AggregateKpis(rows, KpiGrouping::kCharacter);
  EXPECT_EQ(report.totals.campaign_sends, 4);
  EXPECT_DOUBLE_EQ(report.totals.campaign_reply_rate.value(), 0.75);
  ASSERT_EQ(report.groups.size(), 2u);
  EXPECT_EQ(report.groups[0].key, "7");
  EXPECT_DOUBLE_EQ(report.groups[0].values.campaign_reply_rate.value(), 0.5);
}

}  // namespace
}  // namespace troupe::store::testing
