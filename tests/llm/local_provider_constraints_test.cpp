// Constrained decoding through the local provider: a JSON schema response_format on stories260K
// always parses and validates, a bad grammar or schema is the caller's error naming the field, and
// a required tool call on the synthetic qwen2 always matches the tool's parameter schema.
#include "llm/local_provider_fixture.h"

namespace troupe::llm {
namespace {

// A required call is constrained from the first token: the random model always produces a whole
// call to one of the tools, with arguments that match its schema.
TEST_F(QwenTemplateTest, ARequiredToolCallAlwaysMatchesTheToolsSchema) {
  std::unique_ptr<Provider> provider = Make();
  ChatRequest request = Ask("What is the weather in Oslo?", 200);
  request.sampling.temperature = 1.0;
  request.tools = {
      {"get_weather", "Weather for a city",
       R"({"type":"object","properties":{"city":{"type":"string","maxLength":12},"days":{"type":"integer"}},
           "required":["city","days"]})"},
      {"get_time", "The time in a zone", R"({"type":"object","properties":{"zone":{"enum":["UTC","CET"]}},"required":["zone"]})"}};
  for (const std::string& choice : {std::string("required"), std::string("get_time")}) {
    for (uint64_t seed = 0; seed < 3; ++seed) {
      SCOPED_TRACE(choice + " seed " + std::to_string(seed));
      request.tool_choice = choice;
      request.sampling.seed = seed;
      std::string streamed;
      ChatCallbacks callbacks;
      callbacks.on_delta = [&](std::string_view delta) { streamed += delta; };
      Result<ChatResult> result = provider->Chat(request, callbacks);
      ASSERT_TRUE(result.ok()) << result.status().ToString();
      EXPECT_EQ(result->finish_reason, FinishReason::kToolCalls) << result->content;
      ASSERT_FALSE(result->tool_calls.empty());
      EXPECT_EQ(streamed, result->content);  // calls are never streamed as text
      for (const ToolCall& call : result->tool_calls) {
        const nlohmann::json arguments = nlohmann::json::parse(call.arguments_json);
        if (call.name == "get_weather") {
          EXPECT_NE(choice, "get_time");
          EXPECT_TRUE(arguments["city"].is_string());
          EXPECT_TRUE(arguments["days"].is_number_integer());
        } else {
          ASSERT_EQ(call.name, "get_time");
          EXPECT_TRUE(arguments["zone"] == "UTC" || arguments["zone"] == "CET") << call.arguments_json;
        }
      }
    }
  }
}

TEST_F(QwenTemplateTest, ARequiredCallToAToolWhoseSchemaCannotBeEnforcedIsRefused) {
  ChatRequest request = Ask("Count", 20);
  request.tools = {{"count", "", R"({"type":"object","properties":{"n":{"type":"integer","minimum":1}}})"}};
  request.tool_choice = "required";
  Result<ChatResult> result = Make()->Chat(request, {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().field(), "tools");
  EXPECT_THAT(result.status().message(), HasSubstr("'minimum' is not supported"));
  // With auto, the same tool leaves calls unchecked rather than refusing the reply.
  request.tool_choice = "auto";
  EXPECT_TRUE(Make()->Chat(request, {}).ok());
}

TEST_F(LocalProviderTest, AJsonSchemaResponseFormatAlwaysParsesAndValidates) {
  std::unique_ptr<Provider> provider = Make();
  ChatRequest request = Ask("Once upon a time", 150);
  request.sampling.temperature = 1.0;
  request.response_format.kind = ResponseFormat::Kind::kJsonSchema;
  request.response_format.schema_json =
      R"({"type":"object","properties":{"hero":{"type":"string","minLength":1,"maxLength":8},
          "friends":{"type":"array","items":{"type":"string","maxLength":4},"maxItems":2},"brave":{"type":"boolean"}},
          "required":["hero","brave"]})";
  for (uint64_t seed = 0; seed < 4; ++seed) {
    request.sampling.seed = seed;
    Result<ChatResult> result = provider->Chat(request, {});
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(result->finish_reason, FinishReason::kStop) << result->content;
    const nlohmann::json reply = nlohmann::json::parse(result->content);
    EXPECT_TRUE(reply["hero"].is_string() && reply["brave"].is_boolean()) << result->content;
    if (reply.contains("friends")) {
      EXPECT_LE(reply["friends"].size(), 2u);
    }
  }
}

TEST_F(LocalProviderTest, ABadGrammarOrSchemaIsTheCallersErrorNamingTheField) {
  std::unique_ptr<Provider> provider = Make();
  ChatRequest request = Ask("Hi", 8);
  request.response_format.kind = ResponseFormat::Kind::kGrammar;
  request.response_format.grammar = "root ::= [a-";
  Result<ChatResult> bad_grammar = provider->Chat(request, {});
  ASSERT_FALSE(bad_grammar.ok());
  EXPECT_EQ(bad_grammar.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_grammar.status().field(), "response_format");
  EXPECT_THAT(bad_grammar.status().message(), HasSubstr("grammar line 1 column"));

  request.response_format.grammar = R"(root ::= "yes" | "no")";
  Result<ChatResult> answer = provider->Chat(request, {});
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_TRUE(answer->content == "yes" || answer->content == "no") << answer->content;

  request.response_format.kind = ResponseFormat::Kind::kJsonSchema;
  request.response_format.schema_json = R"({"type": "string", "pattern": "^a"})";
  Result<ChatResult> bad_schema = provider->Chat(request, {});
  ASSERT_FALSE(bad_schema.ok());
  EXPECT_EQ(bad_schema.status().field(), "response_format");
  EXPECT_THAT(bad_schema.status().message(), HasSubstr("keyword 'pattern' is not supported"));
}

}  // namespace
}  // namespace troupe::llm
