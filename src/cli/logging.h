// Process-wide logging to stderr: human-readable text, or one JSON object per line for log
// collectors. Internal to src/cli; libraries just call spdlog.
#pragma once

#include <string>

namespace troupe::cli {

// `level`: trace | debug | info | warn | error | off. `format`: text | json. `redact_pii`: personal
// data in messages replaced by placeholders (base/pii.h). Safe to call again.
void ConfigureLogging(const std::string& level, const std::string& format, bool redact_pii);

}  // namespace troupe::cli
