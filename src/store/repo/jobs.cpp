// The durable job queue: workers claim jobs with a lease kept alive by progress reports.
#include <algorithm>
#include <cmath>

#include "store/repo/repositories.h"

namespace troupe::store::repo {
namespace {

constexpr std::string_view kJobColumns =
    "id, kind, payload_json, status, progress, attempts, max_attempts, priority, result_json, error, run_after, "
    "locked_by, heartbeat_at, cancel_requested, created_at, updated_at, finished_at, checkpoint_json";

Job ReadJob(const sql::Row& row) {
  sql::RowReader read(row);
  Job job;
  job.id = read.Int();
  job.kind = read.Text();
  job.payload_json = read.Text();
  job.status = ParseJobStatus(read.Text()).value_or(JobStatus::kFailed);
  job.progress = read.Double();
  job.attempts = static_cast<int>(read.Int());
  job.max_attempts = static_cast<int>(read.Int());
  job.priority = static_cast<int>(read.Int());
  job.result_json = read.Text();
  job.error = read.Text();
  job.run_after = read.Int();
  job.locked_by = read.Text();
  job.heartbeat_at = read.Int();
  job.cancel_requested = read.Bool();
  job.created_at = read.Int();
  job.updated_at = read.Int();
  job.finished_at = read.OptionalInt();
  job.checkpoint_json = read.Text();
  return job;
}

std::string Returning() { return " RETURNING " + std::string(kJobColumns); }

class Jobs final : public JobRepository {
 public:
  explicit Jobs(const Context& context) : context_(context) {}

  Result<Job> Enqueue(const NewJob& job) override {
    if (job.kind.empty()) return InvalidArgument("kind must not be empty", "kind");
    TROUPE_RETURN_IF_ERROR(ValidateJson(job.payload_json, "payload_json"));
    if (job.max_attempts < 1) return InvalidArgument("max_attempts must be at least 1", "max_attempts");
    const int64_t now = context_.Now();
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query("INSERT INTO jobs (kind, payload_json, status, max_attempts, priority, run_after, "
                          "created_at, updated_at) VALUES ($1, $2, 'queued', $3, $4, $5, $6, $6)" + Returning(),
                          {job.kind, job.payload_json, int64_t{job.max_attempts}, int64_t{job.priority},
                           job.run_after == 0 ? now : job.run_after, now}));
    return ReadJob(rows.at(0));
  }

  Result<Job> Get(int64_t id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    return GetOn(*connection, id);
  }

  Result<Page<Job>> List(const JobQuery& query) override {
    const int limit = PageLimit(query.page);
    std::vector<sql::Value> params;
    std::string where = "TRUE";
    if (!query.page.cursor.empty()) {
      TROUPE_ASSIGN_OR_RETURN(std::vector<int64_t> keys, DecodeCursor(query.page.cursor, 1));
      where += " AND id < " + Bind(params, keys[0]);
    }
    if (query.status) where += " AND status = " + Bind(params, std::string(ToString(*query.status)));
    if (!query.kind.empty()) where += " AND kind = " + Bind(params, query.kind);
    const std::string limit_param = Bind(params, int64_t{limit + 1});
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows,
                            connection->Query("SELECT " + std::string(kJobColumns) + " FROM jobs WHERE " + where +
                                                  " ORDER BY id DESC LIMIT " + limit_param,
                                              params));
    std::vector<Job> jobs;
    for (const sql::Row& row : rows) jobs.push_back(ReadJob(row));
    return MakePage(std::move(jobs), limit, [](const Job& job) { return std::vector<int64_t>{job.id}; });
  }

