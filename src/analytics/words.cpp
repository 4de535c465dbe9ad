#include "analytics/words.h"

#include <libstemmer.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace troupe::analytics {

namespace {

bool IsWordByte(unsigned char c) { return (c & 0x80) != 0 || std::isalnum(c) != 0; }

// Snowball stemmers keep state between calls: one per thread and algorithm.
class SnowballStemmer {
 public:
  explicit SnowballStemmer(const char* algorithm) : stemmer_(sb_stemmer_new(algorithm, "UTF_8"), &sb_stemmer_delete) {}

  std::string Stem(std::string_view word) {
    if (stemmer_ == nullptr) return std::string(word);
    const sb_symbol* stemmed =
        sb_stemmer_stem(stemmer_.get(), reinterpret_cast<const sb_symbol*>(word.data()), static_cast<int>(word.size()));
    if (stemmed == nullptr) return std::string(word);
    return std::string(reinterpret_cast<const char*>(stemmed), static_cast<size_t>(sb_stemmer_length(stemmer_.get())));
  }

 private:
  std::unique_ptr<sb_stemmer, void (*)(sb_stemmer*)> stemmer_;
};

}  // namespace

std::vector<std::string> LowercaseWords(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  auto finish = [&] {
    while (!word.empty() && word.back() == '\'') word.pop_back();
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    // U+2000..U+207F (dashes, curly quotes, ellipsis) separate words; U+2019, the typographic
    // apostrophe, inside a word is one.
    if (c == 0xE2 && i + 2 < text.size() && (static_cast<unsigned char>(text[i + 1]) & 0xFE) == 0x80) {
      const bool apostrophe = static_cast<unsigned char>(text[i + 1]) == 0x80 && static_cast<unsigned char>(text[i + 2]) == 0x99;
      i += 2;
      if (apostrophe && !word.empty() && i + 1 < text.size() && IsWordByte(static_cast<unsigned char>(text[i + 1]))) {
        word.push_back('\'');
      } else {
        finish();
      }
      continue;
    }
    if (IsWordByte(c)) {
      word.push_back(static_cast<char>(std::tolower(c)));
    } else if (c == '\'' && !word.empty() && i + 1 < text.size() && IsWordByte(static_cast<unsigned char>(text[i + 1]))) {
      word.push_back('\'');
    } else {
      finish();
    }
  }
  finish();
  return words;
}

std::string EnglishStem(std::string_view word) {
  const bool ascii = std::all_of(word.begin(), word.end(), [](char c) { return (c & 0x80) == 0; });
  if (!ascii || word.size() < 3) return std::string(word);
  thread_local SnowballStemmer stemmer("english");
  return stemmer.Stem(word);
}

std::string SnowballPorterStem(std::string_view word) {
  thread_local SnowballStemmer stemmer("porter");
  return stemmer.Stem(word);
}

}  // namespace troupe::analytics
