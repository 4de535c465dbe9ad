// CurlLoop's promises, against the scripted server on loopback: transfers end exactly once and say
// how (finished, removed, stopped), timers fire in due order when their clock reaches them unless
// cancelled, and a stopped loop refuses work and leaves its clock nothing to call.
#include "llm/curl_loop.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "fault_http_server.h"
#include "test_events.h"

namespace troupe::llm {
namespace {

using testing::Events;
using testing::FaultHttpServer;
using std::chrono::milliseconds;

struct EasyCleanup {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using EasyHandle = std::unique_ptr<CURL, EasyCleanup>;

size_t Discard(char*, size_t size, size_t count, void*) { return size * count; }

EasyHandle GetFrom(const FaultHttpServer& server) {
  EasyHandle easy(curl_easy_init());
  curl_easy_setopt(easy.get(), CURLOPT_URL, (server.BaseUrl() + "/models").c_str());
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(easy.get(), CURLOPT_NOSIGNAL, 1L);
  return easy;
}

// How transfers ended, as the loop reported them.
struct Ends {
  std::mutex mutex;  // guards seen
  std::vector<std::pair<CurlLoop::End, CURLcode>> seen;
  Events events;

  CurlLoop::TransferDone Recorder() {
    return [this](CurlLoop::End end, CURLcode code) {
      {
        std::lock_guard lock(mutex);
        seen.emplace_back(end, code);
      }
      events.Add();
    };
  }
};

FaultHttpServer::Response Stalled() {
  FaultHttpServer::Response response;
  response.body_parts = {"data: {}\n\n"};
  response.end = FaultHttpServer::Response::End::kStall;
  return response;
}

TEST(CurlLoopTest, AFinishedTransferEndsOnceWithCurlsResult) {
  FaultHttpServer server;
  FaultHttpServer::Response ok;
  ok.body_parts = {"hello"};
  server.Enqueue(ok);
  CurlLoop loop;
  EasyHandle easy = GetFrom(server);
  Ends ends;
  ASSERT_NE(loop.Add(easy.get(), ends.Recorder()), 0u);
  ASSERT_TRUE(ends.events.WaitUntil(1));
  loop.Shutdown();
  ASSERT_EQ(ends.seen.size(), 1u);
  EXPECT_EQ(ends.seen[0].first, CurlLoop::End::kFinished);
  EXPECT_EQ(ends.seen[0].second, CURLE_OK);
}

TEST(CurlLoopTest, RemoveEndsATransferAndClosesItsConnection) {
  FaultHttpServer server;
  server.Enqueue(Stalled());
  CurlLoop loop;
  EasyHandle easy = GetFrom(server);
  Ends ends;
  const CurlLoop::Id transfer = loop.Add(easy.get(), ends.Recorder());
  while (server.requests().empty()) std::this_thread::yield();  // the request is out
  loop.Remove(transfer);
  ASSERT_TRUE(ends.events.WaitUntil(1));
  EXPECT_EQ(ends.seen.at(0).first, CurlLoop::End::kRemoved);
  EXPECT_TRUE(server.WaitForAbandoned(1));
  loop.Remove(transfer);  // already ended: nothing happens
  loop.Shutdown();
  EXPECT_EQ(ends.seen.size(), 1u);
}

TEST(CurlLoopTest, ShutdownEndsTransfersInFlightOnceAndThenRefusesWork) {
  FaultHttpServer server;
  server.SetDefault(Stalled());
  CurlLoop loop;
  EasyHandle first = GetFrom(server);
  EasyHandle second = GetFrom(server);
  Ends ends;
  loop.Add(first.get(), ends.Recorder());
  loop.Add(second.get(), ends.Recorder());
  while (server.requests().size() < 2) std::this_thread::yield();
  loop.Shutdown();
  ASSERT_EQ(ends.seen.size(), 2u);
  for (const auto& [end, code] : ends.seen) EXPECT_EQ(end, CurlLoop::End::kStopped);
  EXPECT_TRUE(server.WaitForAbandoned(2));

  EasyHandle third = GetFrom(server);
  EXPECT_EQ(loop.Add(third.get(), ends.Recorder()), 0u);
  EXPECT_EQ(loop.After(milliseconds(0), [] {}), 0u);
  EXPECT_FALSE(loop.Post([] {}));
  loop.Shutdown();  // idempotent
  EXPECT_EQ(ends.seen.size(), 2u);
}

TEST(CurlLoopTest, TimersFireInDueOrderWhenTheClockReachesThemAndOneCancelledOnTheLoopNever) {
  ManualClock clock;
  CurlLoop loop(clock);
  std::vector<std::string> fired;  // the loop thread's; read after a barrier has run there
  Events set;
  ASSERT_TRUE(loop.Post([&] {
    loop.After(milliseconds(20), [&] { fired.push_back("later"); });
    const CurlLoop::Id cancelled = loop.After(milliseconds(0), [&] { fired.push_back("cancelled"); });
    loop.After(milliseconds(10), [&] { fired.push_back("sooner"); });
    loop.CancelTimer(cancelled);
    set.Add();  // on the loop thread the clock has each timer by now
  }));
  ASSERT_TRUE(set.WaitUntil(1));
  // A task posted after the clock moved runs after every timer that move made due.
  size_t barriers = 0;
  Events barrier;
  const auto fired_by_now = [&] {
    EXPECT_TRUE(loop.Post([&] { barrier.Add(); }));
    EXPECT_TRUE(barrier.WaitUntil(++barriers));
    return fired;
  };
  clock.Advance(9);
  EXPECT_TRUE(fired_by_now().empty());
  clock.Advance(1);
  EXPECT_EQ(fired_by_now(), (std::vector<std::string>{"sooner"}));
  clock.Advance(9);
  EXPECT_EQ(fired_by_now(), (std::vector<std::string>{"sooner"}));
  clock.Advance(1);
  EXPECT_EQ(fired_by_now(), (std::vector<std::string>{"sooner", "later"}));
  loop.Shutdown();
}

TEST(CurlLoopTest, ShutdownCancelsTheClocksTimers) {
  ManualClock clock;
  bool fired = false;
  {
    CurlLoop loop(clock);
    EXPECT_NE(loop.After(milliseconds(10), [&] { fired = true; }), 0u);
    Events set;
    ASSERT_TRUE(loop.Post([&] { set.Add(); }));  // the timer was set before this ran
    ASSERT_TRUE(set.WaitUntil(1));
    EXPECT_EQ(clock.pending_timers(), 1u);
  }
  EXPECT_EQ(clock.pending_timers(), 0u);
  clock.Advance(10);  // nothing left to reach the loop that is gone (ASan checks)
  EXPECT_FALSE(fired);
}

TEST(CurlLoopTest, TasksPostedBeforeShutdownRun) {
  CurlLoop loop;
  int ran = 0;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(loop.Post([&ran] { ++ran; }));
  loop.Shutdown();
  EXPECT_EQ(ran, 3);
}

}  // namespace
}  // namespace troupe::llm
