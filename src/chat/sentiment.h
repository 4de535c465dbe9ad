// A quick estimate of a message's tone, -1 (negative) to +1 (positive), 0 when it holds no
// opinion words. VADER's approach with our own lexicon of some six hundred common English words:
// negation within the clause ("not happy"), boosters and dampeners ("very", "kind of"), ALL CAPS and
// "!" for emphasis, "but" shifting weight to what follows, emoticons and emoji. The runtime uses
// it for affinity and the sentiment trend flows react to; it runs in microseconds on every
// message. On the labelled review sentences in shared/testdata (Kotzias et al.) it has an opinion
// on about three in four and is right on about nine in ten of those (tests/chat/sentiment_test.cpp).
// Thread-safe.
#pragma once

#include <string_view>

namespace troupe::chat {

double EstimateSentiment(std::string_view text);

}  // namespace troupe::chat
