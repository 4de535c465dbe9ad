// Evaluation runs: scores as columns, the report as JSON (eval_run_repository.h).
#include "store/repo/repositories.h"

namespace troupe::store::repo {
namespace {

constexpr std::string_view kEvalRunSummaryColumns =
    "id, character_id, dataset, dataset_fingerprint, provider, cases, bleu, chrf, rouge_l, perplexity, created_at";

EvalRunRecord ReadEvalRunSummary(const sql::Row& row) {
  sql::RowReader read(row);
  EvalRunRecord run;
  run.id = read.Int();
  run.character_id = read.Int();
  run.dataset = read.Text();
  run.dataset_fingerprint = read.Text();
  run.provider = read.Text();
  run.cases = read.Int();
  run.bleu = read.Double();
  run.chrf = read.Double();
  run.rouge_l = read.Double();
  run.perplexity = read.OptionalDouble();
  run.created_at = read.Int();
  return run;
}

class EvalRuns final : public EvalRunRepository {
 public:
  explicit EvalRuns(const Context& context) : context_(context) {}

  Result<EvalRunRecord> Create(EvalRunRecord run) override {
    TROUPE_RETURN_IF_ERROR(ValidateJson(run.report_json, "report_json", false, JsonShape::kObject));
    run.created_at = context_.Now();
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
    TROUPE_ASSIGN_OR_RETURN(sql::Rows character,
                            connection->Query("SELECT 1 FROM characters WHERE id = $1", {run.character_id}));
    if (character.empty()) {
      return FieldError(StatusCode::kNotFound, "character " + std::to_string(run.character_id) + " not found",
                        "character_id");
    }
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query("INSERT INTO eval_runs (character_id, dataset, dataset_fingerprint, provider, cases, bleu, "
                          "chrf, rouge_l, perplexity, report_json, created_at) "
                          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                          {run.character_id, run.dataset, run.dataset_fingerprint, run.provider, run.cases, run.bleu,
                           run.chrf, run.rouge_l, sql::Nullable(run.perplexity), run.report_json, run.created_at}));
    run.id = rows.at(0).Int(0);
    TROUPE_RETURN_IF_ERROR(transaction.Commit());
    return run;
  }

  Result<EvalRunRecord> Get(int64_t id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows,
                            connection->Query("SELECT " + std::string(kEvalRunSummaryColumns) +
                                                  ", report_json FROM eval_runs WHERE id = $1",
                                              {id}));
    if (rows.empty()) return FieldError(StatusCode::kNotFound, "evaluation run " + std::to_string(id) + " not found", "id");
    EvalRunRecord run = ReadEvalRunSummary(rows.front());
    run.report_json = rows.front().Text(11);
    return run;
  }

  Result<Page<EvalRunRecord>> ListForCharacter(int64_t character_id, const PageRequest& page) override {
    return PageByAscendingId<EvalRunRecord>(context_, "SELECT " + std::string(kEvalRunSummaryColumns) + " FROM eval_runs",
                                            "character_id = $1", {character_id}, page, ReadEvalRunSummary);
  }

 private:
  Context context_;
};

}  // namespace

std::unique_ptr<EvalRunRepository> NewEvalRunRepository(const Context& context) {
  return std::make_unique<EvalRuns>(context);
}

}  // namespace troupe::store::repo
