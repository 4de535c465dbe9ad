// Event streams end to end: framing on the wire, heartbeats, producers on other threads, clients
// that leave, and shutdown with streams open.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

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

TEST(SseServerTest, IdleStreamsGetHeartbeats) {
  Producers producers;
  Router router;
  router.Add("GET", "/stream", [&](Request&) {
    SseStream stream;
    producers.Start([stream]() mutable {
      std::this_thread::sleep_for(450ms);
      stream.Send("late", "x");
      stream.Close();
    });
    return Response::EventStream(stream);
  });
  HttpServerOptions options = TestOptions();
  options.sse_heartbeat = 100ms;
  RunningServer server(std::move(router), options);
  TestClient client(server.port());
  client.StartStream("/stream");
  ASSERT_TRUE(client.ReadStreamToEnd());
  const std::string& body = client.stream_body();
  size_t heartbeats = 0;
  for (size_t at = body.find(": heartbeat\n\n"); at != std::string::npos;
       at = body.find(": heartbeat\n\n", at + 1)) {
    ++heartbeats;
  }
  EXPECT_GE(heartbeats, 3u) << body;
  EXPECT_NE(body.find("event: late\ndata: x\n\n"), std::string::npos);
}

TEST(SseServerTest, AStreamOutlivesTheRequestTimeoutWhileEventsFlow) {
  Producers producers;
  Router router;
  router.Add("GET", "/stream", [&](Request&) {
    SseStream stream;
    producers.Start([stream]() mutable {
      for (int i = 0; i < 12; ++i) {
        stream.Send("tick", std::to_string(i));
        std::this_thread::sleep_for(100ms);
      }
      stream.Close();
    });
    return Response::EventStream(stream);
  });
  HttpServerOptions options = TestOptions();
  // The timeout bounds each read and write, never the stream: this one runs four times longer.
  options.request_timeout = 300ms;
  RunningServer server(std::move(router), options);
  TestClient client(server.port(), 30s);
  client.StartStream("/stream");
  ASSERT_TRUE(client.ReadStreamToEnd()) << client.stream_body();
  EXPECT_NE(client.stream_body().find("event: tick\ndata: 11\n\n"), std::string::npos) << client.stream_body();
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
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready) << "producer never saw the cancel";
  EXPECT_EQ(future.get(), "client disconnected");
  EXPECT_EQ(callbacks.load(), 1);
  producers.JoinAll();
  // The gauge drops once the connection has cleaned up.
  auto* open = static_cast<Gauge*>(server.metrics().Find("troupe_sse_streams_open"));
  for (int i = 0; i < 100 && open->Value() != 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(open->Value(), 0);
}

TEST(SseServerTest, ShutdownLetsARunningStreamFinishWithinGrace) {
  Producers producers;
  Router router;
  router.Add("GET", "/stream", [&](Request&) {
    SseStream stream;
    producers.Start([stream]() mutable {
      for (int i = 0; i < 8; ++i) {
        stream.Send("tick", std::to_string(i));
        std::this_thread::sleep_for(50ms);
      }
      stream.Close();
    });
    return Response::EventStream(stream);
  });
  HttpServerOptions options = TestOptions();
  // An hour's grace: Run returns when the stream ends, not when the grace does (or never).
  options.shutdown_grace = std::chrono::hours(1);
  RunningServer server(std::move(router), options);
  TestClient client(server.port());
  client.StartStream("/stream");
  client.ReadEvents(1);

  server.server().Stop();
  EXPECT_TRUE(client.ReadStreamToEnd());  // every event, then a clean end
  server.Join();
  EXPECT_NE(client.stream_body().find("data: 7\n\n"), std::string::npos);
}

TEST(SseServerTest, StreamRunningPastGraceIsCancelledAndRunReturns) {
  Producers producers;
  std::promise<std::string> stopped;
  Router router;
  router.Add("GET", "/stream", [&](Request&) {
    SseStream stream;
    producers.Start([stream, &stopped]() mutable {
      while (!stream.cancelled()) {
        stream.Send("tick", "x");
        std::this_thread::sleep_for(10ms);
      }
      stopped.set_value(stream.cancel_reason());
    });
    return Response::EventStream(stream);
  });
  HttpServerOptions options = TestOptions();
  options.shutdown_grace = 300ms;
  RunningServer server(std::move(router), options);
  TestClient client(server.port());
  client.StartStream("/stream");
  client.ReadEvents(1);

  const auto start = std::chrono::steady_clock::now();
  server.server().Stop();
  server.Join();
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 250ms);  // the grace was given; that Run returned at all is the rest
  auto future = stopped.get_future();
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(future.get(), "server shutting down");
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
