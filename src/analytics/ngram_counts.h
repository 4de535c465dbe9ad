// N-gram counting shared by BLEU, chrF and ROUGE: how often each run of `order` consecutive units
// (words or characters) occurs, and the clipped overlap of two such counts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"

namespace troupe::analytics {

// A corpus metric's inputs: at least one reference stream, each with one segment per hypothesis.
// kInvalidArgument (field "references") naming the metric and the stream that does not fit.
Status CheckReferenceStreams(std::string_view metric, size_t hypotheses,
                             const std::vector<std::vector<std::string>>& reference_streams);

// Each n-gram is its units joined by the separator given to CountNgrams.
using NgramCounts = std::unordered_map<std::string, int64_t>;

// The n-grams of exactly `order` units. `separator` goes between units: units must not contain
// it, or two different n-grams could share a key ("" is safe for characters, which UTF-8 keeps
// apart; " " for whitespace-split words). An order of 0 or above the unit count gives none.
NgramCounts CountNgrams(const std::vector<std::string_view>& units, size_t order, std::string_view separator);

// The number of n-grams counted (with repeats).
int64_t TotalNgrams(const NgramCounts& counts);

// Sum over the n-grams of min(count in a, count in b): the multiset intersection's size.
int64_t ClippedOverlap(const NgramCounts& a, const NgramCounts& b);

}  // namespace troupe::analytics
