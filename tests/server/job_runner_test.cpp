// The job runner's clock: idle workers poll, and periodic tasks fall due, by the runner's Clock, so
// a ManualClock's Advance (not real time passing) is what makes them look again.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <vector>
#include <chrono>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

#include "base/clock.h"
#include "server/services/job_runner.h"
#include "store/store.h"
#include "server/api_fixture.h"
#include "support/temp_dir.h"

namespace troupe::server {
namespace {

class JobRunnerClockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::OpenSqliteStore(dir_.path());
    ASSERT_NE(store_, nullptr);
    options_.workers = 1;
    options_.poll_interval_ms = 1000;
    options_.clock = &clock_;
  }

  // Waits for work on the runner's thread to happen (what it waits for is caused before the call).
  // Up to a minute: a bound only a hang reaches.
  static bool Eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 6000 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return done();
  }

  ::troupe::testing::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<store::Store> store_;
  JobRunnerOptions options_;
};

TEST_F(JobRunnerClockTest, AJobEnqueuedWithoutAWakeRunsAtTheNextPollOfTheClock) {
  JobRunner runner(*store_, options_);
  std::atomic<int> ran{0};
  runner.Register("test.count", [&](const store::Job&, JobContext&) -> Result<nlohmann::json> {
    ++ran;
    return nlohmann::json::object();
  });
  runner.Start();
  ASSERT_TRUE(clock_.WaitForPendingTimers(1));  // the worker found nothing and armed its poll
  ASSERT_TRUE(store_->jobs().Enqueue({.kind = "test.count"}).ok());
  EXPECT_EQ(clock_.pending_timers(), 1u);  // nothing woke it: the poll is still waiting
  EXPECT_EQ(runner.completed(), 0);
  clock_.Advance(999);
  EXPECT_EQ(clock_.pending_timers(), 1u);
  EXPECT_EQ(runner.completed(), 0);
  clock_.Advance(1);
  EXPECT_TRUE(Eventually([&] { return runner.completed() == 1; }));
  runner.Stop();
  EXPECT_EQ(ran.load(), 1);
}

TEST_F(JobRunnerClockTest, APeriodicTaskRunsWhenItsIntervalPassesOnTheClock) {
  JobRunner runner(*store_, options_);
  std::atomic<int> ticks{0};
  runner.AddPeriodic("tick", 5000, [&] { ++ticks; });
  runner.Start();
  ASSERT_TRUE(clock_.WaitForPendingTimers(1));
  clock_.Advance(4000);  // four polls, none with the task due
  ASSERT_TRUE(clock_.WaitForPendingTimers(1));
  EXPECT_EQ(ticks.load(), 0);
  clock_.Advance(1000);
  EXPECT_TRUE(Eventually([&] { return ticks.load() == 1; }));
  runner.Stop();
  EXPECT_EQ(ticks.load(), 1);
}

// A worker stopped while its poll is armed takes the poll off the clock: a runner leaves no timer
// behind to fire into it after it is gone.
TEST_F(JobRunnerClockTest, AStoppedRunnerLeavesNoTimerBehind) {
  {
    JobRunner runner(*store_, options_);
    runner.Start();
    ASSERT_TRUE(clock_.WaitForPendingTimers(1));
  }
  EXPECT_EQ(clock_.pending_timers(), 0u);
  clock_.Advance(5000);
}

// A shutdown in the middle of a job: the handler is told to stop at its next heartbeat, the job
// goes back to the queue without spending an attempt, and the next runner's attempt gets the
// checkpoint the first one saved.
TEST_F(JobRunnerClockTest, AJobStoppedByTheShutdownResumesFromItsCheckpoint) {
  std::vector<std::string> changes;
  std::mutex changes_mutex;
  options_.on_change = [&](const store::Job& job) {
    std::lock_guard lock(changes_mutex);
    changes.push_back(std::string(store::ToString(job.status)) + ":" + std::to_string(job.progress));
  };
  Result<store::Job> enqueued = store_->jobs().Enqueue({.kind = "test.long"});
  ASSERT_TRUE(enqueued.ok());
  const store::Job queued = *enqueued;
  std::atomic<bool> started{false};
  {
    JobRunner runner(*store_, options_);
    runner.Register("test.long", [&](const store::Job& job, JobContext& context) -> Result<nlohmann::json> {
      EXPECT_EQ(job.checkpoint_json, "");
      EXPECT_TRUE(context.SaveCheckpoint(R"({"steps_done":1})"));
      EXPECT_TRUE(context.ReportProgress(0.25));
      started = true;
      while (context.ReportProgress(0.25)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return Unavailable("stopped");
    });
    runner.Start();
    runner.Wake();
    ASSERT_TRUE(Eventually([&] { return started.load(); }));
  }  // Stop
  Result<store::Job> stored = store_->jobs().Get(queued.id);
  ASSERT_TRUE(stored.ok());
  const store::Job requeued = *stored;
  EXPECT_EQ(requeued.status, store::JobStatus::kQueued);
  EXPECT_EQ(requeued.attempts, 0);
  EXPECT_EQ(requeued.checkpoint_json, R"({"steps_done":1})");
  EXPECT_EQ(requeued.error, "");

  JobRunner next(*store_, options_);
  std::string resumed_from;
  next.Register("test.long", [&](const store::Job& job, JobContext& context) -> Result<nlohmann::json> {
    resumed_from = job.checkpoint_json;
    EXPECT_TRUE(context.ReportProgress(1.0));
    return nlohmann::json{{"ok", true}};
  });
  next.Start();
  next.Wake();
  ASSERT_TRUE(Eventually([&] { return next.completed() == 1; }));
  next.Stop();
  EXPECT_EQ(resumed_from, R"({"steps_done":1})");
  Result<store::Job> finished = store_->jobs().Get(queued.id);
  ASSERT_TRUE(finished.ok());
  const store::Job done = *finished;
  EXPECT_EQ(done.status, store::JobStatus::kSucceeded);
  EXPECT_EQ(done.attempts, 1);

  std::lock_guard lock(changes_mutex);
  ASSERT_GE(changes.size(), 6u);
  EXPECT_EQ(changes.front(), "running:0.000000");
  EXPECT_EQ(changes[1], "running:0.250000");
  EXPECT_NE(std::find(changes.begin(), changes.end(), "queued:0.250000"), changes.end());
  EXPECT_EQ(changes.back(), "succeeded:1.000000");
}

}  // namespace
}  // namespace troupe::server
