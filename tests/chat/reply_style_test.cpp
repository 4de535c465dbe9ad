#include "chat/reply_style.h"

#include <gtest/gtest.h>

#include <random>

namespace troupe::chat {
namespace {

// Feeds `text` in pieces cut at `cuts` (byte counts, cycled), the way a model streams, and
// collects the messages.
std::vector<std::string> Stream(const std::string& text, const ReplyStyle& style, const std::vector<size_t>& cuts,
                                bool* limit = nullptr) {
  ReplySplitter splitter(style);
  std::vector<std::string> messages(1);
  auto take = [&](const std::vector<ReplySplitter::Piece>& pieces) {
    for (const ReplySplitter::Piece& piece : pieces) {
      messages.back() += piece.text;
      if (piece.ends_message) messages.emplace_back();
    }
  };
  size_t at = 0;
  for (size_t k = 0; at < text.size() && !splitter.limit_reached(); ++k) {
    const size_t size = cuts[k % cuts.size()];
    take(splitter.Feed(std::string_view(text).substr(at, size)));
    at += size;
  }
  take(splitter.Finish());
  if (limit != nullptr) *limit = splitter.limit_reached();
  if (messages.back().empty()) messages.pop_back();
  return messages;
}

std::vector<std::string> Split(const std::string& text, const ReplyStyle& style, size_t chunk, bool* limit = nullptr) {
  return Stream(text, style, {chunk}, limit);
}

using Messages = std::vector<std::string>;

TEST(ReplyStyleTest, ParagraphsBecomeMessagesWhateverTheChunking) {
  const std::string text = "  Hello there!\n\nI missed you. How was your day?\r\n \n\nTell me everything.\n\n";
  for (size_t chunk : {1, 2, 3, 7, 100}) {
    EXPECT_EQ(Split(text, {}, chunk), (Messages{"Hello there!", "I missed you. How was your day?", "Tell me everything."}))
        << chunk;
  }
  EXPECT_EQ(SplitReply(text, {}), (Messages{"Hello there!", "I missed you. How was your day?", "Tell me everything."}));
  // A single line break stays inside the message.
  EXPECT_EQ(SplitReply("Roses are red,\nviolets are blue.", {}), (Messages{"Roses are red,\nviolets are blue."}));
  EXPECT_EQ(SplitReply(" \n\n ", {}), Messages{});
}

TEST(ReplyStyleTest, MaxMessagesMergesTheTailAndNoneKeepsOneMessage) {
  ReplyStyle two;
  two.max_messages = 2;
  EXPECT_EQ(Split("a\n\nb\n\n\n\nc", two, 1), (Messages{"a", "b\n\nc"}));
  ReplyStyle none;
  none.split = SplitMode::kNone;
  EXPECT_EQ(Split("a\n\n\nb", none, 2), (Messages{"a\n\nb"}));
}

TEST(ReplyStyleTest, SentenceModeSplitsAtSentenceEnds) {
  ReplyStyle sentences;
  sentences.split = SplitMode::kSentence;
  sentences.max_messages = 10;
  EXPECT_EQ(Split("Hi! How are you?! I am fine... really.", sentences, 1),
            (Messages{"Hi!", "How are you?!", "I am fine...", "really."}));
  // Closing quotes, brackets and roleplay asterisks belong to the sentence they close.
  EXPECT_EQ(SplitReply("*He waves.* \"Hello!\" (Quietly.) Bye\u2026 \u201cSee you.\u201d", sentences),
            (Messages{"*He waves.*", "\"Hello!\"", "(Quietly.)", "Bye\u2026", "\u201cSee you.\u201d"}));
  // Abbreviations, decimals and dotted words do not end sentences.
  EXPECT_EQ(SplitReply("Dr. Holt said e.g. 3.5 is fine. Mr. Smith agreed.", sentences),
            (Messages{"Dr. Holt said e.g. 3.5 is fine.", "Mr. Smith agreed."}));
  // A line or paragraph break after a sentence is a boundary too; one without punctuation only if blank.
  EXPECT_EQ(SplitReply("Done!\nNext one\nstill going\n\nLast", sentences),
            (Messages{"Done!", "Next one\nstill going", "Last"}));
  sentences.max_messages = 2;
  EXPECT_EQ(SplitReply("One. Two.\nThree.", sentences), (Messages{"One.", "Two.\nThree."}));
}

TEST(ReplyStyleTest, LimitsStopTheReplyAndSaySo) {
  ReplyStyle short_reply;
  short_reply.split = SplitMode::kNone;
  short_reply.max_sentences = 2;
  bool limit = false;
  EXPECT_EQ(Split("One. Two! Three? Four.", short_reply, 1, &limit), (Messages{"One. Two!"}));
  EXPECT_TRUE(limit);
  EXPECT_EQ(LimitReply("One. Two! Three? Four.", short_reply), "One. Two!");
  EXPECT_EQ(LimitReply("\"One,\" she said. \"Two?\" Three.", short_reply), "\"One,\" she said. \"Two?\"");
  ReplyStyle one_paragraph;
  one_paragraph.max_paragraphs = 1;
  EXPECT_EQ(Split("First part.\n\nSecond part.", one_paragraph, 4, &limit), (Messages{"First part."}));
  EXPECT_TRUE(limit);
  Split("Just one.\n\n", one_paragraph, 4, &limit);
  EXPECT_FALSE(limit);
  // The limit is seen as soon as the text that crosses it arrives, so generation can stop there.
  ReplySplitter splitter(short_reply);
  (void)splitter.Feed("One. Two! Thr");
  EXPECT_TRUE(splitter.limit_reached());
  EXPECT_TRUE(splitter.Feed("ee.").empty());
  // Limits apply across the messages of a split reply.
  ReplyStyle split_two;
  split_two.max_paragraphs = 2;
  EXPECT_EQ(SplitReply("a\n\nb\n\nc\n\nd", split_two), (Messages{"a", "b"}));
}

// Whatever the cuts between feeds, the messages are those of the whole text at once.
TEST(ReplyStyleTest, StreamingGivesTheSameMessagesForAnyCuts) {
  const std::vector<std::string> texts = {
      "Hi!! *grins* \"Really?\" she asked.\n\nYes\u2026 Dr. Ng said so.\r\n\r\nOK.\n",
      "No punctuation at all\njust lines\n\n\n\nand paragraphs   ",
      "\u00abBonjour.\u00bb \u2019Tis fine.\u2019 Ends with ellipsis\u2026",
      "e.g. this. And 3.14! (Yes.) [No.] _Maybe._ ?! ...",
  };
  std::mt19937 random(7);
  for (SplitMode mode : {SplitMode::kNone, SplitMode::kParagraph, SplitMode::kSentence}) {
    for (int max_sentences : {0, 3}) {
      ReplyStyle style;
      style.split = mode;
      style.max_messages = 4;
      style.max_sentences = max_sentences;
      for (const std::string& text : texts) {
        const Messages whole = SplitReply(text, style);
        for (int trial = 0; trial < 40; ++trial) {
          std::vector<size_t> cuts;
          for (int k = 0; k < 8; ++k) cuts.push_back(1 + random() % 6);
          ASSERT_EQ(Stream(text, style, cuts), whole) << text << " mode " << static_cast<int>(mode);
        }
      }
    }
  }
}

TEST(ReplyStyleTest, TypingDelayGrowsWithLengthWithinBounds) {
  ReplyStyle style;
  style.typing_chars_per_second = 10;
  style.min_delay_ms = 300;
  style.max_delay_ms = 2000;
  EXPECT_EQ(TypingDelayMs("hi", style), 300);
  EXPECT_EQ(TypingDelayMs("twelve chars", style), 1200);
  EXPECT_EQ(TypingDelayMs(std::string(100, 'x'), style), 2000);
  EXPECT_EQ(TypingDelayMs("h\u00e9llo", style), 500);  // characters, not bytes
  style.typing_chars_per_second = 0;
  EXPECT_EQ(TypingDelayMs("anything", style), 0);
}

TEST(ReplyStyleTest, StopStringsStartTheUsersTurn) {
  EXPECT_EQ(UserTurnStopStrings("Tim"),
            (Messages{"\nTim:", "\nUser:", "\n<START>", "\n### Instruction:", "\n### Input:"}));
  EXPECT_EQ(UserTurnStopStrings("User"), (Messages{"\nUser:", "\n<START>", "\n### Instruction:", "\n### Input:"}));
}

}  // namespace
}  // namespace troupe::chat
