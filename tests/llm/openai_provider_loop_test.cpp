// The OpenAI-compatible provider's calls on its event loop, against the scripted server on
// loopback: many calls in flight hold no thread each, a cancelled call closes its connection, a
// retry's wait is a timer that cancelling ends, and destroying the provider ends every call once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "fault_http_server.h"
#include "llm/openai_provider.h"
#include "openai_provider_fixture.h"
#include "test_events.h"

namespace troupe::llm {
namespace {

using ::testing::HasSubstr;
using testing::ContentChunk;
using testing::Events;
using testing::FaultHttpServer;
using testing::StreamOf;
using testing::ThreadCount;
using Response = FaultHttpServer::Response;
using std::chrono::milliseconds;

// The property the event loop exists for: calls in flight hold no thread each.
TEST_F(OpenAiProviderTest, TwoHundredStreamedCallsInFlightShareTheLoopThread) {
  constexpr size_t kCalls = 200;
  Response held = Stream(StreamOf({"Many ", "calls, ", "one ", "thread."}));
  held.pause_after_parts = 2;  // the role chunk and "Many ": then every stream waits, half read
  server_.SetDefault(held);
  std::unique_ptr<Provider> provider = MakeProvider();
  const size_t threads_before = ThreadCount();

  std::vector<Reported> reported(kCalls);
  Events first_deltas;
  Events done;
  std::vector<std::shared_ptr<ChatCall>> calls;
  for (Reported& each : reported) calls.push_back(provider->Start(Hello(), ReportInto(each, done, &first_deltas)));
  ASSERT_TRUE(first_deltas.WaitUntil(kCalls));
  // All the calls are in flight at once now: each has a connection open and a reply begun.
  const size_t threads_during = ThreadCount();
  EXPECT_EQ(done.count(), 0u);
  server_.ReleasePaused();
  ASSERT_TRUE(done.WaitUntil(kCalls));

  RecordProperty("threads_before", static_cast<int>(threads_before));
  RecordProperty("threads_during", static_cast<int>(threads_during));
  EXPECT_LT(threads_during, 20u) << threads_before << " threads before the calls";
  EXPECT_LE(threads_during, threads_before + 2);
  for (const Reported& each : reported) {
    ASSERT_TRUE(each.result->ok()) << each.result->status().ToString();
    EXPECT_EQ((*each.result)->content, "Many calls, one thread.");
    EXPECT_EQ(each.streamed, "Many calls, one thread.");
    EXPECT_EQ(each.done_calls, 1);
  }
  EXPECT_EQ(server_.requests().size(), kCalls);
}

TEST_F(OpenAiProviderTest, CancelMidStreamEndsTheCallAndClosesItsConnection) {
  Response stalled = Stream({ContentChunk("Hello"), ContentChunk(" there")});
  stalled.end = Response::End::kStall;
  server_.Enqueue(stalled);
  OpenAiProviderOptions options;  // no timeout may close the connection in the cancel's place
  options.idle_timeout = std::chrono::hours(1);
  options.total_timeout = std::chrono::hours(2);
  std::unique_ptr<Provider> provider = MakeProvider(options);
  Reported reported;
  Events done;
  Events whole_text;
  ChatCallbacks callbacks = ReportInto(reported, done);
  callbacks.on_delta = [&](std::string_view delta) {
    reported.streamed += delta;
    if (reported.streamed == "Hello there") whole_text.Add();
  };
  std::shared_ptr<ChatCall> call = provider->Start(Hello(), std::move(callbacks));
  ASSERT_TRUE(whole_text.WaitUntil(1));
  call->Cancel();
  ASSERT_TRUE(done.WaitUntil(1));
  ASSERT_TRUE(reported.result->ok()) << reported.result->status().ToString();
  EXPECT_EQ((*reported.result)->finish_reason, FinishReason::kCancelled);
  EXPECT_EQ((*reported.result)->content, "Hello there");
  EXPECT_TRUE(server_.WaitForAbandoned(1)) << "the server never saw the client close the connection";
  call->Cancel();  // after the end: nothing more happens
  EXPECT_EQ(reported.done_calls, 1);
}

TEST_F(OpenAiProviderTest, ARetryWaitingOutRetryAfterHoldsNoThreadAndEndsWhenCancelled) {
  for (const bool by_flag : {false, true}) {
    SCOPED_TRACE(by_flag ? "cancelled through request.cancel" : "cancelled through ChatCall::Cancel");
    FaultHttpServer server;
    Response limited = Error(429, R"({"error":{"message":"slow down"}})");
    limited.headers = {{"Retry-After", "3600"}};
    server.Enqueue(limited);
    Events waiting;
    ManualClock clock;  // the hour is never reached; and the clock has no thread to count
    OpenAiProviderOptions options;
    options.clock = &clock;
    options.base_url = server.BaseUrl();
    options.total_timeout = std::chrono::hours(2);  // room for the hour the server asks for
    options.retry_delay = [&waiting](milliseconds requested) {
      waiting.Add();
      return requested;  // really wait
    };
    std::unique_ptr<Provider> provider = MakeProvider(options);
    const size_t threads_before = ThreadCount();
    std::atomic<bool> cancel{false};
    ChatRequest request = Hello();
    if (by_flag) request.cancel = &cancel;
    Reported reported;
    Events done;
    std::shared_ptr<ChatCall> call = provider->Start(request, ReportInto(reported, done));
    ASSERT_TRUE(waiting.WaitUntil(1));
    EXPECT_LE(ThreadCount(), threads_before);  // an hour's wait, and no thread waits it
    if (by_flag) {
      cancel.store(true);
      clock.Advance(100);  // seen on the loop's next tick
    } else {
      call->Cancel();
    }
    ASSERT_TRUE(done.WaitUntil(1));
    ASSERT_TRUE(reported.result->ok()) << reported.result->status().ToString();
    EXPECT_EQ((*reported.result)->finish_reason, FinishReason::kCancelled);
    EXPECT_EQ((*reported.result)->content, "");
    EXPECT_EQ(server.requests().size(), 1u);
  }
}

TEST_F(OpenAiProviderTest, DestroyingTheProviderEndsEveryCallInFlightOnce) {
  Response stalled = Stream({ContentChunk("Part")});
  stalled.end = Response::End::kStall;
  server_.Enqueue(stalled);
  Response limited = Error(503, R"({"error":{"message":"busy"}})");
  limited.headers = {{"Retry-After", "3600"}};
  server_.Enqueue(limited);
  Events waiting;
  OpenAiProviderOptions options;
  options.total_timeout = std::chrono::hours(2);
  options.retry_delay = [&waiting](milliseconds requested) {
    waiting.Add();
    return requested;
  };
  std::unique_ptr<Provider> provider = MakeProvider(options);
  Reported streaming;
  Reported backing_off;
  Events done;
  Events first_delta;
  std::shared_ptr<ChatCall> stream_call = provider->Start(Hello(), ReportInto(streaming, done, &first_delta));
  ASSERT_TRUE(first_delta.WaitUntil(1));
  std::shared_ptr<ChatCall> retry_call = provider->Start(Hello(), ReportInto(backing_off, done));
  ASSERT_TRUE(waiting.WaitUntil(1));
  provider.reset();
  EXPECT_EQ(done.count(), 2u);  // the destructor returns once every call has ended
  for (const Reported* each : {&streaming, &backing_off}) {
    EXPECT_EQ(each->done_calls, 1);
    ASSERT_FALSE(each->result->ok());
    EXPECT_EQ(each->result->status().code(), StatusCode::kUnavailable);
    EXPECT_THAT(each->result->status().message(), HasSubstr("provider remote is shutting down"));
  }
  EXPECT_THAT(streaming.result->status().message(), HasSubstr("the reply was cut after 1 chunk"));
  EXPECT_EQ(streaming.streamed, "Part");
  EXPECT_TRUE(server_.WaitForAbandoned(1));
  stream_call->Cancel();  // a handle that outlived its provider: harmless
  retry_call->Cancel();
}

}  // namespace
}  // namespace troupe::llm