  Result<std::optional<Job>> Claim(std::string_view worker_id, const std::vector<std::string>& kinds) override {
    if (worker_id.empty()) return InvalidArgument("worker_id must not be empty", "worker_id");
    std::vector<sql::Value> params{std::string(worker_id), context_.Now()};
    std::string kind_filter;
    if (!kinds.empty()) {
      kind_filter = " AND kind IN (";
      for (size_t i = 0; i < kinds.size(); ++i) kind_filter += (i > 0 ? ", " : "") + Bind(params, kinds[i]);
      kind_filter += ")";
    }
    // One statement picks and takes the job. PostgreSQL: the subquery locks the row and skips
    // rows other claimers hold. SQLite: BEGIN IMMEDIATE makes this the only writer.
    const std::string statement =
        "UPDATE jobs SET status = 'running', locked_by = $1, attempts = attempts + 1, heartbeat_at = $2, "
        "updated_at = $2, error = '' WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND run_after <= $2" +
        kind_filter + " ORDER BY priority DESC, run_after, id LIMIT 1" +
        std::string(context_.dialect->ClaimLockClause()) + ")" + Returning();
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows, connection->Query(statement, params));
    TROUPE_RETURN_IF_ERROR(transaction.Commit());
    if (rows.empty()) return std::optional<Job>();
    return std::optional<Job>(ReadJob(rows.front()));
  }

  Result<bool> ReportProgress(int64_t id, std::string_view worker_id, double progress) override {
    progress = std::isfinite(progress) ? std::clamp(progress, 0.0, 1.0) : 0.0;
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query("UPDATE jobs SET progress = $3, heartbeat_at = $4, updated_at = $4 "
                          "WHERE id = $1 AND status = 'running' AND locked_by = $2 RETURNING cancel_requested",
                          {id, std::string(worker_id), progress, context_.Now()}));
    if (rows.empty()) return NotRunningFor(*connection, id, worker_id);
    return rows.front().Bool(0);
  }

  Result<bool> SaveCheckpoint(int64_t id, std::string_view worker_id, std::string_view checkpoint_json) override {
    TROUPE_RETURN_IF_ERROR(ValidateJson(checkpoint_json, "checkpoint_json", /*allow_empty=*/true));
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query("UPDATE jobs SET checkpoint_json = $3, heartbeat_at = $4, updated_at = $4 "
                          "WHERE id = $1 AND status = 'running' AND locked_by = $2 RETURNING cancel_requested",
                          {id, std::string(worker_id), std::string(checkpoint_json), context_.Now()}));
    if (rows.empty()) return NotRunningFor(*connection, id, worker_id);
    return rows.front().Bool(0);
  }

  Status Requeue(int64_t id, std::string_view worker_id) override {
    return FinishRunning(id, worker_id,
                         "status = 'queued', locked_by = '', run_after = $3, "
                         "attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END",
                         {});
  }

  Status Complete(int64_t id, std::string_view worker_id, std::string_view result_json) override {
    TROUPE_RETURN_IF_ERROR(ValidateJson(result_json, "result_json", /*allow_empty=*/true));
    return FinishRunning(id, worker_id,
                         "status = 'succeeded', progress = 1, result_json = $4, finished_at = $3",
                         {sql::NullIfEmpty(std::string(result_json))});
  }

  Status Fail(int64_t id, std::string_view worker_id, std::string_view error, int64_t retry_delay_ms,
              bool retryable) override {
    const int64_t retry_at = context_.Now() + std::max<int64_t>(0, retry_delay_ms);
    // A job that may not retry counts as having used all its attempts.
    const int64_t added_attempts = retryable ? 0 : 1'000'000'000;
    return FinishRunning(id, worker_id,
                         "error = $4, locked_by = '', "
                         "status = CASE WHEN attempts + $6 < max_attempts THEN 'queued' ELSE 'failed' END, "
                         "run_after = CASE WHEN attempts + $6 < max_attempts THEN $5 ELSE run_after END, "
                         "finished_at = CASE WHEN attempts + $6 < max_attempts THEN NULL ELSE $3 END",
                         {std::string(error), retry_at, added_attempts});
  }

  Result<Job> Cancel(int64_t id) override {
    const int64_t now = context_.Now();
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query("UPDATE jobs SET status = 'cancelled', finished_at = $2, updated_at = $2 "
                          "WHERE id = $1 AND status = 'queued'" + Returning(),
                          {id, now}));
    if (rows.empty()) {
      TROUPE_ASSIGN_OR_RETURN(rows, connection->Query("UPDATE jobs SET cancel_requested = TRUE, updated_at = $2 "
                                                      "WHERE id = $1 AND status = 'running'" + Returning(),
                                                      {id, now}));
    }
    if (rows.empty()) {
      TROUPE_ASSIGN_OR_RETURN(Job job, GetOn(*connection, id));
      return FailedPrecondition("job " + std::to_string(id) + " already finished (" +
                                std::string(ToString(job.status)) + ")");
    }
    TROUPE_RETURN_IF_ERROR(transaction.Commit());
    return ReadJob(rows.front());
  }

  Status MarkCancelled(int64_t id, std::string_view worker_id) override {
    return FinishRunning(id, worker_id, "status = 'cancelled', finished_at = $3", {});
  }

  Result<int> ReleaseExpired(int64_t lease_ms) override {
    const int64_t now = context_.Now();
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(
        int64_t released,
        connection->Exec("UPDATE jobs SET "
                         "status = CASE WHEN cancel_requested THEN 'cancelled' "
                         "WHEN attempts < max_attempts THEN 'queued' ELSE 'failed' END, "
                         "finished_at = CASE WHEN cancel_requested OR attempts >= max_attempts THEN $1 "
                         "ELSE NULL END, "
                         "error = 'lease expired: worker ' || locked_by || ' stopped reporting', "
                         "locked_by = '', updated_at = $1 "
                         "WHERE status = 'running' AND heartbeat_at < $2",
                         {now, now - std::max<int64_t>(0, lease_ms)}));
    return static_cast<int>(released);
  }

 private:
  // Updates a job running for `worker_id` with `assignments`, which may use $3 (now) and $4...
  // (`extra`). kNotFound / kConflict when it is not running for that worker.
  Status FinishRunning(int64_t id, std::string_view worker_id, std::string_view assignments,
                       std::vector<sql::Value> extra) {
    std::vector<sql::Value> params{id, std::string(worker_id), context_.Now()};
    for (sql::Value& value : extra) params.push_back(std::move(value));
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(int64_t changed,
                            connection->Exec("UPDATE jobs SET " + std::string(assignments) +
                                                 ", updated_at = $3 WHERE id = $1 AND status = 'running' "
                                                 "AND locked_by = $2",
                                             params));
    if (changed == 0) return NotRunningFor(*connection, id, worker_id);
    return Status::Ok();
  }

  static Status NotRunningFor(sql::Connection& connection, int64_t id, std::string_view worker_id) {
    TROUPE_ASSIGN_OR_RETURN(Job job, GetOn(connection, id));
    return Conflict("job " + std::to_string(id) + " is not running for worker '" + std::string(worker_id) +
                    "' (it is " + std::string(ToString(job.status)) +
                    (job.locked_by.empty() ? "" : ", held by '" + job.locked_by + "'") + ")");
  }

  static Result<Job> GetOn(sql::Connection& connection, int64_t id) {
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows,
                            connection.Query("SELECT " + std::string(kJobColumns) + " FROM jobs WHERE id = $1", {id}));
    if (rows.empty()) return NotFound("job " + std::to_string(id) + " not found");
    return ReadJob(rows.front());
  }

  Context context_;
};

}  // namespace

std::unique_ptr<JobRepository> NewJobRepository(const Context& context) {
  return std::make_unique<Jobs>(context);
}

}  // namespace troupe::store::repo
