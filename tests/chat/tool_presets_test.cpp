// Ready-made tools (tool_presets.h) and result shapes (result_shape.h): a SearXNG-style search and
// a REST lookup against a real HTTP server on loopback (tests/llm/fault_http_server), and what of
// their answers the model is shown.
#include "chat/tools/tool_presets.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "chat/tools/result_shape.h"
#include "chat/tools/tool_runner.h"
#include "llm/fault_http_server.h"

namespace troupe::chat::tools {
namespace {

using ::testing::HasSubstr;
using ::troupe::testing::FaultHttpServer;
using nlohmann::json;

FaultHttpServer::Response Json(const std::string& body) {
  FaultHttpServer::Response response;
  response.status = 200;
  response.content_type = "application/json";
  response.body_parts = {body};
  response.chunked = false;
  return response;
}

class ToolPresetsTest : public ::testing::Test {
 protected:
  ToolPresetsTest() : runner_(loop_, ToolRunnerOptions{}) {}

  std::string Origin() const {
    const std::string base = backend_.BaseUrl();
    return base.substr(0, base.size() - 3);  // without "/v1"
  }

  HttpTool Parse(const json& definition) {
    Result<HttpTool> tool = ParseHttpTool(definition, "tools[0]");
    EXPECT_TRUE(tool.ok()) << tool.status().ToString();
    return tool.ok() ? *tool : HttpTool{};
  }

  FaultHttpServer backend_;
  llm::CurlLoop loop_;
  ToolRunner runner_;
};

TEST_F(ToolPresetsTest, AWebSearchNeedsOnlyAUrlAndShowsTheModelTheTopResults) {
  const HttpTool search = Parse({{"preset", "web_search"}, {"url", Origin() + "/search"}, {"language", "en"},
                                 {"max_results", 2}, {"allow_private", true}});
  EXPECT_EQ(search.name, "web_search");
  EXPECT_EQ(json::parse(search.parameters_json)["required"], json::array({"query"}));
  backend_.Enqueue(Json(R"({"query":"troupe","number_of_results":3,"results":[
      {"title":"A","url":"https://a.example","content":"first","engine":"x","score":3},
      {"title":"B","url":"https://b.example","content":"second","engine":"y","score":2},
      {"title":"C","url":"https://c.example","content":"third","engine":"z","score":1}]})"));
  const ToolResult result = runner_.RunAndWait(search, R"({"query":"troupe chat & more"})");
  ASSERT_TRUE(result.status.ok()) << result.status.ToString();
  ASSERT_EQ(backend_.requests().size(), 1u);
  EXPECT_EQ(backend_.requests()[0].target, "/search?format=json&q=troupe%20chat%20%26%20more&language=en");
  EXPECT_EQ(json::parse(ShapeResult(search.result, result.body)),
            json::parse(R"([{"title":"A","url":"https://a.example","content":"first"},
                            {"title":"B","url":"https://b.example","content":"second"}])"));
  // Without allow_private, loopback stays out of reach, preset or not.
  const HttpTool public_only = Parse({{"preset", "web_search"}, {"url", Origin() + "/search"}});
  EXPECT_EQ(runner_.RunAndWait(public_only, R"({"query":"x"})").status.code(), StatusCode::kPermissionDenied);
}

TEST_F(ToolPresetsTest, ARestLookupFetchesOneRecordByItsKey) {
  const HttpTool lookup = Parse({{"preset", "rest_lookup"},
                                 {"name", "order_status"},
                                 {"description", "An order's status and delivery date."},
                                 {"url", Origin() + "/orders/{order_id}"},
                                 {"parameter", "order_id"},
                                 {"pointer", "/order"},
                                 {"fields", {"status", "eta"}},
                                 {"allow_private", true}});
  backend_.Enqueue(Json(R"({"order":{"id":"A-17","status":"shipped","eta":"2026-12-09","internal_note":"vip"}})"));
  const ToolResult result = runner_.RunAndWait(lookup, R"({"order_id":"A-17"})");
  ASSERT_TRUE(result.status.ok()) << result.status.ToString();
  EXPECT_EQ(backend_.requests()[0].target, "/orders/A-17");
  EXPECT_EQ(backend_.requests()[0].method, "GET");
  EXPECT_EQ(json::parse(ShapeResult(lookup.result, result.body)), json::parse(R"({"status":"shipped","eta":"2026-12-09"})"));
  // The model's key is checked like any argument: nothing is sent for a missing one.
  EXPECT_EQ(runner_.RunAndWait(lookup, "{}").status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(backend_.requests().size(), 1u);
}

TEST(ToolPresetTest, MistakesAreNamed) {
  const auto field = [](const json& definition) {
    Result<HttpTool> tool = ParseHttpTool(definition, "tools[1]");
    return tool.ok() ? std::string("ok") : tool.status().field();
  };
  EXPECT_EQ(field({{"preset", "search"}, {"url", "https://s.example/search"}}), "tools[1].preset");
  EXPECT_EQ(field({{"preset", "web_search"}}), "tools[1].url");
  EXPECT_EQ(field({{"preset", "web_search"}, {"url", "https://s.example/{x}"}}), "tools[1].url");
  EXPECT_EQ(field({{"preset", "web_search"}, {"url", "https://s.example/search"}, {"method", "POST"}}),
            "tools[1].method");
  EXPECT_EQ(field({{"preset", "web_search"}, {"url", "https://s.example/search"}, {"max_results", 50}}),
            "tools[1].max_results");
  EXPECT_EQ(field({{"preset", "web_search"}, {"url", "https://s.example/search"}, {"language", "en&x=1"}}),
            "tools[1].language");
  EXPECT_EQ(field({{"preset", "rest_lookup"}, {"name", "o"}, {"description", "d"}, {"url", "https://s.example/o"}}),
            "tools[1].url");
  EXPECT_EQ(field({{"preset", "rest_lookup"}, {"description", "d"}, {"url", "https://s.example/o/{id}"}}),
            "tools[1].name");
  EXPECT_EQ(field({{"preset", "web_search"}, {"url", "ftp://s.example/search"}}), "tools[1].http.url");
  EXPECT_EQ(field({{"name", "t"}, {"http", {{"url", "https://s.example/"}}}, {"result", {{"pointer", "results"}}}}),
            "tools[1].result.pointer");
  EXPECT_EQ(field({{"name", "t"}, {"http", {{"url", "https://s.example/"}}}, {"result", {{"max_items", 0}}}}),
            "tools[1].result.max_items");
}

TEST(ResultShapeTest, WhatTheShapeCannotReadIsPassedOnAsItIs) {
  ResultShape shape;
  shape.pointer = "/results";
  EXPECT_EQ(ShapeResult(shape, "plain text answer"), "plain text answer");
  EXPECT_THAT(ShapeResult(shape, R"({"items":[]})"), HasSubstr("nothing at /results"));
  EXPECT_EQ(ShapeResult(ResultShape{}, R"({"a":1})"), R"({"a":1})");
  shape.fields = {"a"};
  EXPECT_EQ(ShapeResult(shape, R"({"results":[{"a":1,"b":2},3]})"), R"([{"a":1},3])");
}

}  // namespace
}  // namespace troupe::chat::tools
