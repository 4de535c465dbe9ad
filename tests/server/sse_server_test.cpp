// Event streams end to end: framing on the wire, heartbeats, producers on other threads, clients
// that leave, and shutdown with streams open.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "server/http/http_server.h"
#include "server/server_fixture.h"
#include "server/http/sse_stream.h"
#include "server/test_client.h"

namespace troupe::server {
namespace {

using namespace std::chrono_literals;
using testing::RunningServer;
using testing::TestClient;
using testing::TestOptions;

// Producer threads started by handlers; joined when the test ends.
class Producers {
 public:
  ~Producers() { JoinAll(); }
  void Start(std::function<void()> work) {
    std::lock_guard lock(mutex_);
    threads_.emplace_back(std::move(work));
  }
  void JoinAll() {
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      threads.swap(threads_);
    }
    for (auto& thread : threads) thread.join();
  }

 private:
  std::mutex mutex_;
  std::vector<std::thread> threads_;
};

TEST(SseServerTest, EventsFromAnotherThreadAreFramedAndTheStreamEndsCleanly) {
  Producers producers;
  Router router;
  router.Add("GET", "/stream", [&](Request&) {
    SseStream stream;
    producers.Start([stream]() mutable {
      stream.Send({"delta", "1", "Hello"});
      stream.Send({"delta", "2", "two\nlines"});
      stream.Send({"done", "", "{\"tokens\":3}"});
      stream.Close();
    });
    return Response::EventStream(stream);
  });
  RunningServer server(std::move(router));
  TestClient client(server.port());
  auto head = client.StartStream("/stream");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("content-type"), "text/event-stream");
  EXPECT_EQ(head.Header("cache-control"), "no-cache");
  EXPECT_EQ(head.Header("transfer-encoding"), "chunked");
  EXPECT_TRUE(client.ReadStreamToEnd());
  EXPECT_EQ(client.stream_body(),
            "event: delta\nid: 1\ndata: Hello\n\n"
            "event: delta\nid: 2\ndata: two\ndata: lines\n\n"
            "event: done\ndata: {\"tokens\":3}\n\n");
  EXPECT_TRUE(client.ServerClosed());
}

TEST(SseServerTest, ManyProducerThreadsLoseNothing) {
  Producers producers;
  Router router;
  router.Add("GET", "/stream", [&](Request&) {
    SseStream stream;
    auto remaining = std::make_shared<std::atomic<int>>(4);
    for (int t = 0; t < 4; ++t) {
      producers.Start([stream, remaining, t]() mutable {
        for (int i = 0; i < 250; ++i) stream.Send("n", std::to_string(t * 1000 + i));
        if (--*remaining == 0) stream.Close();
      });
    }
    return Response::EventStream(stream);
  });
  RunningServer server(std::move(router));
  TestClient client(server.port());
  client.StartStream("/stream");
  ASSERT_TRUE(client.ReadStreamToEnd());
  size_t events = 0;
  for (size_t at = client.stream_body().find("event: n\n"); at != std::string::npos;
       at = client.stream_body().find("event: n\n", at + 1)) {
    ++events;
  }
  EXPECT_EQ(events, 1000u);
}

// A route whose stream the test feeds itself, so nothing happens on the stream but what the test
// does, and a server on `clock`.
class HandedStream {
 public:
  Router MakeRouter() {
    Router router;
    router.Add("GET", "/stream", [this](Request&) {
      SseStream stream;
      handed_.set_value(stream);
      return Response::EventStream(stream);
    });
    return router;
  }
  SseStream Get() { return handed_.get_future().get(); }

 private:
  std::promise<SseStream> handed_;
};

HttpServerOptions OnClock(const Clock& clock) {
  HttpServerOptions options = TestOptions();
  options.clock = &clock;
  options.request_timeout = std::chrono::hours(1);
  options.sse_heartbeat = std::chrono::hours(1);
  return options;
}

// After an Advance: no timer ran (each would have gone from the pending ones, and what it set off
// would set timers of its own), judged by the clock alone, whenever the server gets to it.
void ExpectClockRanNothing(const ManualClock& clock, size_t set, size_t pending) {
  EXPECT_EQ(clock.timers_set(), set);
  EXPECT_EQ(clock.pending_timers(), pending);
}

