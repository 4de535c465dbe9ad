// The runtime's name for the lexicon sentiment signal, which lives in base (base/sentiment_lexicon.h)
// so the analytics lab scores with the same words. Thread-safe.
#pragma once

#include <string_view>

#include "base/sentiment_lexicon.h"

namespace troupe::chat {

// -1 (negative) to +1 (positive), 0 without opinion words: LexiconSentiment.
inline double EstimateSentiment(std::string_view text) { return LexiconSentiment(text); }

}  // namespace troupe::chat
