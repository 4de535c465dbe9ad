// The columns the campaign repository selects and how a row of them becomes a record; shared by
// the repository (campaigns.cpp) and its measurement queries (campaign_stats.cpp).
#pragma once

#include <string_view>

#include "store/campaign_repository.h"
#include "store/sql/value.h"

namespace troupe::store::repo {

inline constexpr std::string_view kCampaignColumns =
    "id, name, character_id, segment, brief, status, quiet_start_hour, quiet_end_hour, daily_cap, draft_job_id, "
    "created_at, updated_at";
inline constexpr std::string_view kCampaignMessageColumns =
    "id, campaign_id, user_id, text, status, reason, conversation_id, message_id, due_at, delivered_at, replied_at, "
    "outcome, created_at, updated_at";

Campaign ReadCampaign(const sql::Row& row);
CampaignMessage ReadCampaignMessage(const sql::Row& row);

}  // namespace troupe::store::repo
