// Campaigns against a real SQLite store and the real local engine (stories260K: the drafts are
// gibberish, so the tests check structure): one draft per segment member with progress, a drafting
// job cancelled midway, and delivery under a controlled clock: opt-out, quiet hours in the user's
// time zone (delivered by a later scan), the daily cap shared with proactive messages.
#include "chat/campaigns.h"

#include <gtest/gtest.h>

#include <mutex>

#include "chat/campaign_profile.h"
#include "llm/local_model.h"
#include "llm/local_provider.h"
#include "support/temp_dir.h"

namespace troupe::chat {
namespace {

using nlohmann::json;
using ::troupe::testing::SharedDir;
using ::troupe::testing::TempDir;

constexpr int64_t kCampaignHour = 3'600'000;
constexpr int64_t kCampaignDay = 24 * kCampaignHour;
// 2026-09-11 12:00 UTC.
constexpr int64_t kCampaignNoonUtc = 1'789'128'000'000;

// The real provider, keeping the prompts it was given (to check what a draft is written from).
class PromptKeepingProvider final : public llm::ForwardingProvider {
 public:
  using ForwardingProvider::ForwardingProvider;
  std::shared_ptr<llm::ChatCall> Start(llm::ChatRequest request, llm::ChatCallbacks callbacks) override {
    std::string prompt;
    for (const llm::ChatMessage& message : request.messages) prompt += message.content + "\n";
    {
      std::lock_guard lock(mutex_);
      prompts_.push_back(prompt);
    }
    return ForwardingProvider::Start(std::move(request), std::move(callbacks));
  }
  std::vector<std::string> prompts() const {
    std::lock_guard lock(mutex_);
    return prompts_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> prompts_;
};

class CampaignsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreOptions options;
    options.url = "sqlite://" + (dir_ / "troupe.db").string();
    options.clock = &clock_;
    store_ = std::move(store::Store::Open(options)).value();
    ASSERT_TRUE(store_->Migrate().ok());
    static std::shared_ptr<llm::LocalModel> model =
        llm::LocalModel::Load(SharedDir() / "models/stories260K.gguf").value();
    llm::LocalProviderOptions provider_options;
    provider_options.context_length = 512;
    provider_ = std::make_unique<PromptKeepingProvider>(llm::MakeLocalProvider(model, provider_options).value());
    CampaignOptions campaign_options;
    campaign_options.clock = &clock_;
    campaign_options.draft_max_tokens = 16;
    campaign_options.on_message_stored = [this](const store::Conversation& conversation, const store::Message& message) {
      stored_.push_back({conversation, message});
    };
    campaign_options.on_job_enqueued = [this] { ++jobs_announced_; };
    campaigns_ = std::make_unique<Campaigns>(
        *store_, [this](std::string_view) -> Result<llm::Provider*> { return provider_.get(); }, campaign_options);
    store::Character character;
    character.name = "Lily";
    character.description = "A florist who loves spring.";
    character_ = *store_->characters().Create(character);
  }

  store::User Member(const std::string& external_id, const std::string& segment, json metadata = json::object()) {
    store::User user;
    user.external_id = external_id;
    user.display_name = external_id;
    user.segment = segment;
    user.metadata_json = metadata.dump();
    Result<store::User> created = store_->users().Create(user);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : user;
  }

  store::Campaign NewCampaign(std::optional<store::QuietHours> quiet_hours = std::nullopt, int daily_cap = 1) {
    store::Campaign campaign;
    campaign.name = "Spring";
    campaign.character_id = character_.id;
    campaign.segment = "vip";
    campaign.brief = "Invite them to the spring flower market";
    campaign.quiet_hours = quiet_hours;
    campaign.daily_cap = daily_cap;
    return *store_->campaigns().Create(campaign);
  }

  // Drafts and approves every member's message.
  void DraftAndApprove(const store::Campaign& campaign) {
    Result<store::Job> job = campaigns_->StartDrafting(campaign.id);
    ASSERT_TRUE(job.ok()) << job.status().ToString();
    ASSERT_TRUE(campaigns_->RunDraftJob(*job, {}).ok());
    ASSERT_TRUE(store_->campaigns().ApproveAllDrafted(campaign.id).ok());
  }

  store::CampaignMessage MessageOf(const store::Campaign& campaign, const store::User& user) {
    return store_->campaigns().FindMessage(campaign.id, user.id).value().value();
  }

