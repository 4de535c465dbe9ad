// Background work for `troupe serve`: worker threads claim jobs from the store's jobs table (so with
// PostgreSQL every node runs workers and no job runs twice: FOR UPDATE SKIP LOCKED), run the
// handler registered for the job's kind, and record its result, failure (retried with a delay
// while attempts remain) or cancellation. Running jobs report progress, which is also their
// heartbeat; jobs whose worker died are released after a lease. A handler may save a checkpoint
// (JSON) that the job's next attempt gets back in Job::checkpoint_json, so long work interrupted by
// a restart resumes where it was. Stopping the runner asks running handlers to stop at their next
// progress report and puts their jobs back in the queue. Periodic tasks (the proactive message
// scan) run on the same threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "store/store.h"

namespace troupe::server {

// What a job handler may do while it runs.
class JobContext {
 public:
  virtual ~JobContext() = default;
  // Records progress (0..1) and a heartbeat; false when the job was cancelled or lost its lease:
  // the handler should stop and return.
  virtual bool ReportProgress(double progress) = 0;
  // Saves `checkpoint_json` for the job's next attempt, with a heartbeat; false as ReportProgress.
  virtual bool SaveCheckpoint(const std::string& checkpoint_json) = 0;
};

struct JobRunnerOptions {
  int workers = 2;
  std::string worker_id;  // "" = host:pid
  int64_t poll_interval_ms = 1000;  // how often (on `clock`) idle workers look for jobs
  int64_t lease_ms = 5 * 60 * 1000;  // a running job without a heartbeat this long is released
  int64_t retry_delay_ms = 10'000;   // before a failed job's next attempt
  // nullptr: the system clock. Polls, periodic tasks, leases and retries all go by it, so a
  // ManualClock's Advance is what makes an idle worker look again.
  const Clock* clock = nullptr;
  // Called with the job as it now is whenever this runner changes it: claimed, progress reported,
  // succeeded, failed or requeued, cancelled (how `serve` publishes job.updated events). On the
  // worker's thread; must not throw.
  std::function<void(const store::Job& job)> on_change;
};

// "host:pid", the default worker id of a runner (each worker appends "/index").
std::string DefaultJobWorkerId();

class JobRunner {
 public:
  // The result becomes the job's result_json; an error fails the attempt (its message is kept).
  using Handler = std::function<Result<nlohmann::json>(const store::Job& job, JobContext& context)>;

  JobRunner(store::Store& store, JobRunnerOptions options);
  ~JobRunner();  // Stop()s
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // Before Start(): the handler of one job kind. Only registered kinds are claimed.
  void Register(std::string kind, Handler handler);
  // Before Start(): runs `task` every `interval_ms` on a worker (never twice at once).
  void AddPeriodic(std::string name, int64_t interval_ms, std::function<void()> task);

  void Start();
  // Claim now rather than at the next poll (call after enqueueing).
  void Wake();
  // Stops claiming, asks running handlers to stop (their next ReportProgress or SaveCheckpoint
  // returns false), puts their jobs back in the queue without spending an attempt, joins the
  // threads.
  void Stop();

  // Jobs finished by this runner since it started (for tests and metrics).
  int64_t completed() const;
  int64_t failed() const;

 private:
  struct State;
  std::shared_ptr<State> state_;  // shared with the clock's poll timers, which may outlive a Stop
};

}  // namespace troupe::server
