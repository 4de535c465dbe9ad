#include "chat/reply_style.h"

#include <gtest/gtest.h>

namespace troupe::chat {
namespace {

// Feeds `text` a few bytes at a time, the way a model streams, and collects the messages.
std::vector<std::string> Split(const std::string& text, const ReplyStyle& style, size_t chunk, bool* limit = nullptr) {
  ReplySplitter splitter(style);
  std::vector<std::string> messages(1);
  auto take = [&](const std::vector<ReplySplitter::Piece>& pieces) {
    for (const ReplySplitter::Piece& piece : pieces) {
      messages.back() += piece.text;
      if (piece.ends_message) messages.emplace_back();
    }
  };
  for (size_t i = 0; i < text.size() && !splitter.limit_reached(); i += chunk) take(splitter.Feed(text.substr(i, chunk)));
  take(splitter.Finish());
  if (limit != nullptr) *limit = splitter.limit_reached();
  if (messages.back().empty()) messages.pop_back();
  return messages;
}

TEST(ReplyStyleTest, ParagraphsBecomeMessagesWhateverTheChunking) {
  const std::string text = "Hello there!\n\nI missed you. How was your day?\n\n\nTell me everything.";
  for (size_t chunk : {1, 2, 3, 7, 100}) {
    EXPECT_EQ(Split(text, {}, chunk),
              (std::vector<std::string>{"Hello there!", "I missed you. How was your day?", "Tell me everything."}))
        << chunk;
  }
}

TEST(ReplyStyleTest, MaxMessagesMergesTheTailAndNoneKeepsOneMessage) {
  ReplyStyle two;
  two.max_messages = 2;
  EXPECT_EQ(Split("a\n\nb\n\nc", two, 1), (std::vector<std::string>{"a", "b\n\nc"}));
  ReplyStyle none;
  none.split = SplitMode::kNone;
  EXPECT_EQ(Split("a\n\nb", none, 2), (std::vector<std::string>{"a\n\nb"}));
}

TEST(ReplyStyleTest, SentenceModeSplitsAtSentenceEnds) {
  ReplyStyle sentences;
  sentences.split = SplitMode::kSentence;
  sentences.max_messages = 5;
  EXPECT_EQ(Split("Hi! How are you? I am fine... really.", sentences, 1),
            (std::vector<std::string>{"Hi!", "How are you?", "I am fine...", "really."}));
}

TEST(ReplyStyleTest, LimitsStopTheReplyAndSaySo) {
  ReplyStyle short_reply;
  short_reply.split = SplitMode::kNone;
  short_reply.max_sentences = 2;
  bool limit = false;
  EXPECT_EQ(Split("One. Two! Three? Four.", short_reply, 1, &limit), (std::vector<std::string>{"One. Two!"}));
  EXPECT_TRUE(limit);
  ReplyStyle one_paragraph;
  one_paragraph.max_paragraphs = 1;
  EXPECT_EQ(Split("First part.\n\nSecond part.", one_paragraph, 4, &limit), (std::vector<std::string>{"First part."}));
  EXPECT_TRUE(limit);
  Split("Just one.", one_paragraph, 4, &limit);
  EXPECT_FALSE(limit);
}

TEST(ReplyStyleTest, TypingDelayGrowsWithLengthWithinBounds) {
  ReplyStyle style;
  style.typing_chars_per_second = 10;
  style.min_delay_ms = 300;
  style.max_delay_ms = 2000;
  EXPECT_EQ(TypingDelayMs("hi", style), 300);
  EXPECT_EQ(TypingDelayMs("twelve chars", style), 1200);
  EXPECT_EQ(TypingDelayMs(std::string(100, 'x'), style), 2000);
  EXPECT_EQ(TypingDelayMs("héllo", style), 500);  // characters, not bytes
  style.typing_chars_per_second = 0;
  EXPECT_EQ(TypingDelayMs("anything", style), 0);
}

TEST(ReplyStyleTest, StopStringsStartTheUsersTurn) {
  EXPECT_EQ(UserTurnStopStrings("Tim"), (std::vector<std::string>{"\nTim:", "\nUser:"}));
  EXPECT_EQ(UserTurnStopStrings("User"), (std::vector<std::string>{"\nUser:"}));
}

}  // namespace
}  // namespace troupe::chat
