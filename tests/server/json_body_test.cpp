#include "server/http/json_body.h"

#include <gtest/gtest.h>

namespace troupe::server {
namespace {

TEST(ParseJsonBodyTest, AcceptsJsonWithCharset) {
  auto parsed = ParseJsonBody(std::string_view("Application/JSON; charset=utf-8"), R"({"a":1})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed.value()["a"], 1);
}

TEST(ParseJsonBodyTest, WrongOrMissingContentTypeIs415) {
  auto wrong = ParseJsonBody(std::string_view("text/plain"), "{}");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().http_status, 415);
  EXPECT_EQ(wrong.error().code, "unsupported_media_type");
  EXPECT_EQ(wrong.error().field, "Content-Type");

  auto missing = ParseJsonBody(std::nullopt, "{}");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().http_status, 415);
}

TEST(ParseJsonBodyTest, InvalidJsonNamesTheByteOffset) {
  auto parsed = ParseJsonBody(std::string_view("application/json"), R"({"name": tru})");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().http_status, 400);
  EXPECT_EQ(parsed.error().code, "invalid_argument");
  EXPECT_NE(parsed.error().message.find("at byte 12"), std::string::npos) << parsed.error().message;
}

TEST(ParseJsonBodyTest, EmptyAndTooDeepBodiesAre400) {
  EXPECT_EQ(ParseJsonBody(std::string_view("application/json"), "").error().http_status, 400);
  std::string deep(kMaxJsonDepth + 1, '[');
  auto parsed = ParseJsonBody(std::string_view("application/json"), deep);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("nested deeper"), std::string::npos);
  // Brackets inside strings do not count.
  std::string in_string = "\"" + deep + "\"";
  EXPECT_TRUE(ParseJsonBody(std::string_view("application/json"), in_string).ok());
}

TEST(ParseJsonBodyTest, ARepeatedKeyIsRefusedNamingIt) {
  auto top = ParseJsonBody(std::string_view("application/json"), R"({"name":"a","scopes":["client"],"name":"b"})");
  ASSERT_FALSE(top.ok());
  EXPECT_EQ(top.error().http_status, 400);
  EXPECT_EQ(top.error().message, "the key 'name' appears twice in one JSON object; send each key once");
  EXPECT_EQ(top.error().field, "name");
  auto nested = ParseJsonBody(std::string_view("application/json"), R"({"a":{"x":1,"y":2,"x":3}})");
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.error().field, "x");
  // The same key in different objects, and in arrays of objects, is fine.
  EXPECT_TRUE(ParseJsonBody(std::string_view("application/json"), R"({"x":{"x":1},"l":[{"x":1},{"x":2}]})").ok());
  // A key that differs only by escaping is the same key.
  EXPECT_FALSE(ParseJsonBody(std::string_view("application/json"), R"({"k":1,"k":2})").ok());
}

TEST(ParseJsonBodyTest, ErrorsQuoteOnlyAShortExcerptOfWhatWasSent) {
  const std::string huge_number = "{\"n\":" + std::string(100'000, '9') + "}";
  auto number = ParseJsonBody(std::string_view("application/json"), huge_number);
  ASSERT_FALSE(number.ok());
  EXPECT_EQ(number.error().http_status, 400);
  EXPECT_LT(number.error().message.size(), 300u) << number.error().message.substr(0, 400);
  const std::string long_literal = "{\"n\":" + std::string(100'000, 't') + "}";
  auto literal = ParseJsonBody(std::string_view("application/json"), long_literal);
  ASSERT_FALSE(literal.ok());
  EXPECT_LT(literal.error().message.size(), 300u);
  // A long unknown field name is cut short in the reader's error too.
  const nlohmann::json body = {{std::string(10'000, 'k'), 1}};
  JsonObjectReader reader(body);
  Status finished = reader.Finish();
  EXPECT_LT(finished.message().size(), 200u);
}

TEST(JsonObjectReaderTest, ReadsTypedFields) {
  nlohmann::json body = nlohmann::json::parse(
      R"({"name":"Ada","limit":5,"temperature":0.5,"stream":true,"tags":["a"],"meta":{"k":1},"gone":null})");
  JsonObjectReader reader(body);
  EXPECT_EQ(reader.RequireString("name"), "Ada");
  EXPECT_EQ(reader.OptionalInt("limit", 1, 100), 5);
  EXPECT_EQ(reader.OptionalNumber("temperature"), 0.5);
  EXPECT_EQ(reader.OptionalBool("stream"), true);
  EXPECT_NE(reader.OptionalArray("tags"), nullptr);
  EXPECT_NE(reader.OptionalObject("meta"), nullptr);
  EXPECT_EQ(reader.OptionalString("gone"), std::nullopt);  // null counts as absent
  EXPECT_EQ(reader.OptionalString("absent"), std::nullopt);
  EXPECT_TRUE(reader.Finish().ok());
}

TEST(JsonObjectReaderTest, UnknownFieldIsNamed) {
  nlohmann::json body = nlohmann::json::parse(R"({"name":"Ada","colour":"red"})");
  JsonObjectReader reader(body);
  (void)reader.RequireString("name");
  Status status = reader.Finish();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.field(), "colour");
  EXPECT_NE(status.message().find("unknown field"), std::string::npos);
}

TEST(JsonObjectReaderTest, WrongTypeMissingAndRangeErrorsNameTheField) {
  nlohmann::json body = nlohmann::json::parse(R"({"name":7,"limit":1.5,"count":1000})");
  {
    JsonObjectReader reader(body);
    (void)reader.RequireString("name");
    Status status = reader.Finish();
    EXPECT_EQ(status.field(), "name");
    EXPECT_NE(status.message().find("must be a string, not integer"), std::string::npos)
        << status.message();
  }
  {
    JsonObjectReader reader(body);
    (void)reader.OptionalInt("limit");
    EXPECT_EQ(reader.Finish().field(), "limit");
  }
  {
    JsonObjectReader reader(body);
    (void)reader.OptionalInt("count", 1, 100);
    Status status = reader.Finish();
    EXPECT_EQ(status.field(), "count");
    EXPECT_NE(status.message().find("between 1 and 100"), std::string::npos);
  }
  {
    JsonObjectReader reader(body);
    (void)reader.RequireString("missing");
    EXPECT_EQ(reader.Finish().field(), "missing");
  }
}

TEST(JsonObjectReaderTest, NestedReaderPrefixesThePath) {
  nlohmann::json body = nlohmann::json::parse(R"({"sampling":{"temperature":"hot"}})");
  JsonObjectReader reader(body);
  const nlohmann::json* sampling = reader.OptionalObject("sampling");
  ASSERT_NE(sampling, nullptr);
  JsonObjectReader nested(*sampling, reader.FieldPath("sampling"));
  (void)nested.OptionalNumber("temperature");
  Status status = nested.Finish();
  EXPECT_EQ(status.field(), "sampling.temperature");
}

TEST(JsonObjectReaderTest, NonObjectBodyIsRejected) {
  nlohmann::json body = nlohmann::json::parse("[1,2]");
  JsonObjectReader reader(body);
  (void)reader.RequireString("name");
  Status status = reader.Finish();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("must be a JSON object, not array"), std::string::npos);
}

}  // namespace
}  // namespace troupe::server
