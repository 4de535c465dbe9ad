// The OpenAI wire format without a network: SSE framing at any chunk boundary, chunk decoding
// (content, tool calls by index, finish reason, usage), whole completions and error bodies.
#include "llm/openai_stream.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace troupe::llm {
namespace {

using ::testing::HasSubstr;

std::vector<SseEvent> ParseInPieces(std::string_view stream, size_t size) {
  SseParser parser;
  std::vector<SseEvent> events;
  for (size_t i = 0; i < stream.size(); i += size) {
    Result<std::vector<SseEvent>> more = parser.Feed(stream.substr(i, size));
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    if (more.ok()) events.insert(events.end(), more->begin(), more->end());
  }
  for (SseEvent& event : parser.Finish()) events.push_back(std::move(event));
  return events;
}

TEST(SseParserTest, EventsAreTheSameWhereverTheBytesBreak) {
  const std::string stream =
      "\xEF\xBB\xBF: keep-alive comment\r\n"
      "data: {\"a\":1}\r\n\r\n"
      "event: update\n"
      "data: line one\n"
      "data:line two\n"
      "id: 7\n"
      "retry: 100\n"
      "\n"
      "garbage without a colon\n"
      "data: cr only\r\r"
      "data: [DONE]\n\n";
  for (size_t size = 1; size <= stream.size(); ++size) {
    const std::vector<SseEvent> events = ParseInPieces(stream, size);
    ASSERT_EQ(events.size(), 4u) << size;
    EXPECT_EQ(events[0].type, "message");
    EXPECT_EQ(events[0].data, "{\"a\":1}");
    EXPECT_EQ(events[1].type, "update");
    EXPECT_EQ(events[1].data, "line one\nline two");
    EXPECT_EQ(events[2].data, "cr only");
    EXPECT_EQ(events[3].data, "[DONE]");
  }
}

TEST(SseParserTest, AnEventWithoutDataIsDroppedAndAnEmptyDataLineIsNot) {
  const std::vector<SseEvent> events = ParseInPieces("event: ping\n\ndata:\n\n", 3);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "");
  EXPECT_EQ(events[0].type, "message");
}

TEST(SseParserTest, FinishKeepsACompleteEventWithoutItsBlankLineAndDropsAHalfLine) {
  SseParser parser;
  ASSERT_TRUE(parser.Feed("data: whole\ndata: half").ok());
  const std::vector<SseEvent> events = parser.Finish();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "whole");
}

TEST(SseParserTest, OverlongLinesAreRefused) {
  SseParser parser(64);
  Result<std::vector<SseEvent>> events = parser.Feed("data: " + std::string(100, 'x'));
  ASSERT_FALSE(events.ok());
  EXPECT_THAT(events.status().message(), HasSubstr("longer than 64 bytes"));
  SseParser many_lines(64);
  std::string lines;
  for (int i = 0; i < 10; ++i) lines += "data: 0123456789\n";
  EXPECT_FALSE(many_lines.Feed(lines).ok());
}

SseEvent Data(std::string data) { return SseEvent{"message", std::move(data)}; }

TEST(ChatStreamDecoderTest, ContentFinishReasonAndUsage) {
  ChatStreamDecoder decoder;
  EXPECT_EQ(*decoder.Apply(Data(R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})")), "");
  EXPECT_EQ(*decoder.Apply(Data(R"({"choices":[{"index":0,"delta":{"content":"Hel"}}]})")), "Hel");
  EXPECT_EQ(*decoder.Apply(Data(R"({"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":null}]})")), "lo");
  EXPECT_EQ(*decoder.Apply(Data(R"({"choices":[{"index":0,"delta":{},"finish_reason":"length"}]})")), "");
  EXPECT_EQ(*decoder.Apply(Data(R"({"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":2,"total_tokens":14}})")),
            "");
  EXPECT_FALSE(decoder.done());
  EXPECT_EQ(*decoder.Apply(Data("[DONE]")), "");
  EXPECT_TRUE(decoder.done());
  EXPECT_EQ(decoder.finish_reason(), "length");
  ASSERT_TRUE(decoder.usage().has_value());
  EXPECT_EQ(decoder.usage()->prompt_tokens, 12);
  EXPECT_EQ(decoder.usage()->completion_tokens, 2);
  EXPECT_EQ(decoder.content_chunks(), 2);
}

TEST(ChatStreamDecoderTest, ReasoningCountsAsTokensButIsNotReply) {
  ChatStreamDecoder decoder;
  EXPECT_EQ(*decoder.Apply(Data(R"({"choices":[{"index":0,"delta":{"role":"assistant"}}]})")), "");
  EXPECT_FALSE(decoder.saw_tokens());
  EXPECT_EQ(*decoder.Apply(Data(R"({"choices":[{"index":0,"delta":{"reasoning_content":"Hmm, the user"}}]})")), "");
  EXPECT_TRUE(decoder.saw_tokens());
  EXPECT_EQ(decoder.content_chunks(), 0);
}

TEST(ChatStreamDecoderTest, ToolCallDeltasMergeByIndex) {
  ChatStreamDecoder decoder;
  const char* chunks[] = {
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]}}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":"{\"tz\":"}}]}}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Oslo\"}"}}]}}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"\"CET\"}"}}]}}]})",
      R"({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})",
  };
  for (const char* chunk : chunks) ASSERT_TRUE(decoder.Apply(Data(chunk)).ok()) << chunk;
  const std::vector<ToolCall> calls = decoder.tool_calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].id, "call_a");
  EXPECT_EQ(calls[0].name, "get_weather");
  EXPECT_EQ(calls[0].arguments_json, "{\"city\":\"Oslo\"}");
  EXPECT_EQ(calls[1].id, "call_b");
  EXPECT_EQ(calls[1].arguments_json, "{\"tz\":\"CET\"}");
  EXPECT_EQ(FinishReasonFromWire(*decoder.finish_reason()), FinishReason::kToolCalls);
}

