// BLEU (Papineni et al. 2002) as sacreBLEU 2.x computes it, so scores can be compared with
// published ones: the 13a tokenizer, case-sensitive, n-grams up to order 4, the reference length
// closest to the hypothesis' (the shorter on a tie) for the brevity penalty, and n-gram statistics
// summed over all segments before the geometric mean. Scores are on sacreBLEU's 0-100 scale.
// Everything here is a pure function of its arguments and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/bleu_tokenizer.h"
#include "base/status.h"

namespace troupe::analytics {

// How a zero n-gram precision is kept from zeroing the score (Chen and Cherry 2014):
// none; floor: zero matches count as `smooth_value` (default 0.1); add-k: `smooth_value` (default
// 1) added to the matches and totals of orders 2 and up; exp: the k-th zero precision becomes
// 1 / (2^k * total), as NIST's mteval-v13a.
enum class BleuSmoothing { kNone, kFloor, kAddK, kExp };

// "none", "floor", "add-k" or "exp"; nullopt for any other name.
std::optional<BleuSmoothing> ParseBleuSmoothing(std::string_view name);
std::string_view BleuSmoothingName(BleuSmoothing smoothing);

struct BleuOptions {
  BleuTokenizer tokenizer = BleuTokenizer::k13a;
  BleuSmoothing smoothing = BleuSmoothing::kExp;
  std::optional<double> smooth_value;  // floor and add-k only; their defaults when unset
  bool lowercase = false;
  int max_order = 4;  // 1..kMaxBleuOrder
  // Leaves out of the geometric mean the orders the hypotheses have no n-grams of, so a short
  // sentence is not scored 0 for having no 4-grams. sacreBLEU's sentence-level default.
  bool effective_order = false;
};

inline constexpr int kMaxBleuOrder = 16;

// The options of sacreBLEU's sentence_bleu: the defaults with effective order on.
BleuOptions SentenceBleuOptions();

// kInvalidArgument naming the field (max_order, smooth_value) when the options cannot be used.
Status ValidateBleuOptions(const BleuOptions& options);

// BLEU's sufficient statistics; those of a corpus are the sums of its segments'.
struct BleuStatistics {
  int64_t hypothesis_length = 0;  // tokens
  int64_t reference_length = 0;   // the closest reference's tokens
  std::vector<int64_t> matches;   // per order 1..max_order: clipped n-gram matches
  std::vector<int64_t> totals;    // per order: the hypothesis' n-grams

  void Add(const BleuStatistics& segment);
};

struct BleuScore {
  double score = 0;                // 0..100
  std::vector<double> precisions;  // per order, 0..100, after smoothing
  double brevity_penalty = 0;
  BleuStatistics statistics;
};

// The statistics of one hypothesis against its references (each preprocessed as the options say:
// lowercased, trailing whitespace removed, tokenized). An empty `references` counts no matches
// and a reference length of 0. Needs valid options (ValidateBleuOptions).
BleuStatistics BleuSegmentStatistics(std::string_view hypothesis, const std::vector<std::string>& references,
                                     const BleuOptions& options);

// The score from statistics, as sacreBLEU's compute_bleu: 0 when nothing matches. Statistics
// whose vectors are shorter than max_order count the missing orders as 0.
BleuScore BleuFromStatistics(const BleuStatistics& statistics, const BleuOptions& options);

// Corpus BLEU: reference_streams[k][i] is the k-th reference of hypotheses[i] (sacreBLEU's
// layout). kInvalidArgument when there is no stream, a stream's length differs from the
// hypotheses', or the options are invalid.
Result<BleuScore> CorpusBleu(const std::vector<std::string>& hypotheses,
                             const std::vector<std::vector<std::string>>& reference_streams,
                             const BleuOptions& options);

// Sentence BLEU of one hypothesis against any number of references; kInvalidArgument for
// invalid options.
Result<BleuScore> SentenceBleu(std::string_view hypothesis, const std::vector<std::string>& references,
                               const BleuOptions& options = SentenceBleuOptions());

}  // namespace troupe::analytics
