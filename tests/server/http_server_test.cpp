// End-to-end: a real server on a free port, a real client on a socket.
#include "server/http/http_server.h"

#include <gtest/gtest.h>

#include <functional>
#include <future>

#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <map>
#include <thread>
#include <sstream>
#include <stdexcept>

#include "base/clock.h"
#include "server/http/coroutine_handler.h"
#include "server/http/json_body.h"
#include "server/server_fixture.h"
#include "server/test_client.h"

namespace troupe::server {
namespace {

using testing::RunningServer;
using testing::TestClient;
using testing::TestOptions;

Router TestRouter() {
  Router router;
  router.Add("GET", "/api/v1/characters/{id}", [](Request& request) {
    return Response::Json({{"id", request.PathParam("id")},
                           {"route", request.route},
                           {"remote", request.remote_address}});
  });
  router.Add("DELETE", "/api/v1/characters/{id}", [](Request&) { return Response::Text("", 204); });
  router.Add("POST", "/api/v1/characters", [](Request& request) {
    auto body = ParseJsonBody(request);
    if (!body) return Response::Error(body.error());
    JsonObjectReader reader(*body);
    std::string name = reader.RequireString("name");
    std::optional<int64_t> age = reader.OptionalInt("age", 0, 1000);
    if (Status status = reader.Finish(); !status.ok()) return Response::Error(status);
    request.key_id = "key_test";
    return Response::Json({{"name", name}, {"age", age.value_or(-1)}}, 201);
  });
  router.Add("GET", "/boom", [](Request&) -> Response { throw std::runtime_error("kaboom"); });
  router.Add("GET", "/status/{code}", [](Request& request) {
    return Response::Error(
        Status(static_cast<StatusCode>(std::stoi(std::string(request.PathParam("code")))), "as asked"));
  });
  router.AddCoroutine("GET", "/slow", CoroutineHandler{[](Request&) -> boost::asio::awaitable<Response> {
                        boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor,
                                                        std::chrono::milliseconds(20));
                        co_await timer.async_wait(boost::asio::use_awaitable);
                        co_return Response::Text("slept");
                      }});
  router.AddCoroutine("GET", "/coroutine-boom",
                      CoroutineHandler{[](Request&) -> boost::asio::awaitable<Response> {
                        co_await boost::asio::post(boost::asio::use_awaitable);
                        throw std::logic_error("async kaboom");
                      }});
  return router;
}

void ExpectError(const testing::ClientResponse& response, int status, const std::string& code,
                 const std::string& field = {}) {
  EXPECT_EQ(response.status, status) << response.body;
  EXPECT_EQ(response.Header("content-type"), "application/json");
  nlohmann::json body = response.Json();
  ASSERT_TRUE(body.contains("error")) << response.body;
  EXPECT_EQ(body["error"]["code"], code) << response.body;
  EXPECT_TRUE(body["error"]["message"].is_string());
  if (!field.empty()) {
    EXPECT_EQ(body["error"]["field"], field) << response.body;
  }
}

TEST(HttpServerTest, RoutesWithParametersAndReportsTheTemplate) {
  RunningServer server(TestRouter());
  TestClient client(server.port());
  auto response = client.Send("GET", "/api/v1/characters/abc%20d");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Json()["id"], "abc d");
  EXPECT_EQ(response.Json()["route"], "/api/v1/characters/{id}");
}

TEST(HttpServerTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  RunningServer server(TestRouter());
  TestClient client(server.port());
  ExpectError(client.Send("GET", "/nope"), 404, "not_found");
  auto response = client.Send("PUT", "/api/v1/characters/1");
  ExpectError(response, 405, "method_not_allowed");
  EXPECT_EQ(response.Header("allow"), "DELETE, GET, HEAD");  // a GET route answers HEAD too
}

TEST(HttpServerTest, StatusCodesMapToHttp) {
  RunningServer server(TestRouter());
  TestClient client(server.port());
  ExpectError(client.Send("GET", "/status/" + std::to_string(static_cast<int>(StatusCode::kConflict))),
              409, "conflict");
  ExpectError(
      client.Send("GET", "/status/" + std::to_string(static_cast<int>(StatusCode::kUnavailable))),
      503, "unavailable");
}

TEST(HttpServerTest, GarbageBytesGet400Json) {
  RunningServer server(TestRouter());
  TestClient client(server.port());
  client.SendRaw(std::string("\x16\x03\x01\x02\x00 garbage \xff\xfe\r\n\r\n", 20));
  auto response = client.ReadResponse();
  ExpectError(response, 400, "invalid_argument");
  EXPECT_EQ(response.Header("connection"), "close");
  EXPECT_TRUE(client.ServerClosed());
}