TEST(ChatStreamDecoderTest, ErrorsAndGarbage) {
  ChatStreamDecoder decoder;
  Result<std::string> not_json = decoder.Apply(Data("{not json"));
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(not_json.status().code(), StatusCode::kInternal);
  EXPECT_THAT(not_json.status().message(), HasSubstr("not JSON: '{not json'"));

  EXPECT_EQ(decoder.Apply(Data("[1,2]")).status().code(), StatusCode::kInternal);
  EXPECT_EQ(decoder.Apply(Data(R"({"choices":[{"delta":{"content":5}}]})")).status().code(), StatusCode::kInternal);

  Result<std::string> reported = decoder.Apply(Data(R"({"error":{"message":"model overloaded","type":"server_error"}})"));
  ASSERT_FALSE(reported.ok());
  EXPECT_EQ(reported.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(reported.status().message(), HasSubstr("model overloaded"));

  Result<std::string> event = decoder.Apply(SseEvent{"error", R"({"message":"upstream gone"})"});
  ASSERT_FALSE(event.ok());
  EXPECT_THAT(event.status().message(), HasSubstr("upstream gone"));

  ChatStreamDecoder small(8);
  EXPECT_TRUE(small.Apply(Data(R"({"choices":[{"delta":{"content":"12345"}}]})")).ok());
  EXPECT_EQ(small.Apply(Data(R"({"choices":[{"delta":{"content":"6789"}}]})")).status().code(), StatusCode::kInternal);
}

TEST(ParseCompletionBodyTest, AWholeCompletion) {
  Result<ChatResult> result = ParseCompletionBody(R"({
    "id": "chatcmpl-1", "object": "chat.completion",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": null,
      "tool_calls": [{"id": "call_1", "type": "function",
                      "function": {"name": "lookup", "arguments": "{\"q\":\"x\"}"}}]},
      "finish_reason": "tool_calls"}],
    "usage": {"prompt_tokens": 30, "completion_tokens": 9}})");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->content, "");
  ASSERT_EQ(result->tool_calls.size(), 1u);
  EXPECT_EQ(result->tool_calls[0].arguments_json, "{\"q\":\"x\"}");
  EXPECT_EQ(result->finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(result->usage.prompt_tokens, 30);

  EXPECT_EQ(ParseCompletionBody("<html>").status().code(), StatusCode::kInternal);
  EXPECT_EQ(ParseCompletionBody(R"({"choices":[]})").status().code(), StatusCode::kInternal);
}

TEST(ErrorMessageFromBodyTest, ServersSayItDifferently) {
  EXPECT_EQ(ErrorMessageFromBody(R"({"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}})"),
            "Incorrect API key provided (code invalid_api_key)");
  EXPECT_EQ(ErrorMessageFromBody(R"({"error":"model not found"})"), "model not found");
  EXPECT_EQ(ErrorMessageFromBody(R"({"detail":"Not Found"})"), "Not Found");
  EXPECT_EQ(ErrorMessageFromBody(R"({"message":"busy","code":503})"), "busy");
  EXPECT_EQ(ErrorMessageFromBody("Bad Gateway\r\n"), "Bad Gateway");
  EXPECT_EQ(ErrorMessageFromBody("line\x1b[31m"), "line [31m");
  EXPECT_EQ(ErrorMessageFromBody(std::string(1000, 'x')).size(), 303u);
  EXPECT_EQ(ErrorMessageFromBody(""), "");
}

}  // namespace
}  // namespace troupe::llm
