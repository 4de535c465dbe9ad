// Campaigns and their messages: the records, a segment's members, and the queries the drafting
// job and the delivery need. The measurement queries are in campaign_stats.cpp.
#include "store/repo/campaign_rows.h"
#include "store/repo/campaign_stats.h"
#include "store/repo/record_rows.h"
#include "store/repo/repositories.h"

namespace troupe::store::repo {
namespace {

Status ValidateCampaign(const Campaign& campaign) {
  if (campaign.name.empty()) return InvalidArgument("name must not be empty", "name");
  if (campaign.segment.empty()) return InvalidArgument("segment must not be empty", "segment");
  if (campaign.daily_cap < 1) return InvalidArgument("daily_cap must be at least 1", "daily_cap");
  if (campaign.quiet_hours) {
    const QuietHours& quiet = *campaign.quiet_hours;
    if (quiet.start < 0 || quiet.start > 23 || quiet.end < 0 || quiet.end > 23) {
      return InvalidArgument("quiet_hours start and end must be hours 0..23", "quiet_hours");
    }
  }
  return Status::Ok();
}

sql::Value QuietStart(const Campaign& campaign) {
  return campaign.quiet_hours ? sql::Value(int64_t{campaign.quiet_hours->start}) : sql::Value(nullptr);
}

sql::Value QuietEnd(const Campaign& campaign) {
  return campaign.quiet_hours ? sql::Value(int64_t{campaign.quiet_hours->end}) : sql::Value(nullptr);
}

class Campaigns final : public CampaignRepository {
 public:
  explicit Campaigns(const Context& context) : context_(context) {}

  Result<Campaign> Create(Campaign campaign) override {
    TROUPE_RETURN_IF_ERROR(ValidateCampaign(campaign));
    campaign.status = CampaignStatus::kDraft;
    campaign.created_at = campaign.updated_at = context_.Now();
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows character,
                            connection->Query("SELECT 1 FROM characters WHERE id = $1", {campaign.character_id}));
    if (character.empty()) {
      return FieldError(StatusCode::kNotFound, "character " + std::to_string(campaign.character_id) + " not found",
                        "character_id");
    }
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query("INSERT INTO campaigns (name, character_id, segment, brief, status, quiet_start_hour, "
                          "quiet_end_hour, daily_cap, draft_job_id, created_at, updated_at) "
                          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                          {campaign.name, campaign.character_id, campaign.segment, campaign.brief,
                           std::string(ToString(campaign.status)), QuietStart(campaign), QuietEnd(campaign),
                           int64_t{campaign.daily_cap}, sql::Nullable(campaign.draft_job_id), campaign.created_at,
                           campaign.updated_at}));
    campaign.id = rows.at(0).Int(0);
    return campaign;
  }