size_t Count(const std::string& text, const std::string& what) {
  size_t count = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

TEST(SseServerTest, AQuietStreamGetsAHeartbeatAfterEachQuietPeriodAndNotBefore) {
  ManualClock clock;
  HandedStream handed;
  HttpServerOptions options = OnClock(clock);
  options.sse_heartbeat = 15s;
  RunningServer server(handed.MakeRouter(), options);
  TestClient client(server.port());
  client.StartStream("/stream");
  SseStream stream = handed.Get();
  // Timers set: 1 reading the request, 2 writing the head, 3 the first quiet period.
  ASSERT_TRUE(clock.WaitForTimersSet(3));
  clock.Advance(14'999);
  // A millisecond early the clock ran nothing (a heartbeat would have set the next period):
  ExpectClockRanNothing(clock, 3, 1);
  stream.Send("news", "x");
  EXPECT_EQ(client.ReadEvents(1), "event: news\ndata: x\n\n");  // written at once: no timer

  // The period's timer rings a millisecond after the event: not quiet for long enough, so it is
  // armed (4) for what is left of the period that began with the event.
  clock.Advance(1);
  ASSERT_TRUE(clock.WaitForTimersSet(4));
  clock.Advance(14'998);
  ExpectClockRanNothing(clock, 4, 1);
  clock.Advance(1);
  EXPECT_EQ(client.ReadEvents(2), "event: news\ndata: x\n\n: heartbeat\n\n");

  // 5 the period that began with the heartbeat.
  ASSERT_TRUE(clock.WaitForTimersSet(5));
  clock.Advance(15'000);
  EXPECT_EQ(Count(client.ReadEvents(3), ": heartbeat\n\n"), 2u);
  stream.Close();
  EXPECT_TRUE(client.ReadStreamToEnd());
}

TEST(SseServerTest, TheRequestTimeoutBoundsEachWriteNeverTheStream) {
  ManualClock clock;
  HandedStream handed;
  HttpServerOptions options = OnClock(clock);
  options.request_timeout = 10s;
  RunningServer server(handed.MakeRouter(), options);
  TestClient client(server.port());
  client.StartStream("/stream");
  SseStream stream = handed.Get();
  // Events keep coming while the clock passes the timeout several times over. Timers set: 1
  // reading the request, 2 writing the head, 3 the heartbeat; a write the socket takes at once
  // needs no deadline, so the events set none.
  ASSERT_TRUE(clock.WaitForTimersSet(3));
  for (size_t i = 0; i < 12; ++i) {
    stream.Send("tick", std::to_string(i));
    client.ReadEvents(i + 1);
    clock.Advance(4'000);
  }
  // Then a quiet spell longer than the timeout.
  clock.Advance(15'000);
  stream.Send("tick", "12");
  stream.Close();
  ASSERT_TRUE(client.ReadStreamToEnd()) << client.stream_body();
  EXPECT_EQ(Count(client.stream_body(), "event: tick\n"), 13u);
  EXPECT_NE(client.stream_body().find("event: tick\ndata: 12\n\n"), std::string::npos);
  EXPECT_EQ(clock.timers_set(), 3u);
}

TEST(SseServerTest, AReaderThatStopsReadingIsCutOffOneTimeoutAfterTheSocketFills) {
  ManualClock clock;
  HandedStream handed;
  HttpServerOptions options = OnClock(clock);
  options.request_timeout = 10s;
  RunningServer server(handed.MakeRouter(), options);
  TestClient client(server.port());
  client.StartStream("/stream");  // and never reads the stream
  SseStream stream = handed.Get();
  ASSERT_TRUE(clock.WaitForTimersSet(3));  // reading the request, writing the head, the heartbeat
  // Large events until the socket's buffers are full and a write has to wait: only that write
  // arms a deadline (timer 4).
  const std::string blob(16 << 10, 'x');  // small enough for the queue's bound
  for (int i = 0; i < 16384 && clock.timers_set() < 4; ++i) {
    stream.Send("blob", blob);
    clock.WaitForTimersSet(4, 5);
  }
  ASSERT_TRUE(clock.WaitForTimersSet(4)) << "the socket never filled";
  clock.Advance(9'999);
  EXPECT_FALSE(stream.cancelled());
  clock.Advance(1);
  for (int i = 0; i < 6000 && !stream.cancelled(); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(stream.cancelled());
  EXPECT_EQ(stream.cancel_reason(), "client disconnected");
}

TEST(SseServerTest, ClientDisconnectCancelsTheProducer) {
  Producers producers;
  std::promise<std::string> stopped;
  std::atomic<int> callbacks{0};
  Router router;
  router.Add("GET", "/stream", [&](Request&) {
    SseStream stream;
    stream.OnCancel([&] { ++callbacks; });
    producers.Start([stream, &stopped]() mutable {
      int sent = 0;
      while (!stream.cancelled() && sent < 5000) {
        stream.Send("tick", std::to_string(sent++));
        std::this_thread::sleep_for(5ms);
      }
      stopped.set_value(stream.cancel_reason());
    });
    return Response::EventStream(stream);
  });
  RunningServer server(std::move(router));
  TestClient client(server.port());
  client.StartStream("/stream");
  client.ReadEvents(2);
  EXPECT_EQ(server.metrics().Find("troupe_sse_streams_open") != nullptr, true);
  EXPECT_EQ(static_cast<Gauge*>(server.metrics().Find("troupe_sse_streams_open"))->Value(), 1);
  client.Close();

  auto future = stopped.get_future();
  // Bounds only a hang reaches: a loaded machine is slow, not wrong.
  ASSERT_EQ(future.wait_for(60s), std::future_status::ready) << "producer never saw the cancel";
  EXPECT_EQ(future.get(), "client disconnected");
  EXPECT_EQ(callbacks.load(), 1);
  producers.JoinAll();
  // The gauge drops once the connection has cleaned up.
  auto* open = static_cast<Gauge*>(server.metrics().Find("troupe_sse_streams_open"));
  for (int i = 0; i < 6000 && open->Value() != 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(open->Value(), 0);
}

TEST(SseServerTest, ShutdownLetsARunningStreamFinishWithinGrace) {
  ManualClock clock;  // never moved: the grace cannot be what ends the stream
  HandedStream handed;
  HttpServerOptions options = OnClock(clock);
  options.shutdown_grace = 10s;
  RunningServer server(handed.MakeRouter(), options);
  TestClient client(server.port());
  client.StartStream("/stream");
  SseStream stream = handed.Get();
  stream.Send("tick", "0");
  client.ReadEvents(1);

  server.server().Stop();
  for (int i = 1; i < 8; ++i) stream.Send("tick", std::to_string(i));
  stream.Close();
  EXPECT_TRUE(client.ReadStreamToEnd());  // every event, then a clean end
  server.Join();
  EXPECT_NE(client.stream_body().find("data: 7\n\n"), std::string::npos);
}

TEST(SseServerTest, AStreamRunningPastTheGraceIsCancelledThereAndRunReturns) {
  ManualClock clock;
  HandedStream handed;
  HttpServerOptions options = OnClock(clock);
  options.shutdown_grace = 10s;
  RunningServer server(handed.MakeRouter(), options);
  TestClient client(server.port());
  client.StartStream("/stream");
  SseStream stream = handed.Get();
  // Timers set: 1 reading the request, 2 writing the head, 3 the heartbeat; the event is written
  // at once, with no deadline; then Stop sets the grace (4).
  ASSERT_TRUE(clock.WaitForTimersSet(3));
  stream.Send("tick", "0");
  client.ReadEvents(1);
  server.server().Stop();
  ASSERT_TRUE(clock.WaitForTimersSet(4));

  clock.Advance(9'999);
  ExpectClockRanNothing(clock, 4, 2);  // the heartbeat and the grace wait on
  stream.Send("tick", "1");  // a millisecond before the end of the grace, the stream still runs
  EXPECT_NE(client.ReadEvents(2).find("data: 1\n\n"), std::string::npos);
  EXPECT_FALSE(stream.cancelled());
  clock.Advance(1);
  server.Join();
  EXPECT_TRUE(stream.cancelled());
  EXPECT_EQ(stream.cancel_reason(), "server shutting down");
  EXPECT_FALSE(client.ReadStreamToEnd());  // cut, not ended: the client can tell
}

TEST(SseServerTest, HundredsOfSlowStreamsShareTwoIoThreads) {
  // No thread per client: 200 open streams on 2 I/O threads, fed by one producer thread, each
  // client reading only after everything was sent (a slow reader).
  constexpr int kClients = 200;
  constexpr int kEvents = 20;
  std::mutex mutex;
  std::vector<SseStream> streams;  // guarded by mutex
  Router router;
  router.Add("GET", "/stream", [&](Request&) {
    SseStream stream;
    std::lock_guard lock(mutex);
    streams.push_back(stream);
    return Response::EventStream(stream);
  });
  RunningServer server(std::move(router));
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<TestClient>(server.port()));
    ASSERT_EQ(clients.back()->StartStream("/stream").status, 200);
  }
  std::thread producer([&] {
    std::lock_guard lock(mutex);
    for (int event = 0; event < kEvents; ++event) {
      for (SseStream& stream : streams) stream.Send("n", std::to_string(event));
    }
    for (SseStream& stream : streams) stream.Close();
  });
  producer.join();
  for (auto& client : clients) {
    ASSERT_TRUE(client->ReadStreamToEnd());
    EXPECT_NE(client->stream_body().find("data: " + std::to_string(kEvents - 1) + "\n\n"),
              std::string::npos);
  }
}

TEST(SseServerTest, AHandlerCanRefuseBeforeStreaming) {
  Router router;
  router.Add("GET", "/stream", [](Request&) { return Response::Error(NotFound("no such chat")); });
  RunningServer server(std::move(router));
  TestClient client(server.port());
  auto response = client.Send("GET", "/stream");
  EXPECT_EQ(response.status, 404);
}

}  // namespace
}  // namespace troupe::server
