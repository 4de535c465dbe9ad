// Words too common in chat to say what a message is about: English function words, contractions
// and chat filler ("lol", "ok", "yeah", "gonna", "hello", "interesting"). The topic model drops them
// before stemming.
#pragma once

#include <string_view>

namespace troupe::analytics {

// True for a lowercased word (as LowercaseWords gives it: "don't", "i'm") on the list.
bool IsStopWord(std::string_view lowercased_word);

}  // namespace troupe::analytics