  ManualClock clock_{kCampaignNoonUtc};
  TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<PromptKeepingProvider> provider_;
  std::unique_ptr<Campaigns> campaigns_;
  store::Character character_;
  std::vector<std::pair<store::Conversation, store::Message>> stored_;
  int jobs_announced_ = 0;
};

TEST_F(CampaignsTest, DraftsOneMessagePerMemberWithProgress) {
  const store::User a = Member("a", "vip");
  const store::User b = Member("b", "vip");
  const store::User c = Member("c", "vip");
  Member("d", "trial");
  const store::Campaign campaign = NewCampaign();
  Result<store::Job> job = campaigns_->StartDrafting(campaign.id);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(job->kind, kCampaignDraftJob);
  EXPECT_EQ(jobs_announced_, 1);
  store::Campaign drafting = *store_->campaigns().Get(campaign.id);
  EXPECT_EQ(drafting.status, store::CampaignStatus::kDrafting);
  EXPECT_EQ(drafting.draft_job_id, job->id);
  // Drafting twice at once is refused.
  EXPECT_EQ(campaigns_->StartDrafting(campaign.id).status().code(), StatusCode::kFailedPrecondition);

  std::vector<double> progress;
  Result<json> result = campaigns_->RunDraftJob(*job, [&](double value) {
    progress.push_back(value);
    return true;
  });
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ((*result)["drafted"], 3);
  EXPECT_EQ((*result)["members"], 3);
  EXPECT_EQ((*result)["cancelled"], false);
  EXPECT_EQ(progress, (std::vector<double>{0.0, 1.0 / 3, 2.0 / 3, 1.0}));
  EXPECT_EQ(store_->campaigns().Get(campaign.id)->status, store::CampaignStatus::kReview);
  Result<store::Page<store::CampaignMessage>> drafts = store_->campaigns().ListMessages(campaign.id, {});
  ASSERT_TRUE(drafts.ok());
  ASSERT_EQ(drafts->items.size(), 3u);
  std::vector<int64_t> users;
  for (const store::CampaignMessage& draft : drafts->items) {
    users.push_back(draft.user_id);
    EXPECT_EQ(draft.status, store::CampaignMessageStatus::kDrafted);
  }
  EXPECT_EQ(users, (std::vector<int64_t>{a.id, b.id, c.id}));

  // Drafting again writes only for members without a message.
  Member("e", "vip");
  Result<store::Job> again = campaigns_->StartDrafting(campaign.id);
  ASSERT_TRUE(again.ok());
  Result<json> second = campaigns_->RunDraftJob(*again, {});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)["drafted"], 1);
  EXPECT_EQ(store_->campaigns().ListMessages(campaign.id, {})->items.size(), 4u);
}

TEST_F(CampaignsTest, ADraftIsWrittenFromTheBriefTheProfileAndTheHistory) {
  const store::User user = Member("ann", "vip", {{"favourite", "tulips"}});
  store::Conversation conversation;
  conversation.user_id = user.id;
  conversation.character_id = character_.id;
  conversation = *store_->conversations().Create(conversation);
  store::Message said;
  said.conversation_id = conversation.id;
  said.role = store::MessageRole::kUser;
  said.content = "I loved the roses last week";
  ASSERT_TRUE(store_->messages().Append(said).ok());
  const store::Campaign campaign = NewCampaign();
  Result<store::Job> job = campaigns_->StartDrafting(campaign.id);
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE(campaigns_->RunDraftJob(*job, {}).ok());
  const std::vector<std::string> prompts = provider_->prompts();
  ASSERT_EQ(prompts.size(), 1u);
  for (const char* part : {"Lily", "A florist who loves spring.", "Invite them to the spring flower market",
                           "\"favourite\":\"tulips\"", "\"display_name\":\"ann\"", "I loved the roses last week"}) {
    EXPECT_NE(prompts[0].find(part), std::string::npos) << part << " missing from:\n" << prompts[0];
  }
}

TEST_F(CampaignsTest, ACancelledDraftingJobKeepsWhatItWroteAndGoesBackToDraft) {
  Member("a", "vip");
  Member("b", "vip");
  Member("c", "vip");
  const store::Campaign campaign = NewCampaign();
  Result<store::Job> job = campaigns_->StartDrafting(campaign.id);
  ASSERT_TRUE(job.ok());
  int reports = 0;
  // The first report (0) passes, the one after the first draft says the job was cancelled.
  Result<json> result = campaigns_->RunDraftJob(*job, [&](double) { return ++reports < 2; });
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ((*result)["cancelled"], true);
  EXPECT_EQ((*result)["drafted"], 1);
  EXPECT_EQ(store_->campaigns().ListMessages(campaign.id, {})->items.size(), 1u);
  EXPECT_EQ(store_->campaigns().Get(campaign.id)->status, store::CampaignStatus::kDraft);
}

