// The files the evaluation metrics read (hypotheses, references): UTF-8 text, one segment per
// line. Lines end at '\n'; one '\r' before it is dropped (files from Windows); a final line
// without '\n' still counts, and an empty file has no segments.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace troupe::analytics {

// The segments of a file's contents. kInvalidArgument "NAME:LINE: not valid UTF-8 (byte N of the
// line)" for the first line that is not UTF-8; `name` is only used in that message.
Result<std::vector<std::string>> ParseSegments(std::string_view contents, std::string_view name);

// Reads and parses the file at `path`: kNotFound when it cannot be opened, kInvalidArgument for a
// directory, kUnavailable when a read fails, ParseSegments' error otherwise.
Result<std::vector<std::string>> ReadSegmentFile(const std::string& path);

}  // namespace troupe::analytics
