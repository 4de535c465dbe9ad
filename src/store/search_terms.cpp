#include "store/search_terms.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

namespace troupe::store {
namespace {

// Words too common to say what a message is about. Both backends index them (SQLite's porter
// tokenizer keeps every word), so a query made of them would match nearly everything. Sorted for
// binary search; includes the fragments contractions split into ("don't" -> "don", "t").
constexpr std::array<std::string_view, 151> kStopWords = {
    "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "aren",
    "as", "at", "be", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could",
    "couldn", "did", "didn", "do", "does", "doesn", "doing", "don", "down", "during", "each", "few", "for",
    "from", "further", "had", "hadn", "has", "hasn", "have", "haven", "having", "he", "her", "here", "hers",
    "herself", "hey", "hi", "him", "himself", "his", "how", "if", "in", "into", "is", "isn", "it", "its",
    "itself", "just", "ll", "me", "might", "more", "most", "must", "my", "myself", "no", "nor", "not",
    "now", "of", "off", "oh", "ok", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out",
    "over", "own", "please", "re", "same", "shan", "she", "should", "shouldn", "so", "some", "such", "than",
    "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this",
    "those", "through", "to", "too", "under", "until", "up", "us", "ve", "very", "was", "wasn", "we",
    "were", "weren", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "won",
    "would", "wouldn", "yes", "you", "your", "yours", "yourself", "yourselves",
};

static_assert(std::is_sorted(kStopWords.begin(), kStopWords.end()));

bool IsStopWord(std::string_view word) {
  return std::binary_search(kStopWords.begin(), kStopWords.end(), word);
}

bool IsAsciiWordByte(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Non-ASCII code points that separate words: Latin-1 punctuation and symbols, the general
// punctuation, symbol, arrow, shape and dingbat blocks, CJK punctuation, private use, variation
// selectors, fullwidth punctuation, specials and emoji. Everything else non-ASCII (letters of
// any script, combining marks, digits) belongs to a word; the backends' tokenizers refine that.
bool IsSeparatorCodePoint(uint32_t c) {
  if (c >= 0x80 && c <= 0xBF) return c != 0xAA && c != 0xB5 && c != 0xBA;
  if (c == 0xD7 || c == 0xF7) return true;
  if (c >= 0x2000 && c <= 0x2BFF) return true;
  if (c >= 0x2E00 && c <= 0x2E7F) return true;
  if (c >= 0x3000 && c <= 0x303F) return true;
  if (c >= 0xE000 && c <= 0xF8FF) return true;
  if (c >= 0xFE00 && c <= 0xFE6F) return true;
  if (c == 0xFEFF) return true;
  if ((c >= 0xFF00 && c <= 0xFF0F) || (c >= 0xFF1A && c <= 0xFF20) || (c >= 0xFF3B && c <= 0xFF40) ||
      (c >= 0xFF5B && c <= 0xFF65)) {
    return true;
  }
  if (c >= 0xFFF0 && c <= 0xFFFF) return true;
  if (c >= 0x1F000 && c <= 0x1FAFF) return true;
  if (c >= 0xE0000) return true;  // tags, variation selectors supplement, private use planes
  return false;
}

// The code point starting at text[at] and its length, or nullopt for invalid UTF-8 (a stray
// continuation byte, a truncated sequence, an overlong form, a surrogate, beyond U+10FFFF).
std::optional<std::pair<uint32_t, size_t>> DecodeUtf8(std::string_view text, size_t at) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  size_t length = 0;
  uint32_t code = 0;
  uint32_t minimum = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, code = lead & 0x1Fu, minimum = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, code = lead & 0x0Fu, minimum = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, code = lead & 0x07u, minimum = 0x10000;
  } else {
    return std::nullopt;
  }
  if (at + length > text.size()) return std::nullopt;
  for (size_t i = 1; i < length; ++i) {
    const unsigned char next = byte(at + i);
    if ((next & 0xC0u) != 0x80u) return std::nullopt;
    code = (code << 6) | (next & 0x3Fu);
  }
  if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return std::nullopt;
  return std::make_pair(code, length);
}

}  // namespace

std::vector<std::string> SearchTerms(std::string_view free_text) {
  std::vector<std::string> terms;
  std::string word;
  size_t characters = 0;
  const auto finish_word = [&] {
    if (characters >= 2 && word.size() <= kMaxSearchTermBytes && !IsStopWord(word) &&
        std::find(terms.begin(), terms.end(), word) == terms.end()) {
      terms.push_back(word);
    }
    word.clear();
    characters = 0;
  };
  size_t at = 0;
  while (at < free_text.size() && terms.size() < kMaxSearchTerms) {
    const auto c = static_cast<unsigned char>(free_text[at]);
    if (c < 0x80) {
      if (IsAsciiWordByte(c)) {
        word += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        ++characters;
      } else {
        finish_word();
      }
      ++at;
      continue;
    }
    const std::optional<std::pair<uint32_t, size_t>> decoded = DecodeUtf8(free_text, at);
    if (!decoded || IsSeparatorCodePoint(decoded->first)) {
      finish_word();
      at += decoded ? decoded->second : 1;
      continue;
    }
    word.append(free_text.substr(at, decoded->second));
    ++characters;
    at += decoded->second;
  }
  if (terms.size() < kMaxSearchTerms) finish_word();
  return terms;
}

}  // namespace troupe::store
