// Small text helpers every layer needs.
#pragma once

#include <string_view>

namespace troupe {

// The text without leading and trailing ASCII whitespace (std::isspace in the C locale).
std::string_view TrimSpace(std::string_view text);

}  // namespace troupe
