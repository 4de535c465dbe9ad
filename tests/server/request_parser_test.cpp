#include "server/http/request_parser.h"

#include <gtest/gtest.h>

namespace troupe::server {
namespace {

TEST(ParseRequestBytesTest, ParsesAFullRequest) {
  auto parsed = ParseRequestBytes(
      "POST /api/v1/things?limit=3&q=a+b%21 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 7\r\n\r\n{\"a\":1}",
      RequestLimits{});
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->method, "POST");
  EXPECT_EQ(parsed->path, "/api/v1/things");
  EXPECT_EQ(parsed->QueryParam("limit"), "3");
  EXPECT_EQ(parsed->QueryParam("q"), "a b!");
  EXPECT_EQ(parsed->QueryParam("none"), std::nullopt);
  EXPECT_EQ(parsed->Header("content-type"), "application/json");
  EXPECT_EQ(parsed->body, "{\"a\":1}");
}

TEST(ParseRequestBytesTest, ChunkedBody) {
  auto parsed = ParseRequestBytes(
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
      RequestLimits{});
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->body, "abcde");
}

TEST(ParseRequestBytesTest, GarbageAndTruncationAre400) {
  auto garbage = ParseRequestBytes("\x01\x02 not http\r\n\r\n", RequestLimits{});
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().http_status, 400);
  EXPECT_EQ(ParseRequestBytes("", RequestLimits{}).error().http_status, 400);  // found by fuzzing
  auto truncated = ParseRequestBytes("GET / HTTP/1.1\r\nHost: x\r\n", RequestLimits{});
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().http_status, 400);
}

TEST(ParseRequestBytesTest, LimitsApply) {
  RequestLimits limits;
  limits.body_limit_bytes = 4;
  limits.header_limit_bytes = 64;
  auto big_body = ParseRequestBytes("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", limits);
  ASSERT_FALSE(big_body.ok());
  EXPECT_EQ(big_body.error().http_status, 413);
  EXPECT_EQ(big_body.error().code, "payload_too_large");
  auto big_header =
      ParseRequestBytes("GET / HTTP/1.1\r\nX-Long: " + std::string(100, 'a') + "\r\n\r\n", limits);
  ASSERT_FALSE(big_header.ok());
  EXPECT_EQ(big_header.error().http_status, 400);
}

}  // namespace
}  // namespace troupe::server
