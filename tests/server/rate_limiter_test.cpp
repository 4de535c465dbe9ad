#include "server/http/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace troupe::server {
namespace {

TEST(RateLimiterTest, BurstThenRefillAtRate) {
  ManualClock clock;
  RateLimiter limiter(/*rate_per_second=*/2, /*burst=*/3, clock);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Acquire("key-a").allowed) << i;
  RateLimiter::Decision refused = limiter.Acquire("key-a");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 1);  // half a second, rounded up

  clock.Advance(500);  // one token back at 2/s
  EXPECT_TRUE(limiter.Acquire("key-a").allowed);
  EXPECT_FALSE(limiter.Acquire("key-a").allowed);

  clock.Advance(60'000);  // refills only up to the burst
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Acquire("key-a").allowed) << i;
  EXPECT_FALSE(limiter.Acquire("key-a").allowed);
}

TEST(RateLimiterTest, KeysAreIndependent) {
  ManualClock clock;
  RateLimiter limiter(1, 1, clock);
  EXPECT_TRUE(limiter.Acquire("a").allowed);
  EXPECT_FALSE(limiter.Acquire("a").allowed);
  EXPECT_TRUE(limiter.Acquire("b").allowed);
}

TEST(RateLimiterTest, RetryAfterCountsWholeSecondsUntilAToken) {
  ManualClock clock;
  RateLimiter limiter(/*rate_per_second=*/0.1, /*burst=*/1, clock);  // one per 10 s
  EXPECT_TRUE(limiter.Acquire("k").allowed);
  EXPECT_EQ(limiter.Acquire("k").retry_after_seconds, 10);
  clock.Advance(2'500);
  EXPECT_EQ(limiter.Acquire("k").retry_after_seconds, 8);  // 7.5 s rounds up
  clock.Advance(7'500);
  EXPECT_TRUE(limiter.Acquire("k").allowed);
}

TEST(RateLimiterTest, ZeroRateDisablesLimiting) {
  ManualClock clock;
  RateLimiter limiter(0, 1, clock);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(limiter.Acquire("k").allowed);
  EXPECT_EQ(limiter.tracked_keys(), 0u);
}

TEST(RateLimiterTest, ClockSteppingBackDoesNotRefill) {
  ManualClock clock;
  RateLimiter limiter(1, 1, clock);
  EXPECT_TRUE(limiter.Acquire("k").allowed);
  clock.Advance(-5'000);
  EXPECT_FALSE(limiter.Acquire("k").allowed);
}

TEST(RateLimiterTest, ForgetsFullBucketsSoMemoryStaysBounded) {
  ManualClock clock;
  RateLimiter limiter(1, 1, clock);
  for (int i = 0; i < 1500; ++i) (void)limiter.Acquire("key-" + std::to_string(i));
  clock.Advance(10'000);
  for (int i = 0; i < 1500; ++i) (void)limiter.Acquire("other-" + std::to_string(i));
  EXPECT_LT(limiter.tracked_keys(), 2000u);
}

TEST(RateLimiterTest, ConcurrentAcquiresNeverExceedTheBurst) {
  ManualClock clock;
  RateLimiter limiter(1, 100, clock);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (limiter.Acquire("shared").allowed) ++allowed;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 100);
}

}  // namespace
}  // namespace troupe::server
