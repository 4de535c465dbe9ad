// Tools on a backend: a real HTTP server on loopback (tests/llm/fault_http_server) stands for the
// operator's backend. Loopback is a private address, so the tools that must reach it say
// allow_private; the ones that must not, don't. Checked: the request as sent (path, query, body,
// secrets in headers), argument validation before anything is sent, SSRF refusals (a private
// address, a host not allowed, a redirect), retries, timeouts, the size cap and the audit record.
#include "chat/tools/tool_runner.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "llm/fault_http_server.h"

namespace troupe::chat::tools {
namespace {

using ::testing::HasSubstr;
using ::troupe::testing::FaultHttpServer;

FaultHttpServer::Response Json(int status, std::string body) {
  FaultHttpServer::Response response;
  response.status = status;
  response.content_type = "application/json";
  response.body_parts = {std::move(body)};
  response.chunked = false;
  return response;
}

class ToolRunnerTest : public ::testing::Test {
 protected:
  ToolRunnerTest() : runner_(loop_, Options()) {}

  static ToolRunnerOptions Options() {
    ToolRunnerOptions options;
    options.secrets = {{"BACKEND_TOKEN", "s3cr3t-token"}};
    options.retry_backoff_ms = 1;
    options.max_response_bytes = 4096;
    return options;
  }

  // "http://127.0.0.1:PORT" of the backend.
  std::string Origin() const {
    const std::string base = backend_.BaseUrl();
    return base.substr(0, base.size() - 3);  // without "/v1"
  }

  HttpTool Tool(const std::string& json_http, const std::string& extra = "") {
    const std::string definition = R"({"name":"get_balance","description":"Balance.",
      "parameters":{"type":"object","properties":{"customer_id":{"type":"string"},"month":{"type":"integer"},
                    "pin":{"type":"string"}},"required":["customer_id"]},
      "http":)" + json_http + extra + "}";
    Result<HttpTool> tool = ParseHttpTool(nlohmann::json::parse(definition), "tools[0]");
    EXPECT_TRUE(tool.ok()) << tool.status().ToString();
    return tool.ok() ? *tool : HttpTool{};
  }

  HttpTool LocalGet() {
    return Tool(R"({"method":"GET","url":")" + Origin() +
                R"(/customers/{customer_id}/balance","headers":{"Authorization":"Bearer ${secret:BACKEND_TOKEN}"},
                "allow_private":true,"retries":2})");
  }

  FaultHttpServer backend_;
  llm::CurlLoop loop_;
  ToolRunner runner_;
};

TEST_F(ToolRunnerTest, CallsTheEndpointWithArgumentsAndSecrets) {
  backend_.Enqueue(Json(200, R"({"balance":"12.50 EUR"})"));
  const ToolResult result = runner_.RunAndWait(LocalGet(), R"({"customer_id":"c/42 x","month":11,"pin":"1234"})");
  ASSERT_TRUE(result.status.ok()) << result.status.ToString();
  EXPECT_EQ(result.http_status, 200);
  EXPECT_EQ(result.body, R"({"balance":"12.50 EUR"})");
  EXPECT_EQ(result.content_type, "application/json");
  ASSERT_EQ(backend_.requests().size(), 1u);
  const FaultHttpServer::Request sent = backend_.requests()[0];
  EXPECT_EQ(sent.method, "GET");
  EXPECT_EQ(sent.target, "/customers/c%2F42%20x/balance?month=11&pin=1234");
  EXPECT_EQ(sent.headers.at("authorization"), "Bearer s3cr3t-token");

  const ToolAudit& audit = result.audit;
  EXPECT_EQ(audit.tool, "get_balance");
  EXPECT_EQ(audit.outcome, "ok");
  EXPECT_EQ(audit.http_status, 200);
  EXPECT_EQ(audit.attempts, 1);
  EXPECT_EQ(nlohmann::json::parse(audit.arguments_json)["pin"], "***");
  EXPECT_EQ(nlohmann::json::parse(audit.arguments_json)["customer_id"], "c/42 x");
  EXPECT_EQ(audit.ToJson().dump().find("s3cr3t"), std::string::npos);
}

