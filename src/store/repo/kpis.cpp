// The KPI rows of a period: three plain SELECTs over one snapshot, JSON fields read through the
// dialect so SQLite (TEXT) and PostgreSQL (JSONB) answer alike.
#include "store/kpi_repository.h"
#include "store/repo/repositories.h"

namespace troupe::store::repo {
namespace {

constexpr std::string_view kOfPeriodConversations =
    "conversation_id IN (SELECT id FROM conversations WHERE created_at >= $1 AND created_at < $2)";

class Kpis final : public KpiRepository {
 public:
  explicit Kpis(const Context& context) : context_(context) {}

  Result<KpiRows> Rows(int64_t from_ms, int64_t to_ms) override {
    if (to_ms <= from_ms) return InvalidArgument("the period must end after it starts", "to");
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kRead));
    if (std::string_view snapshot = context_.dialect->SnapshotReadStatement(); !snapshot.empty()) {
      TROUPE_RETURN_IF_ERROR(connection->ExecScript(snapshot));
    }
    KpiRows rows;
    rows.from_ms = from_ms;
    rows.to_ms = to_ms;
    TROUPE_RETURN_IF_ERROR(ReadConversations(*connection, rows));
    TROUPE_RETURN_IF_ERROR(ReadMessages(*connection, rows));
    TROUPE_RETURN_IF_ERROR(ReadCsat(*connection, rows));
    TROUPE_ASSIGN_OR_RETURN(rows.campaign_sends, CampaignSends(*connection, from_ms, to_ms));
    TROUPE_RETURN_IF_ERROR(transaction.Commit());
    return rows;
  }

 private:
  Status ReadConversations(sql::Connection& connection, KpiRows& rows) const {
    const std::string statement = "SELECT id, character_id, status, created_at, " +
                                  context_.dialect->JsonFieldText("metadata_json", {"handoff", "at"}) +
                                  " FROM conversations WHERE created_at >= $1 AND created_at < $2 ORDER BY id";
    TROUPE_ASSIGN_OR_RETURN(sql::Rows found, connection.Query(statement, {rows.from_ms, rows.to_ms}));
    for (const sql::Row& row : found) {
      KpiConversationRow conversation;
      conversation.id = row.Int(0);
      conversation.character_id = row.Int(1);
      conversation.status = ParseConversationStatus(row.Text(2)).value_or(ConversationStatus::kActive);
      conversation.created_at = row.Int(3);
      // A handoff without a readable time still happened: count it at the conversation's start.
      if (!row.IsNull(4)) conversation.handoff_at = ParseMillis(row.Text(4)).value_or(conversation.created_at);
      rows.conversations.push_back(conversation);
    }
    return Status::Ok();
  }

  Status ReadMessages(sql::Connection& connection, KpiRows& rows) const {
    const sql::Dialect& d = *context_.dialect;
    const std::string statement =
        "SELECT conversation_id, id, role, created_at, " + d.JsonFieldText("metadata_json", {"routing", "intent"}) +
        ", " + d.JsonFieldText("metadata_json", {"routing", "review", "intent"}) +
        " FROM messages WHERE role IN ('user', 'assistant', 'agent') AND " + std::string(kOfPeriodConversations) +
        " ORDER BY conversation_id, created_at, id";
    TROUPE_ASSIGN_OR_RETURN(sql::Rows found, connection.Query(statement, {rows.from_ms, rows.to_ms}));
    rows.messages.reserve(found.size());
    for (const sql::Row& row : found) {
      KpiMessageRow message;
      message.conversation_id = row.Int(0);
      message.id = row.Int(1);
      message.role = ParseMessageRole(row.Text(2)).value_or(MessageRole::kUser);
      message.created_at = row.Int(3);
      message.routed_intent = row.Text(4);
      message.reviewed_intent = row.Text(5);
      rows.messages.push_back(std::move(message));
    }
    return Status::Ok();
  }

  Status ReadCsat(sql::Connection& connection, KpiRows& rows) const {
    const std::string statement = "SELECT conversation_id, rating, created_at FROM feedback_events WHERE kind = 'csat' "
                                  "AND rating IS NOT NULL AND " + std::string(kOfPeriodConversations) +
                                  " ORDER BY conversation_id, id";
    TROUPE_ASSIGN_OR_RETURN(sql::Rows found, connection.Query(statement, {rows.from_ms, rows.to_ms}));
    for (const sql::Row& row : found) {
      rows.csat.push_back({row.Int(0), static_cast<int>(row.Int(1)), row.Int(2)});
    }
    return Status::Ok();
  }

  // Campaign messages delivered in the period (by delivery, not by the conversation's start: a
  // campaign often writes into an old conversation) and whether the end user answered each: read
  // from the messages, since campaign_messages.replied_at is only written when stats are read.
  Result<std::vector<KpiCampaignSendRow>> CampaignSends(sql::Connection& connection, int64_t from_ms,
                                                        int64_t to_ms) const {
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows found,
        connection.Query("SELECT m.conversation_id, c.character_id, m.delivered_at, "
                         "CASE WHEN m.replied_at IS NOT NULL OR EXISTS (SELECT 1 FROM messages u WHERE "
                         "u.conversation_id = m.conversation_id AND u.role = 'user' AND u.created_at > "
                         "m.delivered_at) THEN 1 ELSE 0 END FROM campaign_messages m "
                         "JOIN conversations c ON c.id = m.conversation_id "
                         "WHERE m.delivered_at >= $1 AND m.delivered_at < $2 ORDER BY m.id",
                         {from_ms, to_ms}));
    std::vector<KpiCampaignSendRow> sends;
    sends.reserve(found.size());
    for (const sql::Row& row : found) sends.push_back({row.Int(0), row.Int(1), row.Int(2), row.Int(3) != 0});
    return sends;
  }

  static std::optional<int64_t> ParseMillis(const std::string& text) {
    int64_t value = 0;
    size_t used = 0;
    try {
      value = std::stoll(text, &used);
    } catch (const std::exception&) {
      return std::nullopt;
    }
    if (used != text.size()) return std::nullopt;
    return value;
  }

  Context context_;
};

}  // namespace

std::unique_ptr<KpiRepository> NewKpiRepository(const Context& context) { return std::make_unique<Kpis>(context); }

}  // namespace troupe::store::repo