TEST(HttpServerTest, BodyOverLimitGets413) {
  RunningServer server(TestRouter());  // limit 1024
  TestClient client(server.port());
  auto response = client.PostJson("/api/v1/characters",
                                  "{\"name\":\"" + std::string(2000, 'a') + "\"}");
  ExpectError(response, 413, "payload_too_large");
}

TEST(HttpServerTest, JsonBodyErrors) {
  RunningServer server(TestRouter());
  TestClient client(server.port());
  ExpectError(client.Send("POST", "/api/v1/characters", "{}", {{"Content-Type", "text/plain"}}),
              415, "unsupported_media_type", "Content-Type");

  auto invalid = client.PostJson("/api/v1/characters", R"({"name": "a",})");
  ExpectError(invalid, 400, "invalid_argument");
  EXPECT_NE(invalid.Json()["error"]["message"].get<std::string>().find("at byte 13"),
            std::string::npos)
      << invalid.body;

  ExpectError(client.PostJson("/api/v1/characters", R"({"name":"a","nickname":"b"})"), 400,
              "invalid_argument", "nickname");
  ExpectError(client.PostJson("/api/v1/characters", R"({"name":"a","age":"old"})"), 400,
              "invalid_argument", "age");
  ExpectError(client.PostJson("/api/v1/characters", R"({"age":3})"), 400, "invalid_argument",
              "name");

  auto created = client.PostJson("/api/v1/characters", R"({"name":"Ada","age":36})");
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.Json()["name"], "Ada");
}

TEST(HttpServerTest, ThrowingHandlersGet500AndTheServerCarriesOn) {
  RunningServer server(TestRouter());
  TestClient client(server.port());
  auto response = client.Send("GET", "/boom");
  ExpectError(response, 500, "internal");
  EXPECT_EQ(response.body.find("kaboom"), std::string::npos);  // details stay in the log
  ExpectError(client.Send("GET", "/coroutine-boom"), 500, "internal");
  EXPECT_EQ(client.Send("GET", "/slow").body, "slept");
}

TEST(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  RunningServer server(TestRouter());
  TestClient client(server.port());
  auto first = client.Send("GET", "/api/v1/characters/1");
  auto second = client.Send("GET", "/api/v1/characters/2");
  ASSERT_EQ(first.status, 200);
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(first.Json()["remote"], second.Json()["remote"]);  // same client port: one connection
  EXPECT_EQ(second.Json()["id"], "2");
  // An error answered by a handler keeps the connection too.
  EXPECT_EQ(client.Send("GET", "/nope").status, 404);
  EXPECT_EQ(client.Send("GET", "/api/v1/characters/3").status, 200);
}

TEST(HttpServerTest, ExpectContinueIsAnswered) {
  RunningServer server(TestRouter());
  TestClient client(server.port());
  client.SendRaw(
      "POST /api/v1/characters HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Expect: 100-continue\r\nContent-Length: 12\r\n\r\n");
  auto continued = client.ReadResponse();  // Beast's parser reads the 100 as a response
  EXPECT_EQ(continued.status, 100);
  client.SendRaw(R"({"name":"x"})");
  EXPECT_EQ(client.ReadResponse().status, 201);
}

