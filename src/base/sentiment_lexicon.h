// A quick estimate of a message's tone, -1 (negative) to +1 (positive), 0 when it holds no
// opinion words. VADER's approach with our own lexicon of some six hundred common English words:
// negation within the clause ("not happy"), boosters and dampeners ("very", "kind of"), ALL CAPS and
// "!" for emphasis, "but" shifting weight to what follows, emoticons and emoji. It lives in base
// because both the runtime (affinity, the sentiment trend, handoff) and the analytics lab score
// with it. On the labelled review sentences in shared/testdata (Kotzias et al.) it has an opinion
// on about three in four and is right on about nine in ten of those (tests/chat/sentiment_test.cpp).
// Allocation-free after the first call; thread-safe.
#pragma once

#include <string_view>

namespace troupe {

// The tone of `text` in [-1, 1]; exactly 0 when no lexicon word or emoticon is found, or when
// the positive and negative ones cancel out. Any bytes are accepted (invalid UTF-8 included).
double LexiconSentiment(std::string_view text);

}  // namespace troupe