  Result<Campaign> Get(int64_t id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query("SELECT " + std::string(kCampaignColumns) + " FROM campaigns WHERE id = $1", {id}));
    if (rows.empty()) return NotFound("campaign " + std::to_string(id) + " not found");
    return ReadCampaign(rows.front());
  }

  Result<Page<Campaign>> List(const PageRequest& page) override {
    return PageByAscendingId<Campaign>(context_, "SELECT " + std::string(kCampaignColumns) + " FROM campaigns", "",
                                       {}, page, ReadCampaign);
  }

  Result<Campaign> Update(const Campaign& campaign) override {
    TROUPE_RETURN_IF_ERROR(ValidateCampaign(campaign));
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query("UPDATE campaigns SET name = $2, brief = $3, status = $4, quiet_start_hour = $5, "
                          "quiet_end_hour = $6, daily_cap = $7, draft_job_id = $8, updated_at = $9 WHERE id = $1 "
                          "RETURNING " + std::string(kCampaignColumns),
                          {campaign.id, campaign.name, campaign.brief, std::string(ToString(campaign.status)),
                           QuietStart(campaign), QuietEnd(campaign), int64_t{campaign.daily_cap},
                           sql::Nullable(campaign.draft_job_id), context_.Now()}));
    if (rows.empty()) return NotFound("campaign " + std::to_string(campaign.id) + " not found");
    return ReadCampaign(rows.front());
  }

  Result<std::vector<Campaign>> ListByStatus(CampaignStatus status, int limit) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows,
                            connection->Query("SELECT " + std::string(kCampaignColumns) +
                                                  " FROM campaigns WHERE status = $1 ORDER BY id LIMIT $2",
                                              {std::string(ToString(status)), int64_t{limit}}));
    std::vector<Campaign> campaigns;
    for (const sql::Row& row : rows) campaigns.push_back(ReadCampaign(row));
    return campaigns;
  }

  Result<Page<User>> SegmentMembers(std::string_view segment, const PageRequest& page) override {
    return PageByAscendingId<User>(context_, "SELECT " + std::string(kUserColumns) + " FROM users", "segment = $1",
                                   {std::string(segment)}, page, ReadUser);
  }

  Result<int64_t> CountSegmentMembers(std::string_view segment) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows, connection->Query("SELECT COUNT(*) FROM users WHERE segment = $1",
                                                              {std::string(segment)}));
    return rows.at(0).Int(0);
  }

  Result<CampaignMessage> AddDraft(int64_t campaign_id, int64_t user_id, std::string text) override {
    CampaignMessage message;
    message.campaign_id = campaign_id;
    message.user_id = user_id;
    message.text = std::move(text);
    message.created_at = message.updated_at = context_.Now();
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    Result<sql::Rows> rows = connection->Query(
        "INSERT INTO campaign_messages (campaign_id, user_id, text, status, created_at, updated_at) "
        "VALUES ($1, $2, $3, 'drafted', $4, $5) RETURNING id",
        {campaign_id, user_id, message.text, message.created_at, message.updated_at});
    if (!rows.ok()) {
      if (rows.status().code() != StatusCode::kConflict) return rows.status();
      return FieldError(StatusCode::kConflict, "user " + std::to_string(user_id) + " already has a message in campaign " +
                                                   std::to_string(campaign_id),
                        "user_id");
    }
    message.id = rows->at(0).Int(0);
    return message;
  }

  Result<CampaignMessage> GetMessage(int64_t campaign_id, int64_t message_id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows,
                            connection->Query("SELECT " + std::string(kCampaignMessageColumns) +
                                                  " FROM campaign_messages WHERE id = $1 AND campaign_id = $2",
                                              {message_id, campaign_id}));
    if (rows.empty()) {
      return FieldError(StatusCode::kNotFound,
                        "message " + std::to_string(message_id) + " not found in campaign " +
                            std::to_string(campaign_id),
                        "message_id");
    }
    return ReadCampaignMessage(rows.front());
  }

  Result<std::optional<CampaignMessage>> FindMessage(int64_t campaign_id, int64_t user_id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows,
                            connection->Query("SELECT " + std::string(kCampaignMessageColumns) +
                                                  " FROM campaign_messages WHERE campaign_id = $1 AND user_id = $2",
                                              {campaign_id, user_id}));
    if (rows.empty()) return std::optional<CampaignMessage>();
    return std::optional<CampaignMessage>(ReadCampaignMessage(rows.front()));
  }

  Result<Page<CampaignMessage>> ListMessages(int64_t campaign_id, const CampaignMessageQuery& query) override {
    std::vector<sql::Value> params = {campaign_id};
    std::string filter = "campaign_id = $1";
    if (query.status) filter += " AND status = " + Bind(params, std::string(ToString(*query.status)));
    return PageByAscendingId<CampaignMessage>(
        context_, "SELECT " + std::string(kCampaignMessageColumns) + " FROM campaign_messages", filter,
        std::move(params), query.page, ReadCampaignMessage);
  }

  Result<CampaignMessage> UpdateMessage(const CampaignMessage& message) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query("UPDATE campaign_messages SET text = $3, status = $4, reason = $5, conversation_id = $6, "
                          "message_id = $7, due_at = $8, delivered_at = $9, outcome = $10, updated_at = $11 "
                          "WHERE id = $1 AND campaign_id = $2 RETURNING " + std::string(kCampaignMessageColumns),
                          {message.id, message.campaign_id, message.text, std::string(ToString(message.status)),
                           message.reason, sql::Nullable(message.conversation_id), sql::Nullable(message.message_id),
                           sql::Nullable(message.due_at), sql::Nullable(message.delivered_at), message.outcome,
                           context_.Now()}));
    if (rows.empty()) {
      return FieldError(StatusCode::kNotFound,
                        "message " + std::to_string(message.id) + " not found in campaign " +
                            std::to_string(message.campaign_id),
                        "message_id");
    }
    return ReadCampaignMessage(rows.front());
  }

  Result<int64_t> ApproveAllDrafted(int64_t campaign_id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    return connection->Exec("UPDATE campaign_messages SET status = 'approved', updated_at = $2 "
                            "WHERE campaign_id = $1 AND status = 'drafted'",
                            {campaign_id, context_.Now()});
  }

  Result<std::vector<CampaignMessage>> DueMessages(int64_t campaign_id, int64_t now, int limit) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query("SELECT " + std::string(kCampaignMessageColumns) +
                              " FROM campaign_messages WHERE campaign_id = $1 AND status = 'approved' "
                              "AND (due_at IS NULL OR due_at <= $2) ORDER BY id LIMIT $3",
                          {campaign_id, now, int64_t{limit}}));
    std::vector<CampaignMessage> messages;
    for (const sql::Row& row : rows) messages.push_back(ReadCampaignMessage(row));
    return messages;
  }

  Result<int64_t> CountByStatus(int64_t campaign_id, CampaignMessageStatus status) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows,
                            connection->Query("SELECT COUNT(*) FROM campaign_messages WHERE campaign_id = $1 "
                                              "AND status = $2",
                                              {campaign_id, std::string(ToString(status))}));
    return rows.at(0).Int(0);
  }

  Result<int64_t> DeliveredToUserSince(int64_t user_id, int64_t since) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows,
                            connection->Query("SELECT COUNT(*) FROM campaign_messages WHERE user_id = $1 "
                                              "AND delivered_at >= $2",
                                              {user_id, since}));
    return rows.at(0).Int(0);
  }

  Result<int64_t> RecordReplies(int64_t campaign_id) override { return RecordCampaignReplies(context_, campaign_id); }

  Result<CampaignStats> Stats(int64_t campaign_id) override { return ReadCampaignStats(context_, campaign_id); }

  Result<std::vector<CampaignDailyReplies>> RepliesPerDay(int64_t since, int64_t until) override {
    return ReadCampaignRepliesPerDay(context_, since, until);
  }

 private:
  Context context_;
};

}  // namespace

std::unique_ptr<CampaignRepository> NewCampaignRepository(const Context& context) {
  return std::make_unique<Campaigns>(context);
}

}  // namespace troupe::store::repo