// Waits (in real time, within a generous guard) until `holds` does: for what the server records
// just after the client has seen its effect.
bool Eventually(const std::function<bool()>& holds) {
  for (int i = 0; i < 60'000; ++i) {
    if (holds()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return holds();
}

TEST(HttpServerTest, ABodyThatStopsComingIsCutAtTheTimeoutAndNotBefore) {
  ManualClock clock;
  HttpServerOptions options = TestOptions();
  options.clock = &clock;
  options.request_timeout = std::chrono::seconds(30);
  RunningServer server(TestRouter(), options);
  // The client would wait far longer than the server's timeout: only the server can end this.
  TestClient client(server.port(), std::chrono::minutes(5));
  const std::string head =
      "POST /api/v1/characters HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Expect: 100-continue\r\nContent-Length: 12\r\n\r\n";

  // The body's deadline is set before the 100 Continue is written: reading it is the handshake.
  client.SendRaw(head);
  ASSERT_EQ(client.ReadResponse().status, 100);
  client.SendRaw(R"({"name")");  // 7 of the 12 bytes
  clock.Advance(29'999);
  client.SendRaw(R"(:"x"})");  // a millisecond before the deadline: still read and answered
  EXPECT_EQ(client.ReadResponse().status, 201);

  client.SendRaw(head);
  ASSERT_EQ(client.ReadResponse().status, 100);
  client.SendRaw(R"({"name")");  // and then nothing
  clock.Advance(29'999);
  EXPECT_EQ(clock.pending_timers(), 1u);  // the deadline, still waiting
  clock.Advance(1);
  EXPECT_TRUE(client.ServerClosed());
  auto* requests = static_cast<Counter*>(server.metrics().Find("troupe_http_requests_total"));
  EXPECT_TRUE(Eventually([&] { return requests->Value({"invalid", "OTHER", "408"}) == 1; })) << server.metrics().Render();
}

TEST(HttpServerTest, AnIdleKeepAliveConnectionIsClosedQuietlyAtTheTimeoutAndNotBefore) {
  ManualClock clock;
  HttpServerOptions options = TestOptions();
  options.clock = &clock;
  options.request_timeout = std::chrono::seconds(30);
  RunningServer server(TestRouter(), options);
  TestClient client(server.port(), std::chrono::minutes(5));
  EXPECT_EQ(client.Send("GET", "/healthz").status, 200);
  // Timers set: 1 reading the request, 2 writing the response, 3 waiting for the next request.
  ASSERT_TRUE(clock.WaitForTimersSet(3));
  clock.Advance(29'999);
  EXPECT_EQ(client.Send("GET", "/healthz").status, 200);  // still open a millisecond before

  // 4 and 5 the same again for the second request.
  ASSERT_TRUE(clock.WaitForTimersSet(5));
  clock.Advance(29'999);
  EXPECT_EQ(clock.timers_set(), 5u);  // nothing ran: a closed connection would set no more timers,
  EXPECT_EQ(clock.pending_timers(), 1u);  // but its deadline would be gone
  clock.Advance(1);
  EXPECT_EQ(client.ReadUntilClosed(), "");  // closed, and without an answer
  auto* requests = static_cast<Counter*>(server.metrics().Find("troupe_http_requests_total"));
  EXPECT_EQ(requests->Value({"invalid", "OTHER", "408"}), 0);  // waiting between requests is no fault
}

TEST(HttpServerTest, HealthAndReadiness) {
  RunningServer server(TestRouter());
  TestClient client(server.port());
  auto health = client.Send("GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.Json(), nlohmann::json({{"status", "ok"}}));

  std::atomic<bool> store_up{true};
  server.server().AddReadinessCheck("store", [&] {
    return store_up ? Status::Ok() : Unavailable("database locked");
  });
  server.server().AddReadinessCheck("model", [] { return Status::Ok(); });
  auto ready = client.Send("GET", "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.Json()["checks"]["store"], "ok");

  store_up = false;
  auto not_ready = client.Send("GET", "/readyz");
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_EQ(not_ready.Json()["failed"], nlohmann::json::array({"store"}));
  EXPECT_EQ(not_ready.Json()["checks"]["store"], "unavailable: database locked");

  // Reports add facts without deciding readiness.
  store_up = true;
  server.server().AddReadinessReport("model", [] { return nlohmann::json{{"loaded", false}}; });
  auto reported = client.Send("GET", "/readyz");
  EXPECT_EQ(reported.status, 200);
  EXPECT_EQ(reported.Json()["details"]["model"]["loaded"], false);
}

// Parses the exposition text into sample name (with labels) -> value.
std::map<std::string, double> ParseMetrics(const std::string& text) {
  std::map<std::string, double> samples;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t space = line.rfind(' ');
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

TEST(HttpServerTest, MetricsCountRequestsByRouteTemplate) {
  RunningServer server(TestRouter());
  TestClient client(server.port());
  client.Send("GET", "/api/v1/characters/1");
  client.Send("GET", "/api/v1/characters/2");
  client.Send("GET", "/no/such/path");
  client.Send("GET", "/boom");

  auto response = client.Send("GET", "/metrics");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  std::map<std::string, double> samples = ParseMetrics(response.body);
  EXPECT_EQ(samples[R"(troupe_http_requests_total{route="/api/v1/characters/{id}",method="GET",status="200"})"], 2);
  EXPECT_EQ(samples[R"(troupe_http_requests_total{route="unmatched",method="GET",status="404"})"], 1);
  EXPECT_EQ(samples[R"(troupe_http_requests_total{route="/boom",method="GET",status="500"})"], 1);
  EXPECT_EQ(samples[R"(troupe_http_request_duration_seconds_count{route="/api/v1/characters/{id}"})"], 2);
  EXPECT_EQ(samples[R"(troupe_http_request_duration_seconds_bucket{route="/api/v1/characters/{id}",le="+Inf"})"], 2);
  EXPECT_EQ(samples["troupe_http_requests_in_flight"], 1);  // the /metrics request itself
  EXPECT_EQ(samples["troupe_sse_streams_open"], 0);
  EXPECT_EQ(samples[R"(troupe_build_info{version="1.2.3-test"})"], 1);
  EXPECT_GT(samples["process_resident_memory_bytes"], 0);
  EXPECT_GT(samples["process_open_fds"], 0);
  EXPECT_GT(samples["process_start_time_seconds"], 1.6e9);
  EXPECT_TRUE(samples.count("process_cpu_seconds_total"));
  // No raw path ever becomes a label.
  EXPECT_EQ(response.body.find("/no/such/path"), std::string::npos);

  client.Send("GET", "/api/v1/characters/3");
  samples = ParseMetrics(client.Send("GET", "/metrics").body);
  EXPECT_EQ(samples[R"(troupe_http_requests_total{route="/api/v1/characters/{id}",method="GET",status="200"})"], 3);
  EXPECT_EQ(samples[R"(troupe_http_requests_total{route="/metrics",method="GET",status="200"})"], 1);
}

TEST(HttpServerTest, ListenErrors) {
  MetricsRegistry metrics;
  HttpServerOptions options = TestOptions();
  options.listen = "localhost";
  auto bad = HttpServer::Create(options, Router(), metrics);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().field(), "server.listen");

  RunningServer first(Router{});
  options.listen = "127.0.0.1:" + std::to_string(first.port());
  auto taken = HttpServer::Create(options, Router(), metrics);
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.status().code(), StatusCode::kUnavailable);
}

TEST(HttpServerTest, SigtermStopsTheServer) {
  MetricsRegistry metrics;
  auto created = HttpServer::Create(TestOptions(), TestRouter(), metrics);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  HttpServer& server = *created.value();
  server.StopOnSignals();
  std::thread runner([&] { server.Run(); });
  {
    TestClient client(server.port());
    EXPECT_EQ(client.Send("GET", "/healthz").status, 200);
  }
  std::raise(SIGTERM);
  runner.join();  // Run() returns: the signal stopped it instead of killing the process
}

TEST(HttpServerTest, ADeferredResponseAnswersWhenCompletedFromAnotherThread) {
  std::promise<DeferredResponse> promised;
  Router router;
  router.Add("GET", "/later", [&](Request&) {
    DeferredResponse pending;
    promised.set_value(pending);
    return Response::Later(pending);
  });
  RunningServer server(std::move(router));
  std::thread completer([&] { promised.get_future().get().Complete(Response::Text("at last", 202)); });
  TestClient client(server.port());
  const testing::ClientResponse response = client.Send("GET", "/later");
  completer.join();
  EXPECT_EQ(response.status, 202);
  EXPECT_EQ(response.body, "at last");
}

TEST(HttpServerTest, ADeferredResponseCompletedAfterTheServerIsGoneIsDropped) {
  std::promise<DeferredResponse> promised;
  std::future<DeferredResponse> handed = promised.get_future();
  Router router;
  router.Add("GET", "/later", [&](Request&) {
    DeferredResponse pending;
    promised.set_value(pending);
    return Response::Later(pending);
  });
  ManualClock clock;
  HttpServerOptions options = TestOptions();
  options.clock = &clock;
  options.shutdown_grace = std::chrono::seconds(10);
  auto server = std::make_unique<RunningServer>(std::move(router), options);
  TestClient client(server->port());
  client.SendRaw("GET /later HTTP/1.1\r\nHost: x\r\n\r\n");
  DeferredResponse pending = handed.get();
  server->server().Stop();
  // Timers set: 1 reading the request, 2 the grace. Past it the connection is cancelled, but its
  // handler never answers, so it is the hard stop (3) two seconds later that ends Run.
  ASSERT_TRUE(clock.WaitForTimersSet(2));
  clock.Advance(10'000);
  ASSERT_TRUE(clock.WaitForTimersSet(3));
  clock.Advance(2'000);
  server.reset();  // stopped and destroyed with the response still owed
  pending.Complete(Response::Text("too late"));  // must reach nothing (ASan checks)
  EXPECT_TRUE(client.ServerClosed());
}

TEST(HttpServerTest, StopClosesIdleConnectionsAndRunReturns) {
  // A clock that never moves, so no grace or read timeout ever passes: only closing the idle
  // connection lets Run return.
  ManualClock clock;
  HttpServerOptions options = TestOptions();
  options.clock = &clock;
  RunningServer server(TestRouter(), options);
  TestClient client(server.port());
  EXPECT_EQ(client.Send("GET", "/healthz").status, 200);
  server.StopAndJoin();  // the idle keep-alive connection must not hold it up
  EXPECT_TRUE(client.ServerClosed());
}

}  // namespace
}  // namespace troupe::server
