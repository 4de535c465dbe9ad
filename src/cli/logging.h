// Process-wide logging to stderr: human-readable text, or one JSON object per line for log
// collectors. Internal to src/cli; libraries just call spdlog.
#pragma once

#include <string>

namespace troupe::cli {

// `level`: trace | debug | info | warn | error | off. `format`: text | json. Safe to call again.
void ConfigureLogging(const std::string& level, const std::string& format);

}  // namespace troupe::cli
