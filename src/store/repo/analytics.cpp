// The dashboards' sums and counts: a few GROUP BY queries over one snapshot. Days are
// created_at / 86,400,000 (integer division in both databases), so no date functions are needed.
#include <map>

#include "store/analytics_repository.h"
#include "store/repo/repositories.h"

namespace troupe::store::repo {
namespace {

constexpr int64_t kAnalyticsMillisPerDay = 86'400'000;

class Analytics final : public AnalyticsRepository {
 public:
  explicit Analytics(const Context& context) : context_(context) {}

  Result<AnalyticsOverview> Overview(int64_t from_ms, int64_t to_ms, std::optional<int64_t> character_id) override {
    if (to_ms <= from_ms) return InvalidArgument("the period must end after it starts", "to");
    if (from_ms % kAnalyticsMillisPerDay != 0 || to_ms % kAnalyticsMillisPerDay != 0) {
      return InvalidArgument("the period must start and end at midnight UTC", "to");
    }
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kRead));
    if (std::string_view snapshot = context_.dialect->SnapshotReadStatement(); !snapshot.empty()) {
      TROUPE_RETURN_IF_ERROR(connection->ExecScript(snapshot));
    }
    AnalyticsOverview overview;
    overview.from_ms = from_ms;
    overview.to_ms = to_ms;
    for (int64_t day = from_ms; day < to_ms; day += kAnalyticsMillisPerDay) overview.days.push_back({.start_ms = day});
    const Scope scope{from_ms, to_ms, character_id};
    TROUPE_RETURN_IF_ERROR(ReadDailyConversations(*connection, scope, overview));
    TROUPE_RETURN_IF_ERROR(ReadDailyMessages(*connection, scope, overview));
    TROUPE_RETURN_IF_ERROR(ReadDailyFeedback(*connection, scope, overview));
    TROUPE_RETURN_IF_ERROR(ReadDailyComments(*connection, scope, overview));
    if (character_id) TROUPE_RETURN_IF_ERROR(ReadStages(*connection, scope, overview));
    TROUPE_RETURN_IF_ERROR(transaction.Commit());
    return overview;
  }

 private:
  struct Scope {
    int64_t from_ms;
    int64_t to_ms;
    std::optional<int64_t> character_id;

    // $1, $2 and, for one character, $3.
    std::vector<sql::Value> Parameters() const {
      std::vector<sql::Value> parameters = {from_ms, to_ms};
      if (character_id) parameters.emplace_back(*character_id);
      return parameters;
    }
    // Restricts rows of `alias` (with a created_at and a conversation_id) to the period and character.
    std::string Where(std::string_view alias) const {
      std::string where = " WHERE " + std::string(alias) + ".created_at >= $1 AND " + std::string(alias) +
                          ".created_at < $2";
      if (character_id) {
        where += " AND " + std::string(alias) +
                 ".conversation_id IN (SELECT id FROM conversations WHERE character_id = $3)";
      }
      return where;
    }
  };

  static AnalyticsDay* DayOf(AnalyticsOverview& overview, int64_t day_number) {
    const int64_t index = day_number - overview.from_ms / kAnalyticsMillisPerDay;
    if (index < 0 || index >= static_cast<int64_t>(overview.days.size())) return nullptr;
    return &overview.days[static_cast<size_t>(index)];
  }

  Status ReadDailyConversations(sql::Connection& connection, const Scope& scope, AnalyticsOverview& overview) const {
    std::string statement =
        "SELECT created_at / 86400000, COUNT(*) FROM conversations WHERE created_at >= $1 AND created_at < $2";
    if (scope.character_id) statement += " AND character_id = $3";
    statement += " GROUP BY created_at / 86400000";
    TROUPE_ASSIGN_OR_RETURN(sql::Rows found, connection.Query(statement, scope.Parameters()));
    for (const sql::Row& row : found) {
      if (AnalyticsDay* day = DayOf(overview, row.Int(0))) day->conversations = row.Int(1);
    }
    return Status::Ok();
  }

  Status ReadDailyMessages(sql::Connection& connection, const Scope& scope, AnalyticsOverview& overview) const {
    const std::string statement =
        "SELECT m.created_at / 86400000, m.role, COUNT(*), COUNT(m.sentiment), SUM(m.sentiment) FROM messages m" +
        scope.Where("m") + " AND m.role IN ('user', 'assistant') GROUP BY m.created_at / 86400000, m.role";
    TROUPE_ASSIGN_OR_RETURN(sql::Rows found, connection.Query(statement, scope.Parameters()));
    for (const sql::Row& row : found) {
      AnalyticsDay* day = DayOf(overview, row.Int(0));
      if (day == nullptr) continue;
      if (row.Text(1) == "assistant") {
        day->assistant_messages = row.Int(2);
        continue;
      }
      day->user_messages = row.Int(2);
      day->sentiment_count = row.Int(3);
      day->sentiment_sum = row.OptionalDouble(4).value_or(0.0);
    }
    return Status::Ok();
  }

