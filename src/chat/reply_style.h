// Replies like a person's: one reply may become several messages (by paragraph or sentence), each
// shown after a typing pause proportional to its length, and a stage may cap how many sentences or
// paragraphs a reply runs to (so the model does not ramble). Also the stop strings that keep the
// model from writing the user's turn.
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

// The pause before a part is shown.
int64_t TypingDelayMs(std::string_view text, const ReplyStyle& style);

// Stop strings for a reply to `user_name`: a new line that starts the user's turn.
std::vector<std::string> UserTurnStopStrings(const std::string& user_name);

// Fed the reply as it streams; says where each message ends and when the stage's limits are
// reached (the caller then stops generating).
class ReplySplitter {
 public:
  explicit ReplySplitter(ReplyStyle style);

  // Text of the current message (to stream now), and whether it ended with this feed. A feed may
  // complete several messages: each completed one is a separate entry.
  struct Piece {
    std::string text;
    bool ends_message = false;
  };
  std::vector<Piece> Feed(std::string_view text);
  // What is left when the reply ends.
  std::vector<Piece> Finish();

  bool limit_reached() const { return limit_reached_; }
  int message_index() const { return message_index_; }

 private:
  std::vector<Piece> Drain(bool final);

  ReplyStyle style_;
  std::string pending_;  // text not yet handed out
  int message_index_ = 0;
  int sentences_ = 0;
  int paragraphs_ = 0;
  bool at_message_start_ = true;
  bool limit_reached_ = false;
};

}  // namespace troupe::chat
