// The functions every chat template can call: Jinja2's range, dict and namespace, and the two
// Hugging Face adds, raise_exception (fails the render with the template's message) and
// strftime_now (formats `now` in local time).
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "engine/jinja/value.h"

namespace troupe::engine::jinja {

// Jinja2's sandbox refuses larger ranges; so do we.
inline constexpr int64_t kMaxRange = 100000;

std::vector<std::pair<std::string, Value>> GlobalFunctions(std::chrono::system_clock::time_point now);

}  // namespace troupe::engine::jinja
