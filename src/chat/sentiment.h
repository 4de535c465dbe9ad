// A quick estimate of a message's tone, -1 (negative) to +1 (positive), from a lexicon of common
// English words with negation ("not happy") and intensifiers ("very"), VADER's approach. The
// runtime uses it for affinity and the sentiment trend flows react to; it runs in microseconds on
// every message. The analytics module brings the heavier models.
#pragma once

#include <string_view>

namespace troupe::chat {

double EstimateSentiment(std::string_view text);

}  // namespace troupe::chat
