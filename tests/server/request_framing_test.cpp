// Requests whose framing two readers could disagree on (RFC 9112 §6) are refused and their
// connection closed, over a real socket and through the byte-level parser alike; HEAD answers
// like GET without a body. These are the request-smuggling regressions an outside probe found.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/http/request_parser.h"
#include "server/server_fixture.h"
#include "server/test_client.h"

namespace troupe::server {
namespace {

using testing::RunningServer;
using testing::TestClient;

// /whoami echoes the Authorization header, so a smuggled request would show up as a second answer.
Router EchoRouter() {
  Router router;
  router.Add("GET", "/whoami", [](Request& request) {
    return Response::Json({{"authorization", std::string(request.Header("Authorization").value_or(""))}});
  });
  router.Add("POST", "/echo", [](Request& request) { return Response::Text(request.body); });
  router.Add("GET", "/page", [](Request&) { return Response::Text("twelve bytes", 200, "text/plain"); });
  router.Add("DELETE", "/page", [](Request&) { return Response::Text("", 204); });
  return router;
}

// A request with a body, then a pipelined GET /whoami carrying another key: the body must never be
// read as that second request.
std::string Smuggling(const std::string& framing_headers) {
  const std::string hidden = "GET /whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer someone-elses-key\r\n\r\n";
  return "POST /echo HTTP/1.1\r\nHost: x\r\n" + framing_headers + "\r\n" + hidden;
}

struct RefusedCase {
  std::string name;
  std::string request;
  int status;
};

std::vector<RefusedCase> RefusedCases() {
  const std::string chunk = "5\r\nhello\r\n0\r\n\r\n";
  return {
      {"gzip alone", Smuggling("Transfer-Encoding: gzip\r\n"), 400},
      {"identity", Smuggling("Transfer-Encoding: identity\r\n"), 400},
      {"xchunked", Smuggling("Transfer-Encoding: xchunked\r\n"), 400},
      {"xchunked with Content-Length", Smuggling("Transfer-Encoding: xchunked\r\nContent-Length: 5\r\n") , 400},
      {"chunked with Content-Length",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n" + chunk, 400},
      {"chunked not last", Smuggling("Transfer-Encoding: chunked, gzip\r\n"), 400},
      {"chunked twice", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n" + chunk, 400},
      {"gzip then chunked", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" + chunk, 501},
      {"two fields gzip and chunked",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk, 501},
      {"HTTP/1.0 with chunked", "POST /echo HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk, 400},
      {"two Authorization headers",
       "GET /whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n\r\n", 400},
      {"two X-Troupe-User headers",
       "GET /whoami HTTP/1.1\r\nHost: x\r\nX-Troupe-User: ann\r\nx-troupe-user: bob\r\n\r\n", 400},
      {"two Host headers", "GET /whoami HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400},
      {"two Content-Type headers",
       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Type: application/json\r\n"
       "Content-Length: 2\r\n\r\n{}", 400},
  };
}

TEST(RequestFramingTest, AmbiguousFramingIsRefusedAndTheConnectionClosedBeforeAnyBodyIsRead) {
  RunningServer server(EchoRouter());
  for (const RefusedCase& refused : RefusedCases()) {
    SCOPED_TRACE(refused.name);
    TestClient client(server.port());
    client.SendRaw(refused.request);
    // Exactly one answer, then the connection ends: nothing after the header is served.
    const std::string everything = client.ReadUntilClosed();
    EXPECT_EQ(everything.rfind("HTTP/1.1 " + std::to_string(refused.status), 0), 0u) << everything;
    EXPECT_EQ(everything.find("HTTP/1.1", 1), std::string::npos) << everything;
    EXPECT_EQ(everything.find("someone-elses-key"), std::string::npos) << everything;
    EXPECT_NE(everything.find("Connection: close"), std::string::npos) << everything;
  }
}

TEST(RequestFramingTest, ByteParserRefusesTheSameRequests) {
  for (const RefusedCase& refused : RefusedCases()) {
    SCOPED_TRACE(refused.name);
    auto parsed = ParseRequestBytes(refused.request, RequestLimits{});
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().http_status, refused.status) << parsed.error().message;
    EXPECT_EQ(parsed.error().code, refused.status == 501 ? "not_implemented" : "invalid_argument");
  }
}

TEST(RequestFramingTest, ErrorsNameTheProblem) {
  auto gzip = ParseRequestBytes(Smuggling("Transfer-Encoding: gzip\r\n"), RequestLimits{});
  ASSERT_FALSE(gzip.ok());
  EXPECT_NE(gzip.error().message.find("last transfer coding must be chunked, got 'gzip'"), std::string::npos)
      << gzip.error().message;
  auto both = ParseRequestBytes(Smuggling("Transfer-Encoding: gzip\r\nContent-Length: 3\r\n"), RequestLimits{});
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().message.find("both Transfer-Encoding and Content-Length"), std::string::npos);
  auto twice = ParseRequestBytes("GET / HTTP/1.1\r\nAuthorization: a\r\nAUTHORIZATION: b\r\n\r\n", RequestLimits{});
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("authorization header is given 2 times"), std::string::npos)
      << twice.error().message;
  // A hostile coding name is quoted short.
  auto long_name = ParseRequestBytes(Smuggling("Transfer-Encoding: " + std::string(5000, 'x') + "\r\n"),
                                     RequestLimits{});
  ASSERT_FALSE(long_name.ok());
  EXPECT_LT(long_name.error().message.size(), 200u);
}

TEST(RequestFramingTest, ChunkedAloneAndCaseInsensitiveCodingsAreServed) {
  RunningServer server(EchoRouter());
  TestClient client(server.port());
  client.SendRaw("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  auto response = client.ReadResponse();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello");
  // The connection stays usable: the next request is its own.
  auto next = client.Send("GET", "/whoami", "", {{"Authorization", "Bearer mine"}});
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.Json()["authorization"], "Bearer mine");
}

TEST(RequestFramingTest, HeadAnswersLikeGetWithoutABody) {
  RunningServer server(EchoRouter());
  TestClient client(server.port());
  // HEAD then GET on one connection: if HEAD sent a body, the GET's answer would be misread.
  client.SendRaw("HEAD /page HTTP/1.1\r\nHost: x\r\n\r\nGET /page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string both = client.ReadUntilClosed();
  const size_t second = both.find("HTTP/1.1 200", 1);
  ASSERT_NE(second, std::string::npos) << both;
  const std::string head = both.substr(0, second);
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
  EXPECT_NE(head.find("Content-Length: 12\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Content-Type: text/plain"), std::string::npos) << head;
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n") << "no body after HEAD's header: " << head;
  EXPECT_NE(both.find("twelve bytes", second), std::string::npos) << both;
}

TEST(RequestFramingTest, HeadOnARouteWithoutGetIs405) {
  RunningServer server(EchoRouter());
  TestClient client(server.port());
  client.SendRaw("HEAD /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string answer = client.ReadUntilClosed();
  EXPECT_EQ(answer.rfind("HTTP/1.1 405", 0), 0u) << answer;
  EXPECT_NE(answer.find("Allow: POST\r\n"), std::string::npos) << answer;
  EXPECT_EQ(answer.substr(answer.size() - 4), "\r\n\r\n") << "a HEAD answer has no body: " << answer;
}

TEST(RequestFramingTest, EveryResponseCarriesARequestId) {
  RunningServer server(EchoRouter());
  TestClient client(server.port());
  auto first = client.Send("GET", "/whoami");
  auto second = client.Send("GET", "/nowhere");
  EXPECT_EQ(first.Header("x-request-id").rfind("r-", 0), 0u);
  EXPECT_EQ(first.Header("x-request-id").size(), 18u);
  EXPECT_EQ(second.status, 404);
  EXPECT_NE(first.Header("x-request-id"), second.Header("x-request-id"));
}

}  // namespace
}  // namespace troupe::server
