// The job runner's clock: idle workers poll, and periodic tasks fall due, by the runner's Clock, so
// a ManualClock's Advance (not real time passing) is what makes them look again.
#include <atomic>
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

}  // namespace
}  // namespace troupe::server
