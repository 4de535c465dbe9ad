// The text filters a provider runs over a streamed reply: stop strings spread over pieces, and
// Hermes/Qwen tool-call blocks kept out of the streamed text.
#include "llm/stream_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace troupe::llm {
namespace {

// Feeds `text` in pieces of `size` bytes; returns what was emitted, piece by piece joined.
std::string ThroughStopFilter(const std::string& text, size_t size, std::vector<std::string> stops, bool* stopped) {
  StopStringFilter filter(std::move(stops));
  std::string out;
  for (size_t i = 0; i < text.size(); i += size) out += filter.Push(text.substr(i, size));
  out += filter.Finish();
  *stopped = filter.stopped();
  return out;
}

TEST(StopStringFilterTest, EndsBeforeAStopStringSpreadOverPieces) {
  for (size_t size = 1; size <= 7; ++size) {
    bool stopped = false;
    EXPECT_EQ(ThroughStopFilter("Hello there. User: hi", size, {"User:"}, &stopped), "Hello there. ") << size;
    EXPECT_TRUE(stopped);
  }
}

TEST(StopStringFilterTest, TheEarliestOfSeveralStopsWins) {
  bool stopped = false;
  EXPECT_EQ(ThroughStopFilter("abc<|im_end|>def\n\nUser:", 3, {"User:", "<|im_end|>"}, &stopped), "abc");
  EXPECT_TRUE(stopped);
}

TEST(StopStringFilterTest, HeldTextIsReleasedWhenItBeginsNoStop) {
  StopStringFilter filter({"User:"});
  EXPECT_EQ(filter.Push("say Us"), "say ");  // "Us" may begin "User:"
  EXPECT_EQ(filter.Push("ually"), "Usually");
  EXPECT_EQ(filter.Push(" U"), " ");
  EXPECT_EQ(filter.Finish(), "U");
  EXPECT_FALSE(filter.stopped());
}

TEST(StopStringFilterTest, NothingAfterTheStopAndEmptyStopsIgnored) {
  StopStringFilter filter({"", "END"});
  EXPECT_EQ(filter.Push("one END two"), "one ");
  EXPECT_EQ(filter.Push("three"), "");
  EXPECT_EQ(filter.Finish(), "");
  bool stopped = true;
  EXPECT_EQ(ThroughStopFilter("no stops here", 2, {""}, &stopped), "no stops here");
  EXPECT_FALSE(stopped);
}

TEST(ExtractToolCallsTest, CutsCallsOutOfTheText) {
  std::string text =
      "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n"
      "<tool_call>{\"name\":\"get_time\",\"arguments\":\"{\\\"tz\\\":\\\"CET\\\"}\"}</tool_call>";
  const std::vector<ToolCall> calls = ExtractToolCalls(text);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].id, "call_0");
  EXPECT_EQ(calls[0].name, "get_weather");
  EXPECT_EQ(calls[0].arguments_json, "{\"city\":\"Paris\"}");
  EXPECT_EQ(calls[1].name, "get_time");
  EXPECT_EQ(calls[1].arguments_json, "{\"tz\":\"CET\"}");  // arguments given as a string stay as written
  EXPECT_EQ(text, "Let me check.");
}

TEST(ExtractToolCallsTest, KeepsWhatIsNotACall) {
  std::string not_json = "<tool_call>get_weather(Paris)</tool_call> ok";
  EXPECT_TRUE(ExtractToolCalls(not_json).empty());
  EXPECT_EQ(not_json, "<tool_call>get_weather(Paris)</tool_call> ok");

  std::string no_name = "<tool_call>{\"arguments\": {}}</tool_call>";
  EXPECT_TRUE(ExtractToolCalls(no_name).empty());
  EXPECT_EQ(no_name, "<tool_call>{\"arguments\": {}}</tool_call>");

  std::string unclosed = "text <tool_call>{\"name\": \"a\"";
  EXPECT_TRUE(ExtractToolCalls(unclosed).empty());
  EXPECT_EQ(unclosed, "text <tool_call>{\"name\": \"a\"");

  std::string no_arguments = "<tool_call>{\"name\": \"ping\"}</tool_call>";
  const std::vector<ToolCall> calls = ExtractToolCalls(no_arguments);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].arguments_json, "{}");
  EXPECT_EQ(no_arguments, "");
}

struct Filtered {
  std::string streamed;  // what Push emitted
  std::string content;   // streamed + what Finish emitted
  std::vector<ToolCall> calls;
};

Filtered ThroughToolCallFilter(const std::string& text, size_t size) {
  ToolCallFilter filter;
  Filtered out;
  for (size_t i = 0; i < text.size(); i += size) out.streamed += filter.Push(text.substr(i, size));
  ToolCallFilter::Finished finished = filter.Finish();
  out.content = out.streamed + finished.text;
  out.calls = std::move(finished.tool_calls);
  return out;
}

TEST(ToolCallFilterTest, StreamsTextBeforeTheCallAndNeverTheCall) {
  const std::string reply =
      "Checking the weather.\n\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n"
      "</tool_call>";
  for (size_t size = 1; size <= 9; ++size) {
    const Filtered filtered = ThroughToolCallFilter(reply, size);
    EXPECT_EQ(filtered.streamed, "Checking the weather.") << size;
    EXPECT_EQ(filtered.content, "Checking the weather.") << size;
    ASSERT_EQ(filtered.calls.size(), 1u) << size;
    EXPECT_EQ(filtered.calls[0].name, "get_weather");
    EXPECT_EQ(filtered.calls[0].arguments_json, "{\"city\":\"Oslo\"}");
  }
}

TEST(ToolCallFilterTest, OnlyCallsStreamNothing) {
  const Filtered filtered = ThroughToolCallFilter("<tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call>", 4);
  EXPECT_EQ(filtered.streamed, "");
  EXPECT_EQ(filtered.content, "");
  ASSERT_EQ(filtered.calls.size(), 1u);
}

TEST(ToolCallFilterTest, ACallCutOffByTheLengthLimitIsNeverShown) {
  const Filtered filtered = ThroughToolCallFilter(
      "Let me see. <tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call>\n<tool_call>\n{ \"name\" : \"get_ba", 3);
  EXPECT_EQ(filtered.content, "Let me see.");
  ASSERT_EQ(filtered.calls.size(), 1u);
  EXPECT_EQ(filtered.calls[0].name, "a");
  EXPECT_EQ(ThroughToolCallFilter("<tool_call>{\"name\": \"b", 2).content, "");
}

TEST(ToolCallFilterTest, PlainTextPassesWhole) {
  const std::string reply = "Nothing to call <b>here</b>, a < b and <tool but not a call.\n";
  for (size_t size = 1; size <= 5; ++size) {
    const Filtered filtered = ThroughToolCallFilter(reply, size);
    EXPECT_EQ(filtered.content, reply) << size;
    EXPECT_TRUE(filtered.calls.empty());
  }
}

TEST(ToolCallFilterTest, TextAfterTheCallsComesAtTheEnd) {
  const Filtered filtered =
      ThroughToolCallFilter("First.<tool_call>{\"name\": \"a\"}</tool_call>\nThen more.", 3);
  EXPECT_EQ(filtered.streamed, "First.");
  EXPECT_EQ(filtered.content, "First.\nThen more.");
  ASSERT_EQ(filtered.calls.size(), 1u);
}

}  // namespace
}  // namespace troupe::llm
