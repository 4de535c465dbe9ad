// response_format on the OpenAI-compatible endpoint: the local engine enforces a JSON schema or
// object token by token (stories260K writes gibberish, but the reply parses and has the schema's
// shape, streamed or not); an OpenAI-compatible provider gets it passed on, and refuses a grammar.
#include "server/openai_routes_fixture.h"

namespace troupe::server::testing {
namespace {

TEST_F(OpenAiRoutesTest, AJsonSchemaResponseFormatGivesJsonOfThatShape) {
  const json schema = {{"type", "object"},
                       {"properties",
                        {{"mood", {{"enum", {"happy", "sad"}}}},
                         {"note", {{"type", "string"}, {"maxLength", 6}}},
                         {"stars", {{"type", "integer"}}}}},
                       {"required", {"mood", "note", "stars"}}};
  const json request = {{"model", "lily"},
                        {"messages", kMessages},
                        {"temperature", 0.9},
                        {"seed", 3},
                        {"max_tokens", 120},
                        {"response_format", {{"type", "json_schema"}, {"json_schema", {{"name", "review"}, {"schema", schema}}}}}};
  ClientResponse whole = Post(request);
  ASSERT_EQ(whole.status, 200) << whole.body;
  const json completion = whole.Json();
  EXPECT_EQ(completion["choices"][0]["finish_reason"], "stop");
  const json reply = json::parse(completion["choices"][0]["message"]["content"].get<std::string>());
  EXPECT_TRUE(reply["mood"] == "happy" || reply["mood"] == "sad") << reply.dump();
  EXPECT_LE(reply["note"].get<std::string>().size(), 6u * 4);
  EXPECT_TRUE(reply["stars"].is_number_integer()) << reply.dump();

  json streamed_request = request;
  streamed_request["stream"] = true;
  std::string joined;
  for (const std::string& data : Stream(streamed_request)) {
    if (data == "[DONE]") break;
    const json chunk = json::parse(data);
    if (!chunk["choices"].empty() && chunk["choices"][0]["delta"].contains("content")) {
      joined += chunk["choices"][0]["delta"]["content"].get<std::string>();
    }
  }
  EXPECT_EQ(json::parse(joined), reply);

  json object_request = request;
  object_request["response_format"] = {{"type", "json_object"}};
  ClientResponse object = Post(object_request);
  ASSERT_EQ(object.status, 200) << object.body;
  const std::string content = object.Json()["choices"][0]["message"]["content"];
  if (object.Json()["choices"][0]["finish_reason"] == "stop") {
    EXPECT_TRUE(json::parse(content).is_object()) << content;
  }
  EXPECT_EQ(content.front(), '{');
}

TEST_F(OpenAiRoutesTest, AResponseFormatReachesAnOpenAiCompatibleProvider) {
  upstream_.Enqueue({200, "text/event-stream", {}, StreamOf({"{\"a\": 1}"}, 31)});
  const json format = {{"type", "json_schema"},
                       {"json_schema", {{"name", "thing"}, {"strict", true}, {"schema", {{"type", "object"}}}}}};
  ClientResponse response = Post({{"model", "relay"}, {"messages", kMessages}, {"response_format", format}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(UpstreamRequest(0)["response_format"], format);
  // A grammar has no OpenAI form: the relay refuses it.
  ExpectOpenAiError(Post({{"model", "relay"},
                          {"messages", kMessages},
                          {"response_format", {{"type", "grammar"}, {"grammar", "root ::= \"x\""}}}}),
                    400, "invalid_request_error", "response_format");
}

}  // namespace
}  // namespace troupe::server::testing
