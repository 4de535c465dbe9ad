// Whether a short message says yes or no to a question the character just asked ("yes please",
// "go ahead", "no thanks", "cancel that"). Anything longer or mixed is unclear, which leaves the
// question open: a tool that changes something never runs on a guess.
#pragma once

#include <string_view>

namespace troupe::chat::tools {

enum class ConfirmationAnswer { kYes, kNo, kUnclear };

ConfirmationAnswer ReadConfirmation(std::string_view text);

}  // namespace troupe::chat::tools
