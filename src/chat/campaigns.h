// Personalised engagement campaigns (store/campaign_repository.h holds the records): for each
// member of a segment the model drafts one message in the character's voice from the campaign's
// brief, the member's profile and their history with the character; a reviewer approves, edits or
// rejects each; approved messages are delivered as messages the character writes first, into the
// member's latest conversation with the character (or a new one), with metadata
//   {"proactive": true, "campaign": {"id": <campaign>, "message_id": <campaign message>}}
// and passed to on_message_stored (open event streams, the proactive webhook).
//
// Delivery rules, checked per message when it is due: a profile with opt_out or marketing_opt_out
// true -> skipped (opted_out); inside the campaign's quiet hours in the user's time zone (profile
// `timezone`, else UTC) -> stays approved with reason quiet_hours and due_at the end of the quiet
// hours, delivered by a later Scan; the user already got daily_cap messages this UTC day (campaign
// messages and proactive messages together) -> skipped (daily_cap).
//
// Thread-safe: every method works through the store.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "chat/runtime.h"
#include "store/store.h"

namespace troupe::chat {

inline constexpr std::string_view kCampaignDraftJob = "campaign.draft";

struct CampaignOptions {
  const Clock* clock = nullptr;  // nullptr: the system clock
  std::string provider;          // writes the drafts ("" = the default provider)
  int draft_max_tokens = 80;
  int history_messages = 6;      // of the member's latest conversation, quoted in the prompt
  int delivery_batch = 200;      // messages one Deliver or Scan pass handles per campaign
  std::function<void(const store::Conversation&, const store::Message&)> on_message_stored;
  std::function<void()> on_job_enqueued;  // wakes the job runner
};

struct DeliveryReport {
  int64_t delivered = 0;
  int64_t waiting = 0;  // held back by quiet hours
  std::map<std::string, int64_t> skipped;  // by reason
  nlohmann::json ToJson() const;
};

class Campaigns {
 public:
  Campaigns(store::Store& store, ProviderResolver providers, CampaignOptions options = {});

  // Queues the drafting job (kCampaignDraftJob) of a campaign in draft or review (a second run
  // drafts only members without a message) and marks it drafting. kFailedPrecondition naming
  // status otherwise.
  Result<store::Job> StartDrafting(int64_t campaign_id);
  // The drafting job: one draft per member, progress = members done / members. Stops when
  // `progress` returns false (cancelled): the drafts so far stay and the campaign goes back to
  // draft. Otherwise the campaign ends in review. Result: {"drafted", "members", "cancelled"}.
  Result<nlohmann::json> RunDraftJob(const store::Job& job, const std::function<bool(double)>& progress);

  // Starts or continues delivery of a campaign in review or delivering: every due approved message,
  // by the rules above. The campaign is done once no approved message is left. kFailedPrecondition
  // naming status for a campaign in another state.
  Result<DeliveryReport> Deliver(int64_t campaign_id);
  // Deliver for every campaign that is delivering (messages whose quiet hours have ended).
  Result<DeliveryReport> Scan();

 private:
  Result<std::string> DraftFor(const store::Campaign& campaign, const store::Character& character,
                               const store::User& user, llm::Provider& provider);
  Status DeliverOne(const store::Campaign& campaign, store::CampaignMessage message, DeliveryReport& report);
  Result<int64_t> SentToday(int64_t user_id);
  Result<store::Conversation> ConversationFor(const store::Campaign& campaign, int64_t user_id);

  store::Store& store_;
  ProviderResolver providers_;
  CampaignOptions options_;
  const Clock& clock_;
};

}  // namespace troupe::chat
