// The job queue, on both backends: ordering, leases, retries, cancellation, and claims racing
// across threads.
#include <algorithm>
#include <mutex>
#include <set>
#include <thread>

#include "store_test_fixture.h"

namespace troupe::store::testing {
namespace {

NewJob QueuedJob(const std::string& kind, int priority = 0, int64_t run_after = 0) {
  NewJob job;
  job.kind = kind;
  job.payload_json = R"({"n":1})";
  job.priority = priority;
  job.run_after = run_after;
  return job;
}

JobQuery Where(std::optional<JobStatus> status, std::string kind = "", PageRequest page = {}) {
  JobQuery query;
  query.status = status;
  query.kind = std::move(kind);
  query.page = std::move(page);
  return query;
}

TEST_P(StoreTest, ClaimTakesHighestPriorityThenOldestReadyJob) {
  JobRepository& jobs = store_->jobs();
  ASSERT_OK_AND_ASSIGN(auto low, jobs.Enqueue(QueuedJob("embed")));
  ASSERT_OK_AND_ASSIGN(auto high, jobs.Enqueue(QueuedJob("embed", 5)));
  ASSERT_OK_AND_ASSIGN(auto later, jobs.Enqueue(QueuedJob("embed", 9, clock_.NowMillis() + 60'000)));
  ASSERT_OK_AND_ASSIGN(auto other_kind, jobs.Enqueue(QueuedJob("summarise", 1)));
  ASSERT_OK_AND_ASSIGN(auto low2, jobs.Enqueue(QueuedJob("embed")));
  EXPECT_EQ(low.status, JobStatus::kQueued);
  EXPECT_EQ(low.run_after, clock_.NowMillis());

  ASSERT_OK_AND_ASSIGN(std::optional<store::Job> first, jobs.Claim("w1", {"embed"}));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->id, high.id);
  EXPECT_EQ(first->status, JobStatus::kRunning);
  EXPECT_EQ(first->locked_by, "w1");
  EXPECT_EQ(first->attempts, 1);
  ASSERT_OK_AND_ASSIGN(auto second, jobs.Claim("w1", {"embed"}));
  EXPECT_EQ(second->id, low.id);
  ASSERT_OK_AND_ASSIGN(auto third, jobs.Claim("w1", {"embed", "other"}));
  EXPECT_EQ(third->id, low2.id);
  ASSERT_OK_AND_ASSIGN(auto none, jobs.Claim("w1", {"embed"}));
  EXPECT_FALSE(none.has_value());  // `later` is not ready yet
  ASSERT_OK_AND_ASSIGN(auto any, jobs.Claim("w1", {}));
  EXPECT_EQ(any->id, other_kind.id);
  clock_.Advance(60'000);
  ASSERT_OK_AND_ASSIGN(auto ready, jobs.Claim("w2", {}));
  EXPECT_EQ(ready->id, later.id);

  EXPECT_EQ(jobs.Enqueue(QueuedJob("")).status().field(), "kind");
  NewJob bad = QueuedJob("x");
  bad.payload_json = "{";
  EXPECT_EQ(jobs.Enqueue(bad).status().field(), "payload_json");
}

TEST_P(StoreTest, ProgressCompleteAndLostLease) {
  JobRepository& jobs = store_->jobs();
  ASSERT_OK_AND_ASSIGN(auto queued, jobs.Enqueue(QueuedJob("embed")));
  ASSERT_OK_AND_ASSIGN(auto claimed, jobs.Claim("w1", {}));
  clock_.Advance(10);
  ASSERT_OK_AND_ASSIGN(bool cancel, jobs.ReportProgress(queued.id, "w1", 7.0));
  EXPECT_FALSE(cancel);
  ASSERT_OK_AND_ASSIGN(auto running, jobs.Get(queued.id));
  EXPECT_DOUBLE_EQ(running.progress, 1.0);  // clamped
  EXPECT_EQ(running.heartbeat_at, clock_.NowMillis());
  ASSERT_OK(jobs.ReportProgress(queued.id, "w1", -1).status());
  ASSERT_OK_AND_ASSIGN(running, jobs.Get(queued.id));
  EXPECT_DOUBLE_EQ(running.progress, 0.0);

  EXPECT_EQ(jobs.ReportProgress(queued.id, "intruder", 0.5).status().code(), StatusCode::kConflict);
  EXPECT_EQ(jobs.Complete(queued.id, "intruder", "{}").code(), StatusCode::kConflict);
  EXPECT_EQ(jobs.Complete(queued.id, "w1", "{bad").field(), "result_json");
  EXPECT_EQ(jobs.ReportProgress(9999, "w1", 0.5).status().code(), StatusCode::kNotFound);

  ASSERT_OK(jobs.Complete(queued.id, "w1", R"({"vectors":3})"));
  ASSERT_OK_AND_ASSIGN(auto done, jobs.Get(queued.id));
  EXPECT_EQ(done.status, JobStatus::kSucceeded);
  EXPECT_EQ(done.finished_at, clock_.NowMillis());
  EXPECT_NE(done.result_json.find("vectors"), std::string::npos);
  EXPECT_EQ(jobs.Complete(queued.id, "w1", "{}").code(), StatusCode::kConflict);  // already finished
}

TEST_P(StoreTest, FailRetriesWithDelayThenGivesUp) {
  JobRepository& jobs = store_->jobs();
  NewJob flaky = QueuedJob("embed");
  flaky.max_attempts = 2;
  ASSERT_OK_AND_ASSIGN(auto job, jobs.Enqueue(flaky));
  ASSERT_OK_AND_ASSIGN(auto first, jobs.Claim("w1", {}));
  ASSERT_OK(jobs.Fail(job.id, "w1", "timeout", 30'000, true));
  ASSERT_OK_AND_ASSIGN(auto requeued, jobs.Get(job.id));
  EXPECT_EQ(requeued.status, JobStatus::kQueued);
  EXPECT_EQ(requeued.error, "timeout");
  EXPECT_EQ(requeued.run_after, clock_.NowMillis() + 30'000);
  EXPECT_FALSE(requeued.finished_at.has_value());

  ASSERT_OK_AND_ASSIGN(auto early, jobs.Claim("w1", {}));
  EXPECT_FALSE(early.has_value());
  clock_.Advance(30'000);
  ASSERT_OK_AND_ASSIGN(auto second, jobs.Claim("w2", {}));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->attempts, 2);
  ASSERT_OK(jobs.Fail(job.id, "w2", "timeout again", 30'000, true));
  ASSERT_OK_AND_ASSIGN(auto failed, jobs.Get(job.id));
  EXPECT_EQ(failed.status, JobStatus::kFailed);
  EXPECT_EQ(failed.error, "timeout again");
  EXPECT_EQ(failed.finished_at, clock_.NowMillis());
  EXPECT_EQ(jobs.Fail(job.id, "w2", "x", 0, true).code(), StatusCode::kConflict);
}

TEST_P(StoreTest, AFailureThatCannotBeRetriedFailsAtOnce) {
  JobRepository& jobs = store_->jobs();
  NewJob job = QueuedJob("train");
  job.max_attempts = 3;
  ASSERT_OK_AND_ASSIGN(auto queued, jobs.Enqueue(job));
  ASSERT_OK_AND_ASSIGN(auto claimed, jobs.Claim("w1", {}));
  ASSERT_TRUE(claimed.has_value());
  ASSERT_OK(jobs.Fail(queued.id, "w1", "too few conversations", 30'000, false));
  ASSERT_OK_AND_ASSIGN(auto failed, jobs.Get(queued.id));
  EXPECT_EQ(failed.status, JobStatus::kFailed);
  EXPECT_EQ(failed.attempts, 1);
  EXPECT_EQ(failed.finished_at, clock_.NowMillis());
}

TEST_P(StoreTest, CancelQueuedRunningAndFinished) {
  JobRepository& jobs = store_->jobs();
  ASSERT_OK_AND_ASSIGN(auto queued, jobs.Enqueue(QueuedJob("a")));
  ASSERT_OK_AND_ASSIGN(auto cancelled, jobs.Cancel(queued.id));
  EXPECT_EQ(cancelled.status, JobStatus::kCancelled);
  EXPECT_TRUE(cancelled.finished_at.has_value());
  EXPECT_EQ(jobs.Cancel(queued.id).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(jobs.Cancel(9999).status().code(), StatusCode::kNotFound);

  ASSERT_OK_AND_ASSIGN(auto running, jobs.Enqueue(QueuedJob("b")));
  ASSERT_OK_AND_ASSIGN(auto claimed, jobs.Claim("w1", {}));
  ASSERT_EQ(claimed->id, running.id);
  ASSERT_OK_AND_ASSIGN(auto requested, jobs.Cancel(running.id));
  EXPECT_EQ(requested.status, JobStatus::kRunning);
  EXPECT_TRUE(requested.cancel_requested);
  ASSERT_OK_AND_ASSIGN(bool stop, jobs.ReportProgress(running.id, "w1", 0.3));
  EXPECT_TRUE(stop);
  EXPECT_EQ(jobs.MarkCancelled(running.id, "other").code(), StatusCode::kConflict);
  ASSERT_OK(jobs.MarkCancelled(running.id, "w1"));
  ASSERT_OK_AND_ASSIGN(auto stopped, jobs.Get(running.id));
  EXPECT_EQ(stopped.status, JobStatus::kCancelled);
}

TEST_P(StoreTest, ExpiredLeasesGoBackToTheQueue) {
  JobRepository& jobs = store_->jobs();
  NewJob once = QueuedJob("once");
  once.max_attempts = 1;
  ASSERT_OK_AND_ASSIGN(auto retryable, jobs.Enqueue(QueuedJob("retry", 1)));
  ASSERT_OK_AND_ASSIGN(auto last_chance, jobs.Enqueue(once));
  ASSERT_OK_AND_ASSIGN(auto alive, jobs.Enqueue(QueuedJob("alive", -1)));
  ASSERT_OK(jobs.Claim("w1", {"retry"}).status());
  ASSERT_OK(jobs.Claim("w1", {"once"}).status());
  ASSERT_OK(jobs.Claim("w2", {"alive"}).status());
  clock_.Advance(20'000);
  ASSERT_OK(jobs.ReportProgress(alive.id, "w2", 0.5).status());
  clock_.Advance(15'000);

  ASSERT_OK_AND_ASSIGN(int released, jobs.ReleaseExpired(30'000));
  EXPECT_EQ(released, 2);
  ASSERT_OK_AND_ASSIGN(auto back, jobs.Get(retryable.id));
  EXPECT_EQ(back.status, JobStatus::kQueued);
  EXPECT_EQ(back.locked_by, "");
  EXPECT_NE(back.error.find("w1"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(auto gone, jobs.Get(last_chance.id));
  EXPECT_EQ(gone.status, JobStatus::kFailed);
  ASSERT_OK_AND_ASSIGN(auto kept, jobs.Get(alive.id));
  EXPECT_EQ(kept.status, JobStatus::kRunning);

  // The worker that lost its lease learns it at its next report.
  EXPECT_EQ(jobs.ReportProgress(retryable.id, "w1", 0.9).status().code(), StatusCode::kConflict);
  ASSERT_OK_AND_ASSIGN(auto reclaimed, jobs.Claim("w3", {}));
  EXPECT_EQ(reclaimed->id, retryable.id);
  EXPECT_EQ(reclaimed->attempts, 2);
  ASSERT_OK_AND_ASSIGN(released, jobs.ReleaseExpired(30'000));
  EXPECT_EQ(released, 0);
}

TEST_P(StoreTest, ListJobsNewestFirstWithFilters) {
  JobRepository& jobs = store_->jobs();
  for (int i = 0; i < 4; ++i) ASSERT_OK(jobs.Enqueue(QueuedJob(i % 2 == 0 ? "even" : "odd")).status());
  ASSERT_OK(jobs.Claim("w", {"odd"}).status());
  ASSERT_OK_AND_ASSIGN(Page<store::Job> page, jobs.List(Where(std::nullopt, "", {"", 3})));
  ASSERT_EQ(page.items.size(), 3u);
  EXPECT_GT(page.items[0].id, page.items[1].id);
  ASSERT_OK_AND_ASSIGN(Page<store::Job> rest, jobs.List(Where(std::nullopt, "", {page.next_cursor, 3})));
  EXPECT_EQ(rest.items.size(), 1u);
  ASSERT_OK_AND_ASSIGN(Page<store::Job> evens, jobs.List(Where(std::nullopt, "even")));
  EXPECT_EQ(evens.items.size(), 2u);
  ASSERT_OK_AND_ASSIGN(Page<store::Job> running, jobs.List(Where(JobStatus::kRunning)));
  ASSERT_EQ(running.items.size(), 1u);
  EXPECT_EQ(running.items[0].kind, "odd");
}

// Four threads, each with its own pooled connection, drain one queue: every job is handed out
// exactly once.
TEST_P(StoreTest, ConcurrentClaimsAcrossThreadsNeverShareAJob) {
  constexpr int kJobs = 200;
  for (int i = 0; i < kJobs; ++i) ASSERT_OK(store_->jobs().Enqueue(QueuedJob("work")).status());
  std::mutex mutex;  // guards claimed and errors
  std::vector<int64_t> claimed;
  std::vector<std::string> errors;
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      const std::string worker = "thread-" + std::to_string(w);
      for (;;) {
        Result<std::optional<store::Job>> job = store_->jobs().Claim(worker, {});
        if (!job.ok() || !job->has_value()) {
          if (!job.ok()) {
            std::lock_guard lock(mutex);
            errors.push_back(job.status().ToString());
          }
          return;
        }
        Status done = store_->jobs().Complete((*job)->id, worker, "{}");
        std::lock_guard lock(mutex);
        claimed.push_back((*job)->id);
        if (!done.ok()) errors.push_back(done.ToString());
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  EXPECT_TRUE(errors.empty()) << errors.front();
  std::set<int64_t> unique(claimed.begin(), claimed.end());
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kJobs));
  EXPECT_EQ(unique.size(), static_cast<size_t>(kJobs));
}

TEST_P(StoreTest, CheckpointSurvivesAnExpiredLeaseAndARequeue) {
  JobRepository& jobs = store_->jobs();
  ASSERT_OK_AND_ASSIGN(auto queued, jobs.Enqueue(QueuedJob("generate")));
  EXPECT_EQ(queued.checkpoint_json, "");
  ASSERT_OK_AND_ASSIGN(auto first, jobs.Claim("w1", {}));
  ASSERT_OK_AND_ASSIGN(bool cancel, jobs.SaveCheckpoint(queued.id, "w1", R"({"done":2})"));
  EXPECT_FALSE(cancel);
  EXPECT_EQ(jobs.SaveCheckpoint(queued.id, "w1", "{").status().field(), "checkpoint_json");
  EXPECT_EQ(jobs.SaveCheckpoint(queued.id, "intruder", "{}").status().code(), StatusCode::kConflict);

  // The worker dies: its lease expires and the next claim gets the checkpoint back.
  clock_.Advance(10'000);
  ASSERT_OK_AND_ASSIGN(int released, jobs.ReleaseExpired(5'000));
  EXPECT_EQ(released, 1);
  ASSERT_OK_AND_ASSIGN(auto second, jobs.Claim("w2", {}));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->attempts, 2);
  EXPECT_EQ(second->checkpoint_json, R"({"done":2})");

  // A stopping process hands the job back without spending an attempt.
  ASSERT_OK(jobs.Requeue(queued.id, "w2"));
  ASSERT_OK_AND_ASSIGN(auto requeued, jobs.Get(queued.id));
  EXPECT_EQ(requeued.status, JobStatus::kQueued);
  EXPECT_EQ(requeued.attempts, 1);
  EXPECT_EQ(requeued.locked_by, "");
  EXPECT_EQ(requeued.run_after, clock_.NowMillis());
  EXPECT_EQ(requeued.checkpoint_json, R"({"done":2})");
  EXPECT_EQ(jobs.Requeue(queued.id, "w2").code(), StatusCode::kConflict);  // no longer running

  ASSERT_OK_AND_ASSIGN(auto third, jobs.Claim("w3", {}));
  EXPECT_EQ(third->attempts, 2);
  ASSERT_OK_AND_ASSIGN(auto cancelled, jobs.Cancel(queued.id));
  EXPECT_TRUE(cancelled.cancel_requested);
  ASSERT_OK_AND_ASSIGN(cancel, jobs.SaveCheckpoint(queued.id, "w3", ""));
  EXPECT_TRUE(cancel);  // the handler learns of the cancel request from its checkpoint too
}

}  // namespace
}  // namespace troupe::store::testing