  Status ReadDailyFeedback(sql::Connection& connection, const Scope& scope, AnalyticsOverview& overview) const {
    const std::string statement = "SELECT f.created_at / 86400000, f.kind, f.rating, COUNT(*) FROM feedback_events f" +
                                  scope.Where("f") +
                                  " AND f.kind IN ('rating', 'csat') AND f.rating IS NOT NULL "
                                  "GROUP BY f.created_at / 86400000, f.kind, f.rating";
    TROUPE_ASSIGN_OR_RETURN(sql::Rows found, connection.Query(statement, scope.Parameters()));
    for (const sql::Row& row : found) {
      AnalyticsDay* day = DayOf(overview, row.Int(0));
      if (day == nullptr) continue;
      const int64_t rating = row.Int(2);
      const int64_t count = row.Int(3);
      if (row.Text(1) == "csat") {
        day->csat_count += count;
        day->csat_sum += static_cast<double>(rating * count);
      } else if (rating > 0) {
        day->thumbs_up += count;
      } else if (rating < 0) {
        day->thumbs_down += count;
      }
    }
    return Status::Ok();
  }

  // Comments whatever the event's kind: a rating or a csat may carry one too.
  Status ReadDailyComments(sql::Connection& connection, const Scope& scope, AnalyticsOverview& overview) const {
    const std::string statement =
        "SELECT f.created_at / 86400000, COUNT(*), COUNT(f.sentiment), SUM(f.sentiment) FROM feedback_events f" +
        scope.Where("f") + " AND f.comment <> '' GROUP BY f.created_at / 86400000";
    TROUPE_ASSIGN_OR_RETURN(sql::Rows found, connection.Query(statement, scope.Parameters()));
    for (const sql::Row& row : found) {
      AnalyticsDay* day = DayOf(overview, row.Int(0));
      if (day == nullptr) continue;
      day->comments = row.Int(1);
      day->comment_sentiment_count = row.Int(2);
      day->comment_sentiment_sum = row.OptionalDouble(3).value_or(0.0);
    }
    return Status::Ok();
  }

  Status ReadStages(sql::Connection& connection, const Scope& scope, AnalyticsOverview& overview) const {
    std::map<std::string, AnalyticsStage> stages;
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows at_stage,
        connection.Query("SELECT stage, COUNT(*) FROM conversations WHERE created_at >= $1 AND created_at < $2 "
                         "AND character_id = $3 GROUP BY stage",
                         scope.Parameters()));
    for (const sql::Row& row : at_stage) stages[row.Text(0)].conversations = row.Int(1);
    TROUPE_ASSIGN_OR_RETURN(sql::Rows sentiment,
                            connection.Query("SELECT m.stage, COUNT(m.sentiment), SUM(m.sentiment) FROM messages m" +
                                                 scope.Where("m") + " AND m.role = 'user' GROUP BY m.stage",
                                             scope.Parameters()));
    for (const sql::Row& row : sentiment) {
      if (row.Int(1) == 0) continue;
      AnalyticsStage& stage = stages[row.Text(0)];
      stage.sentiment_count = row.Int(1);
      stage.sentiment_sum = row.OptionalDouble(2).value_or(0.0);
    }
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows ratings,
        connection.Query("SELECT m.stage, COUNT(*), SUM(f.rating) FROM feedback_events f "
                         "JOIN messages m ON m.id = f.message_id" + scope.Where("f") +
                             " AND f.kind = 'rating' AND f.rating IS NOT NULL GROUP BY m.stage",
                         scope.Parameters()));
    for (const sql::Row& row : ratings) {
      AnalyticsStage& stage = stages[row.Text(0)];
      stage.rating_count = row.Int(1);
      stage.rating_sum = row.OptionalDouble(2).value_or(0.0);
    }
    TROUPE_RETURN_IF_ERROR(ReadStageSwipes(connection, scope, stages));
    for (auto& [name, stage] : stages) {
      stage.name = name;
      overview.stages.push_back(std::move(stage));
    }
    return Status::Ok();
  }

  // The character's replies written at each stage in the period, those the user regenerated (the
  // runtime keeps the chosen alternative's index in metadata.swipe), and those whose user went
  // back to the first alternative.
  Status ReadStageSwipes(sql::Connection& connection, const Scope& scope,
                         std::map<std::string, AnalyticsStage>& stages) const {
    const std::string swipe = context_.dialect->JsonFieldText("m.metadata_json", {"swipe"});
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows replies,
        connection.Query("SELECT m.stage, COUNT(*), COUNT(" + swipe + "), SUM(CASE WHEN " + swipe +
                             " = '0' THEN 1 ELSE 0 END) FROM messages m" + scope.Where("m") +
                             " AND m.role = 'assistant' GROUP BY m.stage",
                         scope.Parameters()));
    for (const sql::Row& row : replies) {
      AnalyticsStage& stage = stages[row.Text(0)];
      stage.reply_count = row.Int(1);
      stage.regenerated_count = row.Int(2);
      stage.first_kept_count = row.OptionalInt(3).value_or(0);
    }
    return Status::Ok();
  }

  Context context_;
};

}  // namespace

std::unique_ptr<AnalyticsRepository> NewAnalyticsRepository(const Context& context) {
  return std::make_unique<Analytics>(context);
}

}  // namespace troupe::store::repo
