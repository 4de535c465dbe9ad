// Engagement campaigns: for one segment of end users, one message per user, drafted by the model,
// reviewed by a person, delivered as a message the character writes first, and measured by the
// replies it gets. A segment's members are the users whose `users.segment` equals the segment's
// name. Thread-safe; failures are Status values as store.h says for every repository.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/page.h"
#include "store/records.h"

namespace troupe::store {

enum class CampaignStatus { kDraft, kDrafting, kReview, kDelivering, kDone, kCancelled };
std::string_view ToString(CampaignStatus status);
std::optional<CampaignStatus> ParseCampaignStatus(std::string_view text);

enum class CampaignMessageStatus { kDrafted, kApproved, kRejected, kDelivered, kSkipped };
std::string_view ToString(CampaignMessageStatus status);
std::optional<CampaignMessageStatus> ParseCampaignMessageStatus(std::string_view text);

// Hours of the user's local day in which nothing is delivered; `end` before `start` wraps midnight
// (22 to 8). Both 0..23.
struct QuietHours {
  int start = 0;
  int end = 0;
};

struct Campaign {
  int64_t id = 0;
  std::string name;
  int64_t character_id = 0;
  std::string segment;
  std::string brief;  // what the message is for, in the operator's words
  CampaignStatus status = CampaignStatus::kDraft;
  std::optional<QuietHours> quiet_hours;
  int daily_cap = 1;  // messages a user may get per UTC day, across campaigns and proactive messages
  std::optional<int64_t> draft_job_id;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// Why a message was skipped or waits: "opted_out", "quiet_hours" (waits until due_at), "daily_cap".
struct CampaignMessage {
  int64_t id = 0;
  int64_t campaign_id = 0;
  int64_t user_id = 0;
  std::string text;
  CampaignMessageStatus status = CampaignMessageStatus::kDrafted;
  std::string reason;
  std::optional<int64_t> conversation_id;
  std::optional<int64_t> message_id;
  std::optional<int64_t> due_at;  // an approved message held back by quiet hours until then
  std::optional<int64_t> delivered_at;
  std::optional<int64_t> replied_at;  // the user's first message in the conversation after delivery
  std::string outcome;                // "", "rated_up", "rated_down", "handed_off", "closed"
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct CampaignMessageQuery {
  std::optional<CampaignMessageStatus> status;
  PageRequest page;  // ascending id
};

struct CampaignStats {
  int64_t members = 0;  // messages drafted so far (one per member)
  std::map<std::string, int64_t> by_status;   // every status, 0 when none
  std::map<std::string, int64_t> skipped_by_reason;
  int64_t waiting = 0;  // approved and held back by quiet hours
  int64_t replied = 0;
  std::map<std::string, int64_t> outcomes;
};

// Replies to one campaign's messages on one UTC day (for KPIs).
struct CampaignDailyReplies {
  int64_t campaign_id = 0;
  int64_t day_start = 0;  // midnight UTC, milliseconds since the epoch
  int64_t replied = 0;
};

class CampaignRepository {
 public:
  virtual ~CampaignRepository() = default;

  // Fills id, status draft, created_at/updated_at. kInvalidArgument naming name, segment,
  // daily_cap or quiet_hours; kNotFound naming character_id.
  virtual Result<Campaign> Create(Campaign campaign) = 0;
  virtual Result<Campaign> Get(int64_t id) = 0;
  virtual Result<Page<Campaign>> List(const PageRequest& page) = 0;  // ascending id
  // Writes name, brief, status, quiet_hours, daily_cap and draft_job_id of campaign.id.
  virtual Result<Campaign> Update(const Campaign& campaign) = 0;
  // Campaigns in this status, ascending id (the delivery scan).
  virtual Result<std::vector<Campaign>> ListByStatus(CampaignStatus status, int limit) = 0;

  // The segment's members, ascending id; and how many there are.
  virtual Result<Page<User>> SegmentMembers(std::string_view segment, const PageRequest& page) = 0;
  virtual Result<int64_t> CountSegmentMembers(std::string_view segment) = 0;

  // Stores a draft for the user; one per user and campaign: kConflict when one exists.
  virtual Result<CampaignMessage> AddDraft(int64_t campaign_id, int64_t user_id, std::string text) = 0;
  // kNotFound naming message_id unless the message belongs to the campaign.
  virtual Result<CampaignMessage> GetMessage(int64_t campaign_id, int64_t message_id) = 0;
  virtual Result<std::optional<CampaignMessage>> FindMessage(int64_t campaign_id, int64_t user_id) = 0;
  virtual Result<Page<CampaignMessage>> ListMessages(int64_t campaign_id, const CampaignMessageQuery& query) = 0;
  // Writes text, status, reason, conversation_id, message_id, due_at, delivered_at and outcome.
  virtual Result<CampaignMessage> UpdateMessage(const CampaignMessage& message) = 0;
  // Every drafted message of the campaign becomes approved; returns how many.
  virtual Result<int64_t> ApproveAllDrafted(int64_t campaign_id) = 0;
  // Approved messages whose due_at is unset or has passed, ascending id, at most `limit`.
  virtual Result<std::vector<CampaignMessage>> DueMessages(int64_t campaign_id, int64_t now, int limit) = 0;
  virtual Result<int64_t> CountByStatus(int64_t campaign_id, CampaignMessageStatus status) = 0;
  // Campaign messages delivered to the user at or after `since` (the daily cap).
  virtual Result<int64_t> DeliveredToUserSince(int64_t user_id, int64_t since) = 0;

  // Sets replied_at of delivered messages whose user has written in their conversation since, and
  // outcome from the conversation's later ratings and status. Returns how many replies it found.
  virtual Result<int64_t> RecordReplies(int64_t campaign_id) = 0;
  // Counts by status and reason, replies and outcomes (after RecordReplies).
  virtual Result<CampaignStats> Stats(int64_t campaign_id) = 0;
  // Replies per campaign per UTC day with replied_at in [since, until), ordered by campaign, day.
  // Call RecordReplies first for fresh numbers.
  virtual Result<std::vector<CampaignDailyReplies>> RepliesPerDay(int64_t since, int64_t until) = 0;
};

}  // namespace troupe::store
