#include "analytics/rouge_tokens.h"

#include <algorithm>
#include <memory>

#include "analytics/metric_text.h"
#include "analytics/words.h"

namespace troupe::analytics {

namespace {

bool IsRougeTokenByte(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

std::string PorterStem(std::string_view word) {
  if (word.empty() || !std::all_of(word.begin(), word.end(), IsRougeTokenByte)) return std::string(word);
  return SnowballPorterStem(word);
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
