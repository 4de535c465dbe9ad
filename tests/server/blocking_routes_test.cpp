// Blocking routes run on the server's background pool, not on an I/O thread; a full pool answers
// with the route's own busy response; and tearing a server down while blocking requests are
// queued and running leaves nothing behind that refers to its I/O context (ASan watches this
// binary: a task that outlived the context was a heap-use-after-free).
#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "server/gate.h"
#include "server/server_fixture.h"
#include "server/test_client.h"

namespace troupe::server {
namespace {

using testing::RunningServer;
using testing::TestClient;
using testing::Gate;
using testing::TestOptions;


Router GatedRouter(Gate& gate) {
  Router router;
  router.AddBlocking(
      "GET", "/gated",
      [&gate](Request&) {
        gate.Wait();
        return Response::Text("through");
      },
      [](const Status& status) { return Response::Text("busy: " + status.message(), 429); });
  router.Add("GET", "/ping", [](Request&) { return Response::Text("pong"); });
  return router;
}

// Sends GET /gated on its own connection from a thread; the answer (or nothing) lands in `status`.
std::thread SendGated(uint16_t port, std::atomic<int>& status) {
  return std::thread([port, &status] {
    TestClient client(port, std::chrono::seconds(60));
    client.SendRaw("GET /gated HTTP/1.1\r\nHost: x\r\n\r\n");
    status = client.ReadResponse().status;
  });
}

TEST(BlockingRoutesTest, ABlockingHandlerLeavesTheOnlyIoThreadFree) {
  Gate gate;
  HttpServerOptions options = TestOptions();
  options.io_threads = 1;
  RunningServer server(GatedRouter(gate), options);
  std::atomic<int> status{0};
  std::thread waiting = SendGated(server.port(), status);
  ASSERT_TRUE(gate.AwaitArrivals(1));
  TestClient client(server.port());
  EXPECT_EQ(client.Send("GET", "/ping").body, "pong");  // answered while the handler waits
  EXPECT_EQ(status.load(), 0);
  gate.Open();
  waiting.join();
  EXPECT_EQ(status.load(), 200);
}

// Waits until the server counts `count` requests in flight (a bounded number of looks).
bool AwaitInFlight(RunningServer& server, double count) {
  auto* in_flight = dynamic_cast<Gauge*>(server.metrics().Find("troupe_http_requests_in_flight"));
  if (in_flight == nullptr) return false;
  for (int i = 0; i < 1'000'000 && in_flight->Value() < count; ++i) std::this_thread::yield();
  return in_flight->Value() == count;
}

TEST(BlockingRoutesTest, AFullPoolAnswersWithTheRoutesBusyResponse) {
  Gate gate;
  HttpServerOptions options = TestOptions();
  options.background_threads = 1;
  options.background_queue = 1;
  RunningServer server(GatedRouter(gate), options);
  std::atomic<int> running{0}, queued{0};
  std::thread first = SendGated(server.port(), running);
  ASSERT_TRUE(gate.AwaitArrivals(1));
  std::thread second = SendGated(server.port(), queued);
  ASSERT_TRUE(AwaitInFlight(server, 2));  // the second waits in the queue, which is now full
  TestClient client(server.port());
  testing::ClientResponse busy = client.Send("GET", "/gated");
  EXPECT_EQ(busy.status, 429);
  EXPECT_EQ(busy.body, "busy: every worker is busy; retry in a few seconds");
  EXPECT_EQ(busy.Header("retry-after"), "2");
  gate.Open();
  first.join();
  second.join();
  EXPECT_EQ(running.load(), 200);
  EXPECT_EQ(queued.load(), 200);
}

// Opens the gate when the server gives up on its connections and stops its I/O: from then on a
// handler that finishes posts its answer to a context that no longer runs and is about to go.
class OpenGateAtHardStop : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit OpenGateAtHardStop(Gate& gate) : gate_(gate) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    const std::string_view text(message.payload.data(), message.payload.size());
    if (text.find("stopping I/O") != std::string_view::npos) gate_.Open();
  }
  void flush_() override {}

 private:
  Gate& gate_;
};

TEST(BlockingRoutesTest, TearingDownWithBlockingRequestsQueuedAndRunningLeavesNothingBehind) {
  Gate gate;
  auto sink = std::make_shared<OpenGateAtHardStop>(gate);
  spdlog::default_logger()->sinks().push_back(sink);
  {
    ManualClock clock;
    HttpServerOptions options = TestOptions();
    options.clock = &clock;
    options.background_threads = 1;
    options.background_queue = 8;
    options.shutdown_grace = std::chrono::seconds(10);
    auto server = std::make_unique<RunningServer>(GatedRouter(gate), options);
    std::vector<std::atomic<int>> statuses(3);
    std::vector<std::thread> clients;
    for (auto& status : statuses) clients.push_back(SendGated(server->port(), status));
    ASSERT_TRUE(gate.AwaitArrivals(1));
    // Every request has reached its handler or the queue once in-flight counts all three.
    ASSERT_TRUE(AwaitInFlight(*server, 3));

    // The grace runs out, the I/O stops, the pool drains, the context goes.
    std::thread teardown([&] { server.reset(); });
    // Timers set: 1-3 reading the three requests, 4 the grace, 5 the hard stop after it.
    EXPECT_TRUE(clock.WaitForTimersSet(4));
    clock.Advance(10'000);
    EXPECT_TRUE(clock.WaitForTimersSet(5));
    clock.Advance(2'000);
    teardown.join();

    for (std::thread& client : clients) client.join();
    // The running handler was waited for; the queued ones were dropped without running (or, if
    // the pool took one before it stopped, it ran to the end too).
    EXPECT_GE(gate.arrived(), 1);
    EXPECT_EQ(gate.left(), gate.arrived());
    for (auto& status : statuses) EXPECT_LE(status.load(), 0) << "no one is answered after the hard stop";
  }
  auto& sinks = spdlog::default_logger()->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), sink), sinks.end());
}

}  // namespace
}  // namespace troupe::server
