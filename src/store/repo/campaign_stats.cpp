// How a campaign did: which delivered messages got a reply (the user's first message in the
// conversation after the campaign's), what became of those conversations, and the counts.
#include "store/repo/campaign_stats.h"

#include <string>

namespace troupe::store::repo {
namespace {

// The user's messages in a campaign message's conversation written after it.
constexpr std::string_view kLaterUserMessages =
    "FROM messages m WHERE m.conversation_id = campaign_messages.conversation_id AND m.role = 'user' "
    "AND m.id > campaign_messages.message_id";

// Ratings first (what the user said), then what became of the conversation.
constexpr std::string_view kOutcome =
    "CASE WHEN EXISTS (SELECT 1 FROM feedback_events f WHERE f.conversation_id = campaign_messages.conversation_id "
    "AND f.rating > 0 AND f.created_at >= campaign_messages.delivered_at) THEN 'rated_up' "
    "WHEN EXISTS (SELECT 1 FROM feedback_events f WHERE f.conversation_id = campaign_messages.conversation_id "
    "AND f.rating < 0 AND f.created_at >= campaign_messages.delivered_at) THEN 'rated_down' "
    "WHEN EXISTS (SELECT 1 FROM conversations c WHERE c.id = campaign_messages.conversation_id "
    "AND c.status = 'handed_off') THEN 'handed_off' "
    "WHEN EXISTS (SELECT 1 FROM conversations c WHERE c.id = campaign_messages.conversation_id "
    "AND c.status = 'closed') THEN 'closed' ELSE '' END";

}  // namespace

Result<int64_t> RecordCampaignReplies(const Context& context, int64_t campaign_id) {
  TROUPE_ASSIGN_OR_RETURN(auto connection, context.pool->Acquire());
  TROUPE_ASSIGN_OR_RETURN(
      int64_t replied,
      connection->Exec("UPDATE campaign_messages SET replied_at = (SELECT MIN(m.created_at) " +
                           std::string(kLaterUserMessages) + "), updated_at = $2 WHERE campaign_id = $1 AND "
                           "status = 'delivered' AND replied_at IS NULL AND EXISTS (SELECT 1 " +
                           std::string(kLaterUserMessages) + ")",
                       {campaign_id, context.Now()}));
  TROUPE_RETURN_IF_ERROR(connection
                             ->Exec("UPDATE campaign_messages SET outcome = " + std::string(kOutcome) +
                                        " WHERE campaign_id = $1 AND status = 'delivered'",
                                    {campaign_id})
                             .status());
  return replied;
}

Result<CampaignStats> ReadCampaignStats(const Context& context, int64_t campaign_id) {
  CampaignStats stats;
  for (CampaignMessageStatus status :
       {CampaignMessageStatus::kDrafted, CampaignMessageStatus::kApproved, CampaignMessageStatus::kRejected,
        CampaignMessageStatus::kDelivered, CampaignMessageStatus::kSkipped}) {
    stats.by_status[std::string(ToString(status))] = 0;
  }
  for (std::string_view reason : {"opted_out", "quiet_hours", "daily_cap"}) stats.skipped_by_reason[std::string(reason)] = 0;
  TROUPE_ASSIGN_OR_RETURN(auto connection, context.pool->Acquire());
  TROUPE_ASSIGN_OR_RETURN(
      sql::Rows counts,
      connection->Query("SELECT status, reason, COUNT(*), COUNT(replied_at) FROM campaign_messages "
                        "WHERE campaign_id = $1 GROUP BY status, reason",
                        {campaign_id}));
  for (const sql::Row& row : counts) {
    const std::string status = row.Text(0);
    const std::string reason = row.Text(1);
    const int64_t count = row.Int(2);
    stats.members += count;
    stats.by_status[status] += count;
    stats.replied += row.Int(3);
    if (status == "skipped") stats.skipped_by_reason[reason] += count;
    if (status == "approved" && reason == "quiet_hours") stats.waiting += count;
  }
  TROUPE_ASSIGN_OR_RETURN(
      sql::Rows outcomes,
      connection->Query("SELECT outcome, COUNT(*) FROM campaign_messages WHERE campaign_id = $1 AND outcome <> '' "
                        "GROUP BY outcome",
                        {campaign_id}));
  for (const sql::Row& row : outcomes) stats.outcomes[row.Text(0)] = row.Int(1);
  return stats;
}

Result<std::vector<CampaignDailyReplies>> ReadCampaignRepliesPerDay(const Context& context, int64_t since,
                                                                    int64_t until) {
  TROUPE_ASSIGN_OR_RETURN(auto connection, context.pool->Acquire());
  TROUPE_ASSIGN_OR_RETURN(
      sql::Rows rows,
      connection->Query("SELECT campaign_id, (replied_at / 86400000) * 86400000 AS day_start, COUNT(*) "
                        "FROM campaign_messages WHERE replied_at >= $1 AND replied_at < $2 "
                        "GROUP BY campaign_id, day_start ORDER BY campaign_id, day_start",
                        {since, until}));
  std::vector<CampaignDailyReplies> days;
  days.reserve(rows.size());
  for (const sql::Row& row : rows) days.push_back({row.Int(0), row.Int(1), row.Int(2)});
  return days;
}

}  // namespace troupe::store::repo
