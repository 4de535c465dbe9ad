#include "server/http/sse_stream.h"

#include <gtest/gtest.h>

#include <atomic>

namespace troupe::server {
namespace {

TEST(SseFormatTest, FramesEventIdAndData) {
  EXPECT_EQ(FormatSseEvent({"delta", "42", "hello"}), "event: delta\nid: 42\ndata: hello\n\n");
  EXPECT_EQ(FormatSseEvent({"", "", "plain"}), "data: plain\n\n");
}

TEST(SseFormatTest, SplitsMultiLineDataOnEveryLineEnding) {
  EXPECT_EQ(FormatSseEvent({"", "", "one\ntwo\r\nthree\rfour"}),
            "data: one\ndata: two\ndata: three\ndata: four\n\n");
  EXPECT_EQ(FormatSseEvent({"", "", "trailing\n"}), "data: trailing\ndata: \n\n");
  EXPECT_EQ(FormatSseEvent({"", "", ""}), "data: \n\n");
}

TEST(SseFormatTest, EventNameAndIdCannotBreakTheFrame) {
  EXPECT_EQ(FormatSseEvent({"a\nb", "1\r2", "x"}), "event: ab\nid: 12\ndata: x\n\n");
  EXPECT_EQ(FormatSseComment("keep\nalive"), ": keepalive\n\n");
}

TEST(SseStreamTest, OverflowCancelsAndRunsCallbacks) {
  SseStream stream(/*max_queued_bytes=*/64);
  std::atomic<int> cancellations{0};
  stream.OnCancel([&] { ++cancellations; });
  EXPECT_TRUE(stream.Send("e", "small"));
  EXPECT_FALSE(stream.Send("e", std::string(100, 'x')));
  EXPECT_TRUE(stream.cancelled());
  EXPECT_EQ(stream.cancel_reason(), "client too slow");
  EXPECT_EQ(cancellations.load(), 1);
  EXPECT_FALSE(stream.Send("e", "after"));
  stream.OnCancel([&] { ++cancellations; });  // already cancelled: runs at once
  EXPECT_EQ(cancellations.load(), 2);
}

TEST(SseStreamTest, CloseRefusesFurtherEvents) {
  SseStream stream;
  stream.Close();
  EXPECT_FALSE(stream.Send("e", "late"));
  EXPECT_FALSE(stream.cancelled());
}

}  // namespace
}  // namespace troupe::server
