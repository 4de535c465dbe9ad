// chrF (Popović 2015) and chrF++ (Popović 2017) as sacreBLEU 2.x computes them: character n-grams
// up to order 6 with whitespace removed, word n-grams up to `word_order` (0 for chrF, 2 for
// chrF++), the F-score weighting recall `beta` (2) times as much as precision, and statistics summed
// over segments before the score. Each segment is matched against the reference that gives it the
// best F-score. Scores are on the 0-100 scale; everything here is pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace troupe::analytics {

struct ChrfOptions {
  int char_order = 6;  // 1..kMaxChrfOrder
  int word_order = 0;  // 0..kMaxChrfOrder; 2 makes chrF++
  double beta = 2;     // > 0
  bool lowercase = false;
  bool keep_whitespace = false;  // sacreBLEU's whitespace=True: spaces are part of character n-grams
  // chrF++.py's smoothing (also NLTK's and Moses'): the F-scores of each order averaged, an order
  // without n-grams counting 1e-16. Off (sacreBLEU's default), precision and recall are averaged
  // over the orders both sides have n-grams of, then combined.
  bool eps_smoothing = false;
};

inline constexpr int kMaxChrfOrder = 16;

// kInvalidArgument naming the field (char_order, word_order, beta) when the options cannot be used.
Status ValidateChrfOptions(const ChrfOptions& options);

// Per order, character orders first and then word orders: the hypothesis' n-grams, the
// reference's, and the clipped matches. A corpus' statistics are its segments' summed.
struct ChrfStatistics {
  std::vector<int64_t> hypothesis;
  std::vector<int64_t> reference;
  std::vector<int64_t> matches;

  void Add(const ChrfStatistics& segment);
};

struct ChrfScore {
  double score = 0;  // 0..100
  ChrfStatistics statistics;
};

// The statistics of one hypothesis against its best-matching reference. No references give
// all-zero statistics. Needs valid options.
ChrfStatistics ChrfSegmentStatistics(std::string_view hypothesis, const std::vector<std::string>& references,
                                     const ChrfOptions& options);

// The chrF score of statistics (0..100).
double ChrfFromStatistics(const ChrfStatistics& statistics, const ChrfOptions& options);

// Corpus chrF: reference_streams[k][i] is the k-th reference of hypotheses[i]. kInvalidArgument
// when there is no stream, a stream's length differs from the hypotheses', or the options are invalid.
Result<ChrfScore> CorpusChrf(const std::vector<std::string>& hypotheses,
                             const std::vector<std::vector<std::string>>& reference_streams,
                             const ChrfOptions& options = {});

// Sentence chrF of one hypothesis; kInvalidArgument for invalid options.
Result<ChrfScore> SentenceChrf(std::string_view hypothesis, const std::vector<std::string>& references,
                               const ChrfOptions& options = {});

}  // namespace troupe::analytics
