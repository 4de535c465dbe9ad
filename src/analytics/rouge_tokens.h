// The tokens ROUGE compares, as Google Research's rouge-score makes them: the text lowercased (full
// Unicode lowercasing, as Python's str.lower), every run of characters outside [a-z0-9] a break,
// and, with stemming, each token longer than 3 characters reduced by the Porter stemmer.
//
// rouge-score stems with NLTK's PorterStemmer in its default mode (NLTK's extensions to Porter's
// algorithm); this uses Snowball's "porter", Porter's original algorithm. They agree on ordinary
// words and differ on some: docs/analytics.md lists the known ones.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace troupe::analytics {

std::vector<std::string> RougeTokens(std::string_view text, bool stem);

// The Porter (1980) stem of a lowercase ASCII word ("connections" -> "connect"); other words
// come back as they are. Thread-safe (a stemmer per thread).
std::string PorterStem(std::string_view word);

}  // namespace troupe::analytics
