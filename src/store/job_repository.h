// The jobs table: durable background work claimed by workers.
// Thread-safe; failures are Status values as store.h says for every repository.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/page.h"
#include "store/records.h"

namespace troupe::store {

struct NewJob {
  std::string kind;
  std::string payload_json = "{}";
  int max_attempts = 3;
  int priority = 0;
  int64_t run_after = 0;  // 0 = now
};

struct JobQuery {
  std::optional<JobStatus> status;
  std::string kind;  // "" = any
  PageRequest page;  // newest first
};

class JobRepository {
 public:
  virtual ~JobRepository() = default;
  virtual Result<Job> Enqueue(const NewJob& job) = 0;
  virtual Result<Job> Get(int64_t id) = 0;
  virtual Result<Page<Job>> List(const JobQuery& query) = 0;
  // Atomically takes the highest-priority, oldest queued job whose run_after has passed (of one
  // of `kinds`, or any when empty), marks it running for `worker_id` and counts an attempt.
  // Never hands one job to two workers, across threads, processes or nodes (PostgreSQL uses
  // FOR UPDATE SKIP LOCKED). nullopt when nothing is ready.
  virtual Result<std::optional<Job>> Claim(std::string_view worker_id,
                                           const std::vector<std::string>& kinds) = 0;
  // Records progress (clamped to 0..1) and a heartbeat. Returns whether a cancel was requested.
  // kConflict if the job is no longer running for this worker (its lease expired).
  virtual Result<bool> ReportProgress(int64_t id, std::string_view worker_id, double progress) = 0;
  // Saves what the handler has done so far (JSON, or "" for nothing) as the job's checkpoint_json,
  // which the next attempt's claim hands back, and records a heartbeat. Returns whether a cancel
  // was requested; kConflict as ReportProgress; kInvalidArgument for text that is not JSON.
  virtual Result<bool> SaveCheckpoint(int64_t id, std::string_view worker_id, std::string_view checkpoint_json) = 0;
  // Puts a job this worker runs back in the queue, runnable at once, without counting the attempt
  // (the process is stopping: nothing went wrong with the job). Its checkpoint stays.
  virtual Status Requeue(int64_t id, std::string_view worker_id) = 0;
  virtual Status Complete(int64_t id, std::string_view worker_id, std::string_view result_json) = 0;
  // Requeues with run_after = now + retry_delay_ms while attempts remain and `retryable` (another
  // attempt could succeed), else marks failed.
  virtual Status Fail(int64_t id, std::string_view worker_id, std::string_view error, int64_t retry_delay_ms,
                      bool retryable) = 0;
  // A queued job becomes cancelled; a running one gets cancel_requested (its worker stops at its
  // next progress report and calls MarkCancelled). Finished jobs: kFailedPrecondition.
  virtual Result<Job> Cancel(int64_t id) = 0;
  virtual Status MarkCancelled(int64_t id, std::string_view worker_id) = 0;
  // Running jobs whose heartbeat is older than now - lease_ms go back to the queue (or fail when
  // out of attempts). Returns how many were released.
  virtual Result<int> ReleaseExpired(int64_t lease_ms) = 0;
};

}  // namespace troupe::store