TEST_F(ToolRunnerTest, PostsTheArgumentsAsJson) {
  backend_.Enqueue(Json(201, R"({"ok":true})"));
  const HttpTool tool =
      Tool(R"({"method":"post","url":")" + Origin() + R"(/customers/{customer_id}/topups","allow_private":true})",
           R"(,"confirm":true)");
  EXPECT_TRUE(tool.confirm);
  const ToolResult result = runner_.RunAndWait(tool, R"({"customer_id":"42","month":3})");
  ASSERT_TRUE(result.status.ok()) << result.status.ToString();
  const FaultHttpServer::Request sent = backend_.requests().at(0);
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.target, "/customers/42/topups");
  EXPECT_EQ(nlohmann::json::parse(sent.body), nlohmann::json::parse(R"({"month":3})"));
  EXPECT_EQ(sent.headers.at("content-type"), "application/json");
}

TEST_F(ToolRunnerTest, BadArgumentsAreRefusedBeforeAnythingIsSent) {
  const ToolResult wrong_type = runner_.RunAndWait(LocalGet(), R"({"customer_id":42})");
  EXPECT_EQ(wrong_type.status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(wrong_type.status.message(), HasSubstr("arguments: $.customer_id"));
  EXPECT_EQ(runner_.RunAndWait(LocalGet(), R"({"month":1})").status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(runner_.RunAndWait(LocalGet(), "not json").status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(wrong_type.audit.outcome, "invalid_argument");
  EXPECT_TRUE(backend_.requests().empty());
}

TEST_F(ToolRunnerTest, PrivateAddressesAreRefusedUnlessAllowed) {
  backend_.SetDefault(Json(200, "{}"));
  // The same backend, by IP and by a name that resolves to loopback: refused at the connection.
  for (const std::string& host : {std::string("127.0.0.1"), std::string("localhost")}) {
    const std::string port = Origin().substr(Origin().rfind(':'));
    const HttpTool tool = Tool(R"({"url":"http://)" + host + port + R"(/customers/{customer_id}"})");
    const ToolResult result = runner_.RunAndWait(tool, R"({"customer_id":"1"})");
    EXPECT_EQ(result.status.code(), StatusCode::kPermissionDenied) << host;
    EXPECT_THAT(result.status.message(), HasSubstr("a private or local address the tool may not reach")) << host;
  }
  EXPECT_TRUE(backend_.requests().empty());

  sockaddr_in address{};
  address.sin_family = AF_INET;
  for (const char* ip : {"10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0"}) {
    inet_pton(AF_INET, ip, &address.sin_addr);
    EXPECT_TRUE(IsPrivateAddress(reinterpret_cast<sockaddr*>(&address))) << ip;
  }
  for (const char* ip : {"8.8.8.8", "1.1.1.1", "172.32.0.1"}) {
    inet_pton(AF_INET, ip, &address.sin_addr);
    EXPECT_FALSE(IsPrivateAddress(reinterpret_cast<sockaddr*>(&address))) << ip;
  }
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  for (const char* ip : {"::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::"}) {
    inet_pton(AF_INET6, ip, &v6.sin6_addr);
    EXPECT_TRUE(IsPrivateAddress(reinterpret_cast<sockaddr*>(&v6))) << ip;
  }
  inet_pton(AF_INET6, "2606:4700::1111", &v6.sin6_addr);
  EXPECT_FALSE(IsPrivateAddress(reinterpret_cast<sockaddr*>(&v6)));
}

TEST_F(ToolRunnerTest, OnlyAllowedHostsAndNoRedirects) {
  const HttpTool other_host = Tool(R"({"url":"http://{customer_id}/x","allowed_hosts":["api.example.com"]})");
  const ToolResult steered = runner_.RunAndWait(other_host, R"({"customer_id":"169.254.169.254"})");
  EXPECT_EQ(steered.status.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(steered.status.message(), HasSubstr("'169.254.169.254' is not among the tool's allowed hosts"));

  FaultHttpServer::Response redirect = Json(302, "");
  redirect.headers = {{"Location", "http://169.254.169.254/latest/meta-data"}};
  backend_.Enqueue(redirect);
  const ToolResult redirected = runner_.RunAndWait(LocalGet(), R"({"customer_id":"1"})");
  EXPECT_EQ(redirected.status.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(redirected.status.message(), HasSubstr("redirect to http://169.254.169.254/latest/meta-data"));
  EXPECT_EQ(backend_.requests().size(), 1u);

  EXPECT_FALSE(ParseHttpTool(nlohmann::json::parse(R"({"name":"x","http":{"url":"file:///etc/passwd"}})"), "t").ok());
  EXPECT_FALSE(ParseHttpTool(nlohmann::json::parse(R"({"name":"x","http":{"url":"http://{h}/"}})"), "t").ok());
}

TEST_F(ToolRunnerTest, IdempotentCallsAreRetriedOthersAreNot) {
  backend_.Enqueue(Json(503, "busy"));
  backend_.Enqueue(Json(200, R"({"balance":1})"));
  const ToolResult retried = runner_.RunAndWait(LocalGet(), R"({"customer_id":"1"})");
  ASSERT_TRUE(retried.status.ok()) << retried.status.ToString();
  EXPECT_EQ(retried.audit.attempts, 2);

  backend_.Enqueue(Json(503, "busy"));
  const HttpTool post =
      Tool(R"({"method":"POST","url":")" + Origin() + R"(/customers/{customer_id}","allow_private":true,"retries":3})");
  const ToolResult once = runner_.RunAndWait(post, R"({"customer_id":"1"})");
  EXPECT_EQ(once.status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(once.audit.attempts, 1);
  EXPECT_EQ(once.audit.http_status, 503);

  backend_.Enqueue(Json(404, R"({"error":"no such customer"})"));
  const ToolResult missing = runner_.RunAndWait(LocalGet(), R"({"customer_id":"9"})");
  EXPECT_EQ(missing.status.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(missing.body, R"({"error":"no such customer"})");  // the backend's own words, for the model
}

TEST_F(ToolRunnerTest, TimeoutsSizeCapAndMissingSecrets) {
  FaultHttpServer::Response stall = Json(200, "");
  stall.stall_before_headers = true;
  backend_.Enqueue(stall);
  HttpTool slow = LocalGet();
  slow.timeout_ms = 200;
  slow.retries = 0;
  EXPECT_EQ(runner_.RunAndWait(slow, R"({"customer_id":"1"})").status.code(), StatusCode::kDeadlineExceeded);

  backend_.Enqueue(Json(200, std::string(5000, 'x')));
  const ToolResult big = runner_.RunAndWait(LocalGet(), R"({"customer_id":"1"})");
  EXPECT_EQ(big.status.code(), StatusCode::kPayloadTooLarge);

  HttpTool unconfigured = LocalGet();
  unconfigured.headers["X-Key"] = "${secret:MISSING}";
  const ToolResult missing = runner_.RunAndWait(unconfigured, R"({"customer_id":"1"})");
  EXPECT_EQ(missing.status.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(missing.status.message(), HasSubstr("the secret 'MISSING' is not configured"));
}

TEST(HttpToolTest, AuditsMaskSecretsCredentialsAndPersonalData) {
  const nlohmann::json masked = nlohmann::json::parse(MaskArguments(
      R"({"api_token":"abc","card_number":"4111111111111111","note":"mail jane@example.com","nested":{"pin":"1234"},
         "header":"uses s3cr3t inside","customer_id":"c42"})",
      {{"KEY", "s3cr3t"}}));
  EXPECT_EQ(masked["api_token"], "***");
  EXPECT_EQ(masked["card_number"], "***");
  EXPECT_EQ(masked["note"], "mail [email]");
  EXPECT_EQ(masked["nested"]["pin"], "***");
  EXPECT_EQ(masked["header"], "***");
  EXPECT_EQ(masked["customer_id"], "c42");
  EXPECT_EQ(MaskArguments("not json", {}), "\"(not JSON)\"");
}

TEST(HttpToolTest, DefinitionErrorsNameTheField) {
  auto error = [](const std::string& json) {
    Result<std::vector<HttpTool>> tools = ParseHttpTools(json, "tools");
    EXPECT_FALSE(tools.ok()) << json;
    return tools.ok() ? "" : tools.status().message();
  };
  EXPECT_THAT(error(R"([{"name":"a b","http":{"url":"https://x.example"}}])"), HasSubstr("tools[0].name: 1 to 64"));
  EXPECT_THAT(error(R"([{"name":"a","http":{"url":"https://x.example","method":"TRACE"}}])"),
              HasSubstr("tools[0].http.method: expected GET, POST"));
  EXPECT_THAT(error(R"([{"name":"a","http":{"url":"https://x.example","timeout_ms":0}}])"),
              HasSubstr("tools[0].http.timeout_ms"));
  EXPECT_THAT(error(R"([{"name":"a","parameters":{"type":"object","properties":{"x":{"type":"string","pattern":"a"}}},
                        "http":{"url":"https://x.example"}}])"),
              HasSubstr("tools[0].parameters: "));
  EXPECT_THAT(error(R"([{"name":"a","http":{"url":"https://x.example"}},{"name":"a","http":{"url":"https://x.example"}}])"),
              HasSubstr("tools[1].name: 'a' is defined twice"));
  EXPECT_THAT(error(R"([{"name":"a","http":{"url":"https://x.example","headers":{"X":"a\nb"}}}])"),
              HasSubstr("cannot hold a line break"));
  EXPECT_THAT(error(R"({"name":"a"})"), HasSubstr("tools: expected a list of tools"));
  Result<std::vector<HttpTool>> ok = ParseHttpTools(R"([{"name":"a","http":{"url":"https://API.example.com/x"}}])", "t");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->front().allowed_hosts, std::vector<std::string>{"api.example.com"});
  EXPECT_EQ(ok->front().method, "GET");
}

}  // namespace
}  // namespace troupe::chat::tools

namespace troupe::chat::tools {
namespace {

TEST(ToolCallerTest, CallerValuesFillTheUrlAndHeadersAndNeverBreakAHeader) {
  Result<HttpTool> tool = ParseHttpTool(
      nlohmann::json::parse(R"({"name":"balance","http":{"url":"https://api.example/c/{caller.user_id}/b",
        "headers":{"X-Customer":"{caller.user_id}","Authorization":"Bearer ${secret:T}"}}})"),
      "tools[0]");
  ASSERT_TRUE(tool.ok()) << tool.status().ToString();
  Result<PreparedRequest> request = PrepareRequest(*tool, "{}", {{"T", "tok"}}, {{"user_id", "kim 42/x"}});
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(request->url, "https://api.example/c/kim%2042%2Fx/b");
  EXPECT_THAT(request->headers, ::testing::Contains("X-Customer: kim 42/x"));
  EXPECT_THAT(request->headers, ::testing::Contains("Authorization: Bearer tok"));
  EXPECT_EQ(PrepareRequest(*tool, "{}", {{"T", "tok"}}, {{"user_id", "a\r\nX-Evil: 1"}}).status().code(),
            StatusCode::kFailedPrecondition);
  // Without the caller's value the call is refused, never sent with the placeholder.
  EXPECT_EQ(PrepareRequest(*tool, "{}", {{"T", "tok"}}).status().code(), StatusCode::kFailedPrecondition);
  // A caller's value is not read for secrets.
  Result<PreparedRequest> literal = PrepareRequest(*tool, "{}", {{"T", "tok"}}, {{"user_id", "${secret:T}"}});
  ASSERT_TRUE(literal.ok());
  EXPECT_THAT(literal->headers, ::testing::Contains("X-Customer: ${secret:T}"));
}

}  // namespace
}  // namespace troupe::chat::tools
