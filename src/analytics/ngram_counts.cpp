#include "analytics/ngram_counts.h"

#include <algorithm>

namespace troupe::analytics {

NgramCounts CountNgrams(const std::vector<std::string_view>& units, size_t order, std::string_view separator) {
  NgramCounts counts;
  if (order == 0 || order > units.size()) return counts;
  std::string key;
  for (size_t start = 0; start + order <= units.size(); ++start) {
    key.clear();
    for (size_t i = start; i < start + order; ++i) {
      if (i > start) key.append(separator);
      key.append(units[i]);
    }
    ++counts[key];
  }
  return counts;
}

int64_t TotalNgrams(const NgramCounts& counts) {
  int64_t total = 0;
  for (const auto& [ngram, count] : counts) total += count;
  return total;
}

int64_t ClippedOverlap(const NgramCounts& a, const NgramCounts& b) {
  const NgramCounts& smaller = a.size() <= b.size() ? a : b;
  const NgramCounts& larger = a.size() <= b.size() ? b : a;
  int64_t overlap = 0;
  for (const auto& [ngram, count] : smaller) {
    const auto found = larger.find(ngram);
    if (found != larger.end()) overlap += std::min(count, found->second);
  }
  return overlap;
}

Status CheckReferenceStreams(std::string_view metric, size_t hypotheses,
                             const std::vector<std::vector<std::string>>& reference_streams) {
  if (reference_streams.empty()) {
    return InvalidArgument(std::string(metric) + " needs at least one reference stream", "references");
  }
  for (size_t k = 0; k < reference_streams.size(); ++k) {
    if (reference_streams[k].size() != hypotheses) {
      return InvalidArgument("reference stream " + std::to_string(k + 1) + " has " +
                                 std::to_string(reference_streams[k].size()) + " segments but there are " +
                                 std::to_string(hypotheses) + " hypotheses",
                             "references");
    }
  }
  return Status::Ok();
}

}  // namespace troupe::analytics
