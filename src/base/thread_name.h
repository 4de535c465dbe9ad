// Names the calling thread as `top -H`, `perf` and /proc show it ("troupe-" + name, cut to the
// kernel's 15 characters), so an operator can tell the HTTP, handler, turn, provider and timer
// threads apart when one of them is busy.
#pragma once

#include <string_view>

namespace troupe {

void NameCurrentThread(std::string_view name);

}  // namespace troupe
