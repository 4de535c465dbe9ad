// Campaigns: delivery (campaigns.h). Each due approved message is checked against the member's
// opt-out, quiet hours and daily cap, then written into their conversation with the character as
// a message the character wrote first.
#include "chat/campaign_profile.h"
#include "chat/campaigns.h"
#include "chat/experiments.h"
#include "chat/proactive_turns.h"

namespace troupe::chat {
namespace {

using nlohmann::json;

constexpr int64_t kDayMillis = 86'400'000;

bool DeliveryMayRun(store::CampaignStatus status) {
  return status == store::CampaignStatus::kReview || status == store::CampaignStatus::kDelivering;
}

void AddReport(DeliveryReport& total, const DeliveryReport& part) {
  total.delivered += part.delivered;
  total.waiting += part.waiting;
  for (const auto& [reason, count] : part.skipped) total.skipped[reason] += count;
}

}  // namespace

json DeliveryReport::ToJson() const {
  json reasons = json::object();
  for (const auto& [reason, count] : skipped) reasons[reason] = count;
  return {{"delivered", delivered}, {"waiting", waiting}, {"skipped", reasons}};
}

Campaigns::Campaigns(store::Store& store, ProviderResolver providers, CampaignOptions options)
    : store_(store),
      providers_(std::move(providers)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : SystemClock::Instance()) {}

Result<DeliveryReport> Campaigns::Deliver(int64_t campaign_id) {
  TROUPE_ASSIGN_OR_RETURN(store::Campaign campaign, store_.campaigns().Get(campaign_id));
  if (!DeliveryMayRun(campaign.status)) {
    return Status(StatusCode::kFailedPrecondition,
                  "campaign " + std::to_string(campaign_id) + " is " + std::string(ToString(campaign.status)) +
                      "; only a campaign in review or delivering can be delivered",
                  "status");
  }
  if (campaign.status != store::CampaignStatus::kDelivering) {
    campaign.status = store::CampaignStatus::kDelivering;
    TROUPE_ASSIGN_OR_RETURN(campaign, store_.campaigns().Update(campaign));
  }
  DeliveryReport report;
  TROUPE_ASSIGN_OR_RETURN(std::vector<store::CampaignMessage> due,
                          store_.campaigns().DueMessages(campaign.id, clock_.NowMillis(), options_.delivery_batch));
  for (store::CampaignMessage& message : due) {
    TROUPE_RETURN_IF_ERROR(DeliverOne(campaign, std::move(message), report));
  }
  TROUPE_ASSIGN_OR_RETURN(const int64_t left,
                          store_.campaigns().CountByStatus(campaign.id, store::CampaignMessageStatus::kApproved));
  if (left == 0) {
    campaign.status = store::CampaignStatus::kDone;
    TROUPE_RETURN_IF_ERROR(store_.campaigns().Update(campaign).status());
  }
  // Messages still held back, whether from this pass or an earlier one.
  TROUPE_ASSIGN_OR_RETURN(store::CampaignStats stats, store_.campaigns().Stats(campaign.id));
  report.waiting = stats.waiting;
  return report;
}

Result<DeliveryReport> Campaigns::Scan() {
  TROUPE_ASSIGN_OR_RETURN(std::vector<store::Campaign> delivering,
                          store_.campaigns().ListByStatus(store::CampaignStatus::kDelivering, 100));
  DeliveryReport total;
  for (const store::Campaign& campaign : delivering) {
    TROUPE_ASSIGN_OR_RETURN(DeliveryReport part, Deliver(campaign.id));
    AddReport(total, part);
  }
  return total;
}

Result<int64_t> Campaigns::SentToday(int64_t user_id) {
  const int64_t now = clock_.NowMillis();
  const int64_t day_start = now - now % kDayMillis;
  TROUPE_ASSIGN_OR_RETURN(int64_t sent, store_.campaigns().DeliveredToUserSince(user_id, day_start));
  // Proactive messages keep their count per conversation (proactive_turns.h).
  const std::string today = internal::UtcDay(now);
  store::PageRequest page;
  page.limit = 100;
  TROUPE_ASSIGN_OR_RETURN(store::Page<store::Conversation> conversations,
                          store_.conversations().ListForUser(user_id, page));
  for (const store::Conversation& conversation : conversations.items) {
    const json metadata = json::parse(conversation.metadata_json, nullptr, false);
    if (!metadata.is_object() || !metadata.contains("proactive") || !metadata["proactive"].is_object()) continue;
    const json& book = metadata["proactive"];
    if (book.value("day", std::string()) == today) sent += book.value("sent_today", 0);
  }
  return sent;
}

Result<store::Conversation> Campaigns::ConversationFor(const store::Campaign& campaign, int64_t user_id) {
  store::ConversationQuery query;
  query.user_id = user_id;
  query.character_id = campaign.character_id;
  query.status = store::ConversationStatus::kActive;
  query.page.limit = 1;
  TROUPE_ASSIGN_OR_RETURN(store::Page<store::Conversation> latest, store_.conversations().List(query));
  if (!latest.items.empty()) return latest.items.front();
  store::Conversation conversation;
  conversation.user_id = user_id;
  conversation.character_id = campaign.character_id;
  TROUPE_ASSIGN_OR_RETURN(StartedConversation started, StartConversation(store_, conversation));
  return started.conversation;
}

Status Campaigns::DeliverOne(const store::Campaign& campaign, store::CampaignMessage message, DeliveryReport& report) {
  TROUPE_ASSIGN_OR_RETURN(store::User user, store_.users().Get(message.user_id));
  const json profile = CampaignProfileOf(store_, user);
  const int64_t now = clock_.NowMillis();
  auto skip = [&](const std::string& reason) -> Status {
    message.status = store::CampaignMessageStatus::kSkipped;
    message.reason = reason;
    message.due_at.reset();
    report.skipped[reason] += 1;
    return store_.campaigns().UpdateMessage(message).status();
  };
  if (CampaignOptedOut(profile)) return skip("opted_out");
  if (campaign.quiet_hours) {
    const auto zone = profile.find("timezone");
    const std::string timezone = zone != profile.end() && zone->is_string() ? zone->get<std::string>() : "";
    // A zone that is not understood counts as UTC (docs/api.md).
    Result<int> offset_minutes = UtcOffsetMinutes(timezone);
    const int offset = offset_minutes.ok() ? *offset_minutes : 0;
    if (std::optional<int64_t> end = QuietHoursEnd(*campaign.quiet_hours, now, offset)) {
      message.reason = "quiet_hours";
      message.due_at = *end;
      return store_.campaigns().UpdateMessage(message).status();
    }
  }
  TROUPE_ASSIGN_OR_RETURN(const int64_t sent_today, SentToday(user.id));
  if (sent_today >= campaign.daily_cap) return skip("daily_cap");

  TROUPE_ASSIGN_OR_RETURN(store::Conversation conversation, ConversationFor(campaign, user.id));
  store::Message stored;
  stored.conversation_id = conversation.id;
  stored.role = store::MessageRole::kAssistant;
  stored.content = message.text;
  stored.stage = conversation.stage;
  stored.metadata_json =
      json{{"proactive", true}, {"campaign", {{"id", campaign.id}, {"message_id", message.id}}}}.dump();
  TROUPE_ASSIGN_OR_RETURN(stored, store_.messages().AppendAfterLatest(stored));
  message.status = store::CampaignMessageStatus::kDelivered;
  message.reason.clear();
  message.due_at.reset();
  message.conversation_id = conversation.id;
  message.message_id = stored.id;
  message.delivered_at = stored.created_at;
  TROUPE_RETURN_IF_ERROR(store_.campaigns().UpdateMessage(message).status());
  report.delivered += 1;
  if (options_.on_message_stored) {
    Result<store::Conversation> fresh = store_.conversations().Get(conversation.id);
    options_.on_message_stored(fresh.ok() ? *fresh : conversation, stored);
  }
  return Status::Ok();
}

}  // namespace troupe::chat
