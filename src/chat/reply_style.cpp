#include "chat/reply_style.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace troupe::chat {
namespace {

size_t CodePoints(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // …
// Closing marks that may follow a sentence's punctuation: ” ’ »
constexpr std::array<std::string_view, 3> kWideClosers = {"\xE2\x80\x9D", "\xE2\x80\x99", "\xC2\xBB"};

bool StartsWith(std::string_view text, size_t at, std::string_view prefix) {
  return text.compare(at, prefix.size(), prefix) == 0;
}

// Bytes of the sentence-ending mark at `at` ('.', '!', '?', '…'), or 0.
size_t EndMarkAt(std::string_view text, size_t at) {
  const char c = text[at];
  if (c == '.' || c == '!' || c == '?') return 1;
  return StartsWith(text, at, kEllipsis) ? kEllipsis.size() : 0;
}

// Bytes of an end mark or of a closing quote, bracket or emphasis mark at `at`, or 0.
size_t EndMarkOrCloserAt(std::string_view text, size_t at) {
  if (size_t mark = EndMarkAt(text, at)) return mark;
  const char c = text[at];
  if (c == '"' || c == '\'' || c == ')' || c == ']' || c == '*' || c == '_') return 1;
  for (std::string_view closer : kWideClosers) {
    if (StartsWith(text, at, closer)) return closer.size();
  }
  return 0;
}

// The text from `at` to the end is the first bytes of a multi-byte mark: wait for the rest.
bool CutMarkAt(std::string_view text, size_t at, bool closers_too) {
  const std::string_view rest = text.substr(at);
  if (rest.empty()) return false;
  auto cut = [&](std::string_view mark) { return rest.size() < mark.size() && mark.substr(0, rest.size()) == rest; };
  if (cut(kEllipsis)) return true;
  return closers_too && std::any_of(kWideClosers.begin(), kWideClosers.end(), cut);
}

// Words whose full stop does not end a sentence.
bool IsAbbreviation(const std::string& word) {
  static constexpr std::string_view kAbbreviations[] = {"mr", "mrs", "ms", "dr", "prof", "st", "sr", "jr",
                                                        "vs", "mt", "e.g", "i.e", "cf", "approx"};
  std::string lower = word;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return std::find(std::begin(kAbbreviations), std::end(kAbbreviations), lower) != std::end(kAbbreviations);
}

}  // namespace

int64_t TypingDelayMs(std::string_view text, const ReplyStyle& style) {
  if (style.typing_chars_per_second <= 0) return 0;
  const double ms = static_cast<double>(CodePoints(text)) * 1000.0 / style.typing_chars_per_second;
  const int64_t low = std::max<int64_t>(style.min_delay_ms, 0);
  return std::clamp(static_cast<int64_t>(std::llround(std::min(ms, 1e12))), low, std::max(low, style.max_delay_ms));
}

std::vector<std::string> UserTurnStopStrings(const std::string& user_name) {
  std::vector<std::string> stops;
  if (!user_name.empty() && user_name.find('\n') == std::string::npos) stops.push_back("\n" + user_name + ":");
  if (user_name != "User") stops.push_back("\nUser:");
  for (const char* header : {"\n<START>", "\n### Instruction:", "\n### Input:"}) stops.emplace_back(header);
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
  pending_.clear();
  return pieces;
}

void ReplySplitter::Append(std::string_view text, std::string& current) {
  for (char c : text) {
    const bool word_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.';
    if (!word_char) {
      last_word_.clear();
    } else if (last_word_.size() < 16) {
      last_word_ += c;
    }
  }
  current += text;
  at_message_start_ = false;
  after_sentence_end_ = false;
}

// Hands out text up to the first position where what follows could still change a decision: a run
// of white space (more line breaks may come), an end mark (a closing quote or more marks may
// follow), or the first bytes of a multi-byte mark. `final` decides everything.
std::vector<ReplySplitter::Piece> ReplySplitter::Drain(bool final) {
  std::vector<Piece> pieces;
  std::string current;
  const std::string_view text = pending_;
  const size_t n = text.size();
  size_t i = 0;
  auto end_message = [&] {
    pieces.push_back({std::move(current), true});
    current.clear();
    ++message_index_;
    at_message_start_ = true;
    after_sentence_end_ = false;
    last_word_.clear();
  };
  while (i < n && !limit_reached_) {
    if (IsSpace(text[i])) {
      size_t j = i;
      while (j < n && IsSpace(text[j])) ++j;
      if (j == n && !final) break;
      if (j == n || at_message_start_) {  // white space at either end of a message is dropped
        i = j;
        continue;
      }
      const auto newlines = std::count(text.begin() + static_cast<std::ptrdiff_t>(i),
                                       text.begin() + static_cast<std::ptrdiff_t>(j), '\n');
      const bool paragraph = newlines >= 2;
      if (paragraph && style_.max_paragraphs > 0 && ++paragraphs_ >= style_.max_paragraphs) {
        limit_reached_ = true;
        break;
      }
      const bool boundary = (style_.split == SplitMode::kParagraph && paragraph) ||
                            (style_.split == SplitMode::kSentence && (paragraph || after_sentence_end_));
      if (boundary && message_index_ + 1 < style_.max_messages) {
        end_message();
      } else {
        Append(paragraph ? "\n\n" : newlines == 1 ? "\n" : text.substr(i, j - i), current);
      }
      i = j;
      continue;
    }
    if (size_t mark = EndMarkAt(text, i)) {
      size_t j = i + mark;
      bool cut = false;
      while (j < n) {
        if (size_t more = EndMarkOrCloserAt(text, j)) {
          j += more;
        } else {
          cut = CutMarkAt(text, j, true);
          break;
        }
      }
      if (!final && (j == n || cut)) break;  // what follows decides
      const std::string_view run = text.substr(i, j - i);
      const bool ends = (j == n || IsSpace(text[j])) && !(run == "." && IsAbbreviation(last_word_));
      Append(run, current);
      i = j;
      if (ends) {
        after_sentence_end_ = true;
        if (style_.max_sentences > 0 && ++sentences_ >= style_.max_sentences) limit_reached_ = true;
      }
      continue;
    }
    if (!final && CutMarkAt(text, i, false)) break;
    Append(text.substr(i, 1), current);
    ++i;
  }
  if (limit_reached_) {
    pending_.clear();
  } else {
    pending_.erase(0, i);
  }
  if (!current.empty()) pieces.push_back({std::move(current), false});
  return pieces;
}

std::vector<std::string> SplitReply(std::string_view text, const ReplyStyle& style) {
  ReplySplitter splitter(style);
  std::vector<std::string> messages(1);
  auto take = [&](const std::vector<ReplySplitter::Piece>& pieces) {
    for (const ReplySplitter::Piece& piece : pieces) {
      messages.back() += piece.text;
      if (piece.ends_message) messages.emplace_back();
    }
  };
  take(splitter.Feed(text));
  take(splitter.Finish());
  messages.erase(std::remove(messages.begin(), messages.end(), std::string()), messages.end());
  return messages;
}

std::string LimitReply(std::string_view text, const ReplyStyle& style) {
  ReplyStyle whole = style;
  whole.split = SplitMode::kNone;
  std::vector<std::string> messages = SplitReply(text, whole);
  return messages.empty() ? std::string() : std::move(messages.front());
}

}  // namespace troupe::chat