TEST_F(CampaignsTest, DeliveryRespectsOptOutQuietHoursAndTheDailyCap) {
  const store::User opted_out = Member("opted", "vip", {{"marketing_opt_out", true}});
  // 12:00 UTC is 21:00 at +09:00: inside quiet hours 20-8, which end at 23:00 UTC.
  const store::User tokyo = Member("tokyo", "vip", {{"timezone", "+09:00"}});
  const store::User talker = Member("talker", "vip");
  const store::User capped = Member("capped", "vip");
  // The talker has a conversation with the character already: the message goes there.
  store::Conversation existing;
  existing.user_id = talker.id;
  existing.character_id = character_.id;
  existing = *store_->conversations().Create(existing);
  // The capped user got a proactive message today already.
  store::Conversation nudged;
  nudged.user_id = capped.id;
  nudged.character_id = character_.id;
  nudged = *store_->conversations().Create(nudged);
  nudged.metadata_json = json{{"proactive", {{"unanswered", 1}, {"sent_today", 1}, {"day", "2026-09-11"}}}}.dump();
  ASSERT_TRUE(store_->conversations().UpdateState(nudged).ok());

  const store::Campaign campaign = NewCampaign(store::QuietHours{20, 8}, 1);
  DraftAndApprove(campaign);
  Result<DeliveryReport> report = campaigns_->Deliver(campaign.id);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->delivered, 1);
  EXPECT_EQ(report->waiting, 1);
  EXPECT_EQ(report->skipped, (std::map<std::string, int64_t>{{"daily_cap", 1}, {"opted_out", 1}}));
  EXPECT_EQ(store_->campaigns().Get(campaign.id)->status, store::CampaignStatus::kDelivering);

  const store::CampaignMessage delivered = MessageOf(campaign, talker);
  EXPECT_EQ(delivered.status, store::CampaignMessageStatus::kDelivered);
  EXPECT_EQ(delivered.conversation_id, existing.id);
  EXPECT_EQ(delivered.delivered_at, kCampaignNoonUtc);
  ASSERT_EQ(stored_.size(), 1u);
  EXPECT_EQ(stored_[0].first.id, existing.id);
  EXPECT_EQ(stored_[0].second.id, delivered.message_id);
  EXPECT_EQ(stored_[0].second.role, store::MessageRole::kAssistant);
  EXPECT_EQ(stored_[0].second.content, delivered.text);
  const json metadata = json::parse(stored_[0].second.metadata_json);
  EXPECT_EQ(metadata["campaign"], (json{{"id", campaign.id}, {"message_id", delivered.id}}));
  EXPECT_EQ(metadata["proactive"], true);
  EXPECT_EQ(MessageOf(campaign, opted_out).reason, "opted_out");
  EXPECT_EQ(MessageOf(campaign, capped).reason, "daily_cap");
  const store::CampaignMessage waiting = MessageOf(campaign, tokyo);
  EXPECT_EQ(waiting.status, store::CampaignMessageStatus::kApproved);
  EXPECT_EQ(waiting.reason, "quiet_hours");
  EXPECT_EQ(waiting.due_at, kCampaignNoonUtc + 11 * kCampaignHour);

  // A scan before the quiet hours end delivers nothing; one after does, into a new conversation.
  clock_.Advance(11 * kCampaignHour - 1);
  ASSERT_EQ(campaigns_->Scan()->delivered, 0);
  clock_.Advance(1);
  Result<DeliveryReport> later = campaigns_->Scan();
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  EXPECT_EQ(later->delivered, 1);
  EXPECT_EQ(later->waiting, 0);
  const store::CampaignMessage after = MessageOf(campaign, tokyo);
  EXPECT_EQ(after.status, store::CampaignMessageStatus::kDelivered);
  EXPECT_EQ(after.reason, "");
  ASSERT_TRUE(after.conversation_id.has_value());
  EXPECT_EQ(store_->conversations().Get(*after.conversation_id)->user_id, tokyo.id);
  EXPECT_EQ(store_->campaigns().Get(campaign.id)->status, store::CampaignStatus::kDone);
  EXPECT_EQ(campaigns_->Deliver(campaign.id).status().code(), StatusCode::kFailedPrecondition);
}

// The customer profile (imported or set through /users/{id}/profile) is read too, over metadata.
TEST_F(CampaignsTest, TheCustomerProfileDecidesOptOutAndTimeZone) {
  const store::User opted_out = Member("profile-opted", "vip");
  ASSERT_TRUE(store_->customers().PutProfile(opted_out.id, R"({"opt_out": true})").ok());
  const store::User moved = Member("moved", "vip", {{"timezone", "UTC"}});
  ASSERT_TRUE(store_->customers().PutProfile(moved.id, R"({"timezone": "+09:00"})").ok());
  EXPECT_EQ(CampaignProfileOf(*store_, moved)["timezone"], "+09:00");

  const store::Campaign campaign = NewCampaign(store::QuietHours{20, 8}, 1);
  DraftAndApprove(campaign);
  Result<DeliveryReport> report = campaigns_->Deliver(campaign.id);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->delivered, 0);
  EXPECT_EQ(report->waiting, 1);
  EXPECT_EQ(MessageOf(campaign, opted_out).reason, "opted_out");
  EXPECT_EQ(MessageOf(campaign, moved).reason, "quiet_hours");
}

