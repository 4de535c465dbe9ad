// Internal to the campaign repository: the measurement queries (replies, outcomes, counts), kept
// apart from the records' reads and writes in campaigns.cpp.
#pragma once

#include <cstdint>
#include <vector>

#include "store/campaign_repository.h"
#include "store/repo/common.h"

namespace troupe::store::repo {

Result<int64_t> RecordCampaignReplies(const Context& context, int64_t campaign_id);
Result<CampaignStats> ReadCampaignStats(const Context& context, int64_t campaign_id);
Result<std::vector<CampaignDailyReplies>> ReadCampaignRepliesPerDay(const Context& context, int64_t since,
                                                                    int64_t until);

}  // namespace troupe::store::repo
