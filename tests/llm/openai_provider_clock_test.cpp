// The OpenAI-compatible provider's waits on its Clock: with a ManualClock the test, not the wall
// clock, decides when the first-token, idle and total deadlines pass and when a retry goes out.
// Each test checks the moment from both sides: a millisecond before, the call goes on; at it, the
// call ends (or the retry is sent).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "fault_http_server.h"
#include "llm/openai_provider.h"
#include "openai_provider_fixture.h"
#include "test_events.h"

namespace troupe::llm {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ContentChunk;
using testing::Events;
using testing::FaultHttpServer;
using testing::StreamOf;
using Response = FaultHttpServer::Response;
using std::chrono::milliseconds;

class OpenAiProviderClockTest : public OpenAiProviderTest {
 protected:
  OpenAiProviderOptions OnTheClock() {
    OpenAiProviderOptions options;
    options.clock = &clock_;
    return options;
  }

  // Deltas as they come; `whole` counts once they add up to `expected`.
  ChatCallbacks Collect(const std::string& expected) {
    ChatCallbacks callbacks = ReportInto(reported_, done_);
    callbacks.on_delta = [this, expected](std::string_view delta) {
      reported_.streamed += delta;
      if (reported_.streamed == expected) whole_.Add();
    };
    return callbacks;
  }

  // Returns once the provider's loop has done everything the clock made due so far: a call
  // cancelled before it starts ends on the loop, after whatever was queued there before it. Twice,
  // because a deadline that ends a transfer takes the loop one more turn to finish its call.
  static void Settle(Provider& provider) {
    static const std::atomic<bool> kCancelled{true};
    for (int turn = 0; turn < 2; ++turn) {
      ChatRequest request = Hello();
      request.cancel = &kCancelled;
      Reported ended;
      Events done;
      provider.Start(request, ReportInto(ended, done));
      ASSERT_TRUE(done.WaitUntil(1));
    }
  }

  // The clock to 1 ms short of `deadline_ms`: the call has not ended; then to it: the call ends
  // past its deadline.
  void ExpectDeadlineAt(Provider& provider, int64_t deadline_ms) {
    clock_.Advance(deadline_ms - 1);
    Settle(provider);
    EXPECT_EQ(done_.count(), 0u);
    clock_.Advance(1);
    ASSERT_TRUE(done_.WaitUntil(1));
    ASSERT_FALSE(reported_.result->ok());
    EXPECT_EQ(reported_.result->status().code(), StatusCode::kDeadlineExceeded);
  }

  ManualClock clock_;
  Reported reported_;
  Events done_;
  Events whole_;
};

TEST_F(OpenAiProviderClockTest, SilenceBeforeTheFirstTokenEndsTheCallAtTheFirstTokenTimeout) {
  Response silent;
  silent.stall_before_headers = true;
  server_.Enqueue(silent);
  OpenAiProviderOptions options = OnTheClock();
  options.first_token_timeout = milliseconds(5000);
  std::unique_ptr<Provider> provider = MakeProvider(options);
  std::shared_ptr<ChatCall> call = provider->Start(Hello(), ReportInto(reported_, done_));
  // The deadline is set before the request goes out, so once the server has it the clock does.
  ASSERT_TRUE(server_.WaitForRequests(1));
  ExpectDeadlineAt(*provider, 5000);
  if (HasFatalFailure()) return;
  EXPECT_THAT(reported_.result->status().message(), HasSubstr("provider remote: no reply from"));
  EXPECT_THAT(reported_.result->status().message(), HasSubstr("within 5 s"));
  EXPECT_EQ(server_.requests().size(), 1u);
}

TEST_F(OpenAiProviderClockTest, AStallAfterDeltasEndsTheCallAtTheIdleTimeoutNamingHowFarItGot) {
  Response stalled = Stream({ContentChunk("It"), ContentChunk(" was")});
  stalled.end = Response::End::kStall;
  server_.Enqueue(stalled);
  OpenAiProviderOptions options = OnTheClock();
  options.idle_timeout = milliseconds(5000);
  std::unique_ptr<Provider> provider = MakeProvider(options);
  std::shared_ptr<ChatCall> call = provider->Start(Hello(), Collect("It was"));
  // The idle deadline is set on the loop thread as the first byte arrives, before any delta.
  ASSERT_TRUE(whole_.WaitUntil(1));
  ExpectDeadlineAt(*provider, 5000);
  if (HasFatalFailure()) return;
  EXPECT_THAT(reported_.result->status().message(),
              HasSubstr("stalled after 2 chunks (6 bytes of reply): nothing for 5 s"));
  EXPECT_EQ(reported_.streamed, "It was");
  EXPECT_EQ(server_.requests().size(), 1u);
}

TEST_F(OpenAiProviderClockTest, TheTotalTimeLimitHoldsWhileTheStreamIsQuiet) {
  Response stalled = Stream({ContentChunk("Slow")});
  stalled.end = Response::End::kStall;
  server_.Enqueue(stalled);
  OpenAiProviderOptions options = OnTheClock();
  options.total_timeout = milliseconds(10'000);  // before the idle and first-token minutes
  std::unique_ptr<Provider> provider = MakeProvider(options);
  std::shared_ptr<ChatCall> call = provider->Start(Hello(), Collect("Slow"));
  ASSERT_TRUE(whole_.WaitUntil(1));
  ExpectDeadlineAt(*provider, 10000);
  if (HasFatalFailure()) return;
  EXPECT_THAT(reported_.result->status().message(),
              HasSubstr("longer than its limit of 10 s; the reply was cut after 1 chunk"));
}

TEST_F(OpenAiProviderClockTest, ARetryGoesOutWhenTheClockReachesItsWaitAndNotBefore) {
  Response busy = Error(503, R"({"error":{"message":"busy"}})");
  busy.headers = {{"Retry-After", "2"}};
  server_.Enqueue(busy);
  server_.Enqueue(Stream(StreamOf({"at", " last"})));
  OpenAiProviderOptions options = OnTheClock();
  std::mutex mutex;
  std::vector<milliseconds> asked;  // guarded by mutex
  size_t timers_before_wait = 0;    // guarded by mutex
  Events waiting;
  // The clock decides: the wait is used as asked. The seam runs on the loop thread just before
  // the retry's timer is set, so the timer is the next one the clock counts.
  options.retry_delay = [&](milliseconds requested) {
    std::lock_guard lock(mutex);
    asked.push_back(requested);
    timers_before_wait = clock_.timers_set();
    waiting.Add();
    return requested;
  };
  std::unique_ptr<Provider> provider = MakeProvider(options);
  std::shared_ptr<ChatCall> call = provider->Start(Hello(), Collect("at last"));
  ASSERT_TRUE(waiting.WaitUntil(1));
  size_t retry_timer = 0;
  {
    std::lock_guard lock(mutex);
    retry_timer = timers_before_wait + 1;
  }
  ASSERT_TRUE(clock_.WaitForTimersSet(retry_timer));

  clock_.Advance(1999);
  Settle(*provider);
  EXPECT_EQ(server_.requests().size(), 1u);
  EXPECT_EQ(done_.count(), 0u);
  clock_.Advance(1);
  ASSERT_TRUE(done_.WaitUntil(1));
  ASSERT_TRUE(reported_.result->ok()) << reported_.result->status().ToString();
  EXPECT_EQ((*reported_.result)->content, "at last");
  EXPECT_EQ(server_.requests().size(), 2u);
  std::lock_guard lock(mutex);
  EXPECT_THAT(asked, ElementsAre(milliseconds(2000)));
}

}  // namespace
}  // namespace troupe::llm
