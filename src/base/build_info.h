// What this binary is: version and the commit it was built from (for `troupe version`, logs and
// the troupe_build_info metric).
#pragma once

#include <string_view>

namespace troupe {

std::string_view Version();     // "0.1.0"
std::string_view GitCommit();   // short hash, or "unknown" outside a git checkout
std::string_view BuildType();   // CMake build type, e.g. "RelWithDebInfo"

}  // namespace troupe
