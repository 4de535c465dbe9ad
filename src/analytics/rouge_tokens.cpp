#include "analytics/rouge_tokens.h"

#include <libstemmer.h>

#include <algorithm>
#include <memory>

#include "analytics/metric_text.h"

namespace troupe::analytics {

namespace {

bool IsRougeTokenByte(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// Snowball stemmers keep state between calls: one per thread.
class SnowballPorter {
 public:
  SnowballPorter() : stemmer_(sb_stemmer_new("porter", "UTF_8"), &sb_stemmer_delete) {}

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

std::string PorterStem(std::string_view word) {
  if (word.empty() || !std::all_of(word.begin(), word.end(), IsRougeTokenByte)) return std::string(word);
  thread_local SnowballPorter stemmer;
  return stemmer.Stem(word);
}

std::vector<std::string> RougeTokens(std::string_view text, bool stem) {
  const std::string lower = UnicodeLowercase(text);
  std::vector<std::string> tokens;
  size_t start = 0;
  for (size_t at = 0; at <= lower.size(); ++at) {
    if (at < lower.size() && IsRougeTokenByte(lower[at])) continue;
    if (at > start) {
      std::string token = lower.substr(start, at - start);
      if (stem && token.size() > 3) token = PorterStem(token);
      if (!token.empty()) tokens.push_back(std::move(token));
    }
    start = at + 1;
  }
  return tokens;
}

}  // namespace troupe::analytics
