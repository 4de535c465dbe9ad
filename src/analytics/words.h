// The words of a message as the analytics models see them: lowercased, split at anything that is
// not a letter, digit or apostrophe inside a word, and optionally reduced to their Snowball
// English stems. ASCII letters are lowercased; a non-ASCII character counts as a letter, so accented
// and non-Latin words stay whole (and unstemmed), except Unicode's general punctuation (dashes,
// curly quotes: U+2000..U+207F), which separates words; the typographic apostrophe is an apostrophe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace troupe::analytics {

// "Don't GO there!" -> {"don't", "go", "there"}.
std::vector<std::string> LowercaseWords(std::string_view text);

// The Snowball English stem of a lowercased word ("running" -> "run"); a word of fewer than three
// bytes or with a non-ASCII byte is returned as it is. Thread-safe (a stemmer per thread).
std::string EnglishStem(std::string_view word);

// The stem by Porter's original algorithm (Snowball's "porter"), for measures that follow it
// (ROUGE); the caller decides which words to stem. Thread-safe.
std::string SnowballPorterStem(std::string_view word);

}  // namespace troupe::analytics
