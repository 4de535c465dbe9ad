// Replies like a person's: one reply may become several messages (by paragraph or sentence), each
// shown after a typing pause proportional to its length, and a stage may cap how many sentences or
// paragraphs a reply runs to (so the model does not ramble). Also the stop strings that keep the
// model from writing the user's turn. Pure functions; a ReplySplitter belongs to one reply.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::chat {

enum class SplitMode { kNone, kParagraph, kSentence };

struct ReplyStyle {
  SplitMode split = SplitMode::kParagraph;
  int max_messages = 3;     // later parts merge into the last
  int max_sentences = 0;    // 0 = no limit
  int max_paragraphs = 0;   // 0 = no limit
  double typing_chars_per_second = 40;  // 0 = no pause
  int64_t min_delay_ms = 400;
  int64_t max_delay_ms = 6000;
};

// The pause before a part is shown: its length in characters (not bytes) at the typing speed,
// clamped to [min_delay_ms, max_delay_ms]; 0 when the speed is 0.
int64_t TypingDelayMs(std::string_view text, const ReplyStyle& style);

// Stop strings for a reply to `user_name`: text that begins the user's turn rather than continues
// the character's. A new line with the user's name or "User" as a speaker label, the card examples'
// "<START>" separator, and the instruction headers of Alpaca-style prompts. The chat template's own
// end-of-turn markers come from the provider (Provider::TurnEndStrings).
std::vector<std::string> UserTurnStopStrings(const std::string& user_name);

// Fed the reply as it streams; says where each message ends and when the stage's limits are
// reached (the caller then stops generating). Boundaries:
//  - a paragraph ends at a blank line (two or more line breaks);
//  - a sentence ends at '.', '!', '?' or '…' (a run such as "?!" or "..." ends once), followed by
//    closing quotes, brackets or '*' and then white space or the end of the reply; "Dr." and the
//    like, "e.g." and single initials do not end sentences.
// kParagraph makes a message of each paragraph, kSentence of each sentence (and paragraph), until
// max_messages: the rest joins the last message. The reply stops after max_sentences sentences or
// max_paragraphs paragraphs. White space at the start and end of each message is dropped, a
// paragraph break kept inside a message becomes one blank line. The output does not depend on how
// the text is cut into feeds.
class ReplySplitter {
 public:
  explicit ReplySplitter(ReplyStyle style);

  // Text of the current message (to stream now), and whether the message ended with it. One feed
  // may complete several messages: each is a separate piece.
  struct Piece {
    std::string text;
    bool ends_message = false;
  };
  std::vector<Piece> Feed(std::string_view text);
  // What is left when the reply ends.
  std::vector<Piece> Finish();

  // A limit was reached: everything fed from here on is dropped.
  bool limit_reached() const { return limit_reached_; }
  int message_index() const { return message_index_; }

 private:
  std::vector<Piece> Drain(bool final);
  void Append(std::string_view text, std::string& current);

  ReplyStyle style_;
  std::string pending_;  // text not yet decided
  int message_index_ = 0;
  int sentences_ = 0;
  int paragraphs_ = 0;  // paragraph breaks passed
  bool at_message_start_ = true;
  bool after_sentence_end_ = false;  // the last thing handed out ended a sentence
  std::string last_word_;            // letters and dots just before the current position
  bool limit_reached_ = false;
};

// A whole reply through a ReplySplitter: its messages (never empty strings).
std::vector<std::string> SplitReply(std::string_view text, const ReplyStyle& style);

// A whole reply cut at the style's max_sentences / max_paragraphs, as one message.
std::string LimitReply(std::string_view text, const ReplyStyle& style);

}  // namespace troupe::chat
