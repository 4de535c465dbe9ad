// Untrusted free text (what a user typed, or the latest message) turned into the words a full-text
// search looks for. The result is safe to place in any backend's query syntax: a term holds no
// ASCII punctuation, quote, operator character, space or control character, and is valid UTF-8.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::store {

inline constexpr size_t kMaxSearchTerms = 16;
inline constexpr size_t kMaxSearchTermBytes = 64;

// The distinct words of `free_text`, in order of first appearance, ASCII letters lower-cased.
// Words are runs of letters and digits (ASCII, or any non-ASCII character that is not a common
// punctuation or symbol code point); invalid UTF-8 separates words. Dropped: words of fewer
// than two characters, English stop words ("the", "what", "don"), words longer than
// kMaxSearchTermBytes, and every word after the first kMaxSearchTerms kept. Query operators
// ("AND", "NEAR", "OR") are ordinary words: stop words or search terms, never syntax.
std::vector<std::string> SearchTerms(std::string_view free_text);

}  // namespace troupe::store
