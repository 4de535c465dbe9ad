#include "analytics/segment_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "analytics/metric_text.h"

namespace troupe::analytics {

Result<std::vector<std::string>> ParseSegments(std::string_view contents, std::string_view name) {
  std::vector<std::string> segments;
  size_t start = 0;
  while (start < contents.size()) {
    size_t end = contents.find('\n', start);
    if (end == std::string_view::npos) end = contents.size();
    std::string_view line = contents.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t bad_byte = 0;
    if (!IsValidUtf8(line, &bad_byte)) {
      return InvalidArgument(std::string(name) + ":" + std::to_string(segments.size() + 1) +
                             ": not valid UTF-8 (byte " + std::to_string(bad_byte + 1) + " of the line)");
    }
    segments.emplace_back(line);
    start = end + 1;
  }
  return segments;
}

Result<std::vector<std::string>> ReadSegmentFile(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) return InvalidArgument(path + ": is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return Unavailable(path + ": cannot read: " + std::strerror(errno));
  return ParseSegments(contents.str(), path);
}

}  // namespace troupe::analytics
