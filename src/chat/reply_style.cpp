#include "chat/reply_style.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace troupe::chat {
namespace {

size_t CodePoints(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

bool IsSentenceEnd(char c) { return c == '.' || c == '!' || c == '?'; }

}  // namespace

int64_t TypingDelayMs(std::string_view text, const ReplyStyle& style) {
  if (style.typing_chars_per_second <= 0) return 0;
  const double ms = static_cast<double>(CodePoints(text)) * 1000.0 / style.typing_chars_per_second;
  return std::clamp(static_cast<int64_t>(std::llround(ms)), style.min_delay_ms,
                    std::max(style.min_delay_ms, style.max_delay_ms));
}

std::vector<std::string> UserTurnStopStrings(const std::string& user_name) {
  std::vector<std::string> stops;
  if (!user_name.empty()) stops.push_back("\n" + user_name + ":");
  if (user_name != "User") stops.push_back("\nUser:");
  return stops;
}

ReplySplitter::ReplySplitter(ReplyStyle style) : style_(style) {}

std::vector<ReplySplitter::Piece> ReplySplitter::Feed(std::string_view text) {
  if (limit_reached_) return {};
  pending_ += text;
  return Drain(false);
}

std::vector<ReplySplitter::Piece> ReplySplitter::Finish() {
  std::vector<Piece> pieces = limit_reached_ ? std::vector<Piece>{} : Drain(true);
  if (!pending_.empty() && !limit_reached_) pieces.push_back({std::move(pending_), false});
  pending_.clear();
  return pieces;
}

// Hands out text up to the last position that is certainly not the start of a boundary; a
// paragraph break ("\n\n") ends a message in paragraph mode, a sentence end followed by space in
// sentence mode. Leading blank space of a message is dropped.
std::vector<ReplySplitter::Piece> ReplySplitter::Drain(bool final) {
  std::vector<Piece> pieces;
  std::string current;
  size_t i = 0;
  const bool may_split = style_.split != SplitMode::kNone;
  auto end_message = [&](bool counts_paragraph) {
    if (counts_paragraph) ++paragraphs_;
    if (style_.max_paragraphs > 0 && paragraphs_ >= style_.max_paragraphs) limit_reached_ = true;
    const bool split_here = may_split && message_index_ + 1 < style_.max_messages && !limit_reached_;
    if (split_here) {
      pieces.push_back({std::move(current), true});
      current.clear();
      ++message_index_;
      at_message_start_ = true;
    } else if (!limit_reached_) {
      current += "\n\n";
    }
  };
  while (i < pending_.size()) {
    const char c = pending_[i];
    if (at_message_start_ && std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (c == '\n') {
      // A run of newlines: a paragraph break if two or more; wait to see the run's end.
      size_t j = i;
      while (j < pending_.size() && (pending_[j] == '\n' || pending_[j] == '\r' || pending_[j] == ' ')) ++j;
      if (j == pending_.size() && !final) break;
      const size_t newlines = static_cast<size_t>(std::count(pending_.begin() + static_cast<std::ptrdiff_t>(i),
                                                             pending_.begin() + static_cast<std::ptrdiff_t>(j), '\n'));
      if (j == pending_.size()) {  // trailing blank space at the very end
        i = j;
        break;
      }
      if (newlines >= 2 && style_.split != SplitMode::kSentence) {
        end_message(true);
        if (limit_reached_) {
          i = pending_.size();
          break;
        }
      } else {
        current += '\n';
      }
      i = j;
      continue;
    }
    current += c;
    at_message_start_ = false;
    ++i;
    if (IsSentenceEnd(c)) {
      // A sentence ends at punctuation followed by space; wait for the next character.
      if (i == pending_.size() && !final) {
        current.pop_back();
        --i;
        break;
      }
      if (i == pending_.size() || std::isspace(static_cast<unsigned char>(pending_[i]))) {
        // Runs like "?!" or "..." end once.
        ++sentences_;
        if (style_.max_sentences > 0 && sentences_ >= style_.max_sentences) {
          limit_reached_ = true;
          i = pending_.size();
          break;
        }
        if (style_.split == SplitMode::kSentence && i < pending_.size() && pending_[i] != '\n') {
          end_message(false);
          if (limit_reached_) {
            i = pending_.size();
            break;
          }
        }
      }
    }
  }
  pending_.erase(0, i);
  if (!current.empty()) pieces.push_back({std::move(current), false});
  return pieces;
}

}  // namespace troupe::chat
