// Outcome models and per-conversation predictions (prediction_repository.h).
#include "store/repo/repositories.h"

namespace troupe::store::repo {
namespace {

constexpr std::string_view kModelSummaryColumns =
    "id, outcome, first_messages, return_days, features, examples, report_json, created_at";

OutcomeModelRecord ReadModelSummary(const sql::Row& row) {
  sql::RowReader read(row);
  OutcomeModelRecord model;
  model.id = read.Int();
  model.outcome = read.Text();
  model.first_messages = read.Int();
  model.return_days = read.Int();
  model.features = read.Int();
  model.examples = read.Int();
  model.report_json = read.Text();
  model.created_at = read.Int();
  return model;
}

OutcomeModelRecord ReadModel(const sql::Row& row) {
  OutcomeModelRecord model = ReadModelSummary(row);
  model.model_json = row.Text(8);
  return model;
}

class Predictions final : public PredictionRepository {
 public:
  explicit Predictions(const Context& context) : context_(context) {}

  Result<OutcomeModelRecord> SaveModel(OutcomeModelRecord model) override {
    if (model.outcome.empty()) return InvalidArgument("a model needs its outcome", "outcome");
    if (model.model_json.empty()) return InvalidArgument("a model needs its trees", "model_json");
    TROUPE_RETURN_IF_ERROR(ValidateJson(model.report_json, "report_json", false, JsonShape::kObject));
    model.created_at = context_.Now();
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query("INSERT INTO outcome_models (outcome, first_messages, return_days, features, examples, "
                          "model_json, report_json, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                          {model.outcome, model.first_messages, model.return_days, model.features, model.examples,
                           model.model_json, model.report_json, model.created_at}));
    model.id = rows.at(0).Int(0);
    return model;
  }

  Result<OutcomeModelRecord> GetModel(int64_t id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows, connection->Query("SELECT " + std::string(kModelSummaryColumns) +
                                                                  ", model_json FROM outcome_models WHERE id = $1",
                                                              {id}));
    if (rows.empty()) {
      return FieldError(StatusCode::kNotFound, "outcome model " + std::to_string(id) + " not found", "id");
    }
    return ReadModel(rows.front());
  }

  Result<std::optional<OutcomeModelRecord>> LatestModel(const std::string& outcome) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows,
                            connection->Query("SELECT " + std::string(kModelSummaryColumns) +
                                                  ", model_json FROM outcome_models WHERE outcome = $1 "
                                                  "ORDER BY id DESC LIMIT 1",
                                              {outcome}));
    if (rows.empty()) return std::optional<OutcomeModelRecord>();
    return std::optional<OutcomeModelRecord>(ReadModel(rows.front()));
  }

  Result<Page<OutcomeModelRecord>> ListModels(std::optional<std::string> outcome, const PageRequest& page) override {
    const int limit = PageLimit(page);
    std::vector<sql::Value> params;
    std::string statement = "SELECT " + std::string(kModelSummaryColumns) + " FROM outcome_models WHERE 1 = 1";
    if (outcome) statement += " AND outcome = " + Bind(params, *outcome);
    if (!page.cursor.empty()) {
      TROUPE_ASSIGN_OR_RETURN(std::vector<int64_t> keys, DecodeCursor(page.cursor, 1));
      statement += " AND id < " + Bind(params, keys[0]);
    }
    statement += " ORDER BY id DESC LIMIT " + Bind(params, int64_t{limit + 1});
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows, connection->Query(statement, params));
    std::vector<OutcomeModelRecord> models;
    for (const sql::Row& row : rows) models.push_back(ReadModelSummary(row));
    return MakePage(std::move(models), limit, [](const OutcomeModelRecord& m) { return std::vector<int64_t>{m.id}; });
  }

  Status Put(const OutcomePrediction& prediction) override {
    if (!(prediction.probability >= 0 && prediction.probability <= 1)) {
      return InvalidArgument("a probability is from 0 to 1", "probability");
    }
    const int64_t now = context_.Now();
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
    TROUPE_ASSIGN_OR_RETURN(sql::Rows conversation, connection->Query("SELECT 1 FROM conversations WHERE id = $1",
                                                                      {prediction.conversation_id}));
    if (conversation.empty()) {
      return FieldError(StatusCode::kNotFound, "conversation " + std::to_string(prediction.conversation_id) + " not found",
                        "conversation_id");
    }
    TROUPE_ASSIGN_OR_RETURN(sql::Rows model,
                            connection->Query("SELECT 1 FROM outcome_models WHERE id = $1", {prediction.model_id}));
    if (model.empty()) {
      return FieldError(StatusCode::kNotFound, "outcome model " + std::to_string(prediction.model_id) + " not found",
                        "model_id");
    }
    TROUPE_RETURN_IF_ERROR(
        connection
            ->Exec("INSERT INTO outcome_predictions (conversation_id, outcome, model_id, probability, messages_seen, "
                   "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) "
                   "ON CONFLICT (conversation_id, outcome) DO UPDATE SET model_id = excluded.model_id, "
                   "probability = excluded.probability, messages_seen = excluded.messages_seen, "
                   "updated_at = excluded.updated_at",
                   {prediction.conversation_id, prediction.outcome, prediction.model_id, prediction.probability,
                    prediction.messages_seen, now})
            .status());
    return transaction.Commit();
  }

  Result<std::vector<OutcomePrediction>> ForConversation(int64_t conversation_id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows,
                            connection->Query("SELECT conversation_id, outcome, model_id, probability, messages_seen, "
                                              "created_at, updated_at FROM outcome_predictions "
                                              "WHERE conversation_id = $1 ORDER BY outcome",
                                              {conversation_id}));
    std::vector<OutcomePrediction> predictions;
    for (const sql::Row& row : rows) {
      sql::RowReader read(row);
      OutcomePrediction prediction;
      prediction.conversation_id = read.Int();
      prediction.outcome = read.Text();
      prediction.model_id = read.Int();
      prediction.probability = read.Double();
      prediction.messages_seen = read.Int();
      prediction.created_at = read.Int();
      prediction.updated_at = read.Int();
      predictions.push_back(std::move(prediction));
    }
    return predictions;
  }

 private:
  Context context_;
};

}  // namespace

std::unique_ptr<PredictionRepository> NewPredictionRepository(const Context& context) {
  return std::make_unique<Predictions>(context);
}

}  // namespace troupe::store::repo
