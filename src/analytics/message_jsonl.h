// Messages from JSON Lines: one JSON object per line with a string field "text" (other fields are
// ignored), as exported from a chat log. Blank lines are skipped; a line ending in CR is fine.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace troupe::analytics {

// The "text" of every non-blank line, in order. kInvalidArgument names the source and the line
// ("chats.jsonl:3: ...") when a line is not valid JSON (with the column), not an object, or has no
// string "text".
Result<std::vector<std::string>> ParseMessageJsonl(std::string_view content, std::string_view source_name);

// Reads a file and parses it as above; kNotFound when it does not exist, kUnavailable when it
// cannot be read.
Result<std::vector<std::string>> ReadMessageJsonl(const std::string& path);

// The whole of a JSON Lines (or any text) file: kNotFound when it does not exist, kInvalidArgument
// for a directory, kUnavailable when it cannot be read. Shared by the lab's line-based readers.
Result<std::string> ReadAnalyticsFile(const std::string& path);

}  // namespace troupe::analytics