TEST_F(CampaignsTest, TheDailyCapCountsEarlierCampaignsAndResetsTheNextDay) {
  const store::User user = Member("a", "vip");
  const store::Campaign first = NewCampaign(std::nullopt, 1);
  DraftAndApprove(first);
  ASSERT_EQ(campaigns_->Deliver(first.id)->delivered, 1);
  const store::Campaign second = NewCampaign(std::nullopt, 1);
  DraftAndApprove(second);
  Result<DeliveryReport> capped = campaigns_->Deliver(second.id);
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(capped->skipped.at("daily_cap"), 1);
  // A cap of two lets a third campaign through the same day; a new day starts from zero.
  const store::Campaign third = NewCampaign(std::nullopt, 2);
  DraftAndApprove(third);
  EXPECT_EQ(campaigns_->Deliver(third.id)->delivered, 1);
  clock_.Advance(kCampaignDay);
  const store::Campaign fourth = NewCampaign(std::nullopt, 1);
  DraftAndApprove(fourth);
  EXPECT_EQ(campaigns_->Deliver(fourth.id)->delivered, 1);
  EXPECT_EQ(MessageOf(fourth, user).status, store::CampaignMessageStatus::kDelivered);
}

TEST(CampaignProfileTest, TimeZonesAsOffsets) {
  EXPECT_EQ(UtcOffsetMinutes("").value(), 0);
  EXPECT_EQ(UtcOffsetMinutes("UTC").value(), 0);
  EXPECT_EQ(UtcOffsetMinutes("Z").value(), 0);
  EXPECT_EQ(UtcOffsetMinutes("+02:00").value(), 120);
  EXPECT_EQ(UtcOffsetMinutes("-0530").value(), -330);
  EXPECT_EQ(UtcOffsetMinutes("UTC+2").value(), 120);
  EXPECT_EQ(UtcOffsetMinutes("GMT-3:30").value(), -210);
  for (std::string_view bad : {"+25:00", "+2:5", "nowhere", "+", "UTC+", "+02:60", "+123"}) {
    Result<int> offset = UtcOffsetMinutes(bad);
    EXPECT_EQ(offset.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(offset.status().field(), "timezone") << bad;
  }
}

TEST(CampaignProfileTest, QuietHoursEndInTheUsersZone) {
  const store::QuietHours night{22, 8};
  const int64_t midnight = kCampaignNoonUtc - 12 * kCampaignHour;
  EXPECT_EQ(QuietHoursEnd(night, midnight + 23 * kCampaignHour, 0), midnight + 32 * kCampaignHour);
  EXPECT_EQ(QuietHoursEnd(night, midnight + 3 * kCampaignHour, 0), midnight + 8 * kCampaignHour);
  EXPECT_FALSE(QuietHoursEnd(night, midnight + 8 * kCampaignHour, 0).has_value());
  EXPECT_FALSE(QuietHoursEnd(night, midnight + 21 * kCampaignHour, 0).has_value());
  // 21:00 UTC is 23:00 at +02:00: quiet until 08:00 there, 06:00 UTC.
  EXPECT_EQ(QuietHoursEnd(night, midnight + 21 * kCampaignHour, 120), midnight + 30 * kCampaignHour);
  const store::QuietHours lunch{12, 14};
  EXPECT_EQ(QuietHoursEnd(lunch, midnight + 13 * kCampaignHour, 0), midnight + 14 * kCampaignHour);
  EXPECT_FALSE(QuietHoursEnd(lunch, midnight + 14 * kCampaignHour, 0).has_value());
  EXPECT_FALSE(QuietHoursEnd(store::QuietHours{5, 5}, midnight + 5 * kCampaignHour, 0).has_value());
}

TEST(CampaignProfileTest, OptOutFlags) {
  EXPECT_TRUE(CampaignOptedOut({{"opt_out", true}}));
  EXPECT_TRUE(CampaignOptedOut({{"marketing_opt_out", true}}));
  EXPECT_FALSE(CampaignOptedOut({{"opt_out", false}}));
  EXPECT_FALSE(CampaignOptedOut({{"opt_out", "yes"}}));
  EXPECT_FALSE(CampaignOptedOut(json::object()));
}

}  // namespace
}  // namespace troupe::chat
