#include "analytics/bleu.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "analytics/metric_text.h"
#include "analytics/ngram_counts.h"

namespace troupe::analytics {

namespace {

// sacreBLEU floors log(0) at this value instead of -infinity, so a zero precision gives a score
// of 0 through exp() rather than a NaN.
constexpr double kBleuLogOfZero = -9999999999.0;

double BleuLog(double value) { return value == 0.0 ? kBleuLogOfZero : std::log(value); }

std::string PreprocessForBleu(std::string_view segment, const BleuOptions& options) {
  std::string text = options.lowercase ? UnicodeLowercase(segment) : std::string(segment);
  return TokenizeForBleu(RstripPythonWhitespace(text), options.tokenizer);
}

// The n-grams of every order 1..max_order of a preprocessed segment, and its token count.
struct BleuNgrams {
  std::vector<NgramCounts> by_order;
  int64_t length = 0;
};

BleuNgrams BleuNgramsOf(const std::string& tokenized, int max_order) {
  const std::vector<std::string_view> tokens = SplitPythonWhitespace(tokenized);
  BleuNgrams ngrams;
  ngrams.length = static_cast<int64_t>(tokens.size());
  for (int order = 1; order <= max_order; ++order) {
    ngrams.by_order.push_back(CountNgrams(tokens, static_cast<size_t>(order), " "));
  }
  return ngrams;
}

// Closest to the hypothesis' length; the shorter of two equally close.
int64_t BleuClosestReferenceLength(int64_t hypothesis_length, const std::vector<int64_t>& reference_lengths) {
  int64_t closest = 0;
  int64_t closest_difference = -1;
  for (int64_t length : reference_lengths) {
    const int64_t difference = std::llabs(hypothesis_length - length);
    if (closest_difference < 0 || difference < closest_difference ||
        (difference == closest_difference && length < closest)) {
      closest = length;
      closest_difference = difference;
    }
  }
  return closest;
}

double BleuDefaultSmoothValue(BleuSmoothing smoothing) {
  if (smoothing == BleuSmoothing::kFloor) return 0.1;
  if (smoothing == BleuSmoothing::kAddK) return 1.0;
  return 0.0;
}

}  // namespace

std::optional<BleuSmoothing> ParseBleuSmoothing(std::string_view name) {
  if (name == "none") return BleuSmoothing::kNone;
  if (name == "floor") return BleuSmoothing::kFloor;
  if (name == "add-k") return BleuSmoothing::kAddK;
  if (name == "exp") return BleuSmoothing::kExp;
  return std::nullopt;
}

std::string_view BleuSmoothingName(BleuSmoothing smoothing) {
  switch (smoothing) {
    case BleuSmoothing::kNone:
      return "none";
    case BleuSmoothing::kFloor:
      return "floor";
    case BleuSmoothing::kAddK:
      return "add-k";
    case BleuSmoothing::kExp:
      return "exp";
  }
  return "exp";
}

BleuOptions SentenceBleuOptions() {
  BleuOptions options;
  options.effective_order = true;
  return options;
}

Status ValidateBleuOptions(const BleuOptions& options) {
  if (options.max_order < 1 || options.max_order > kMaxBleuOrder) {
    return InvalidArgument("the maximum n-gram order must be 1 to " + std::to_string(kMaxBleuOrder) + ", not " +
                               std::to_string(options.max_order),
                           "max_order");
  }
  if (options.smooth_value && (!std::isfinite(*options.smooth_value) || *options.smooth_value < 0)) {
    return InvalidArgument("the smoothing value must be a finite number of at least 0", "smooth_value");
  }
  return Status::Ok();
}

void BleuStatistics::Add(const BleuStatistics& segment) {
  hypothesis_length += segment.hypothesis_length;
  reference_length += segment.reference_length;
  if (matches.size() < segment.matches.size()) matches.resize(segment.matches.size());
  if (totals.size() < segment.totals.size()) totals.resize(segment.totals.size());
  for (size_t i = 0; i < segment.matches.size(); ++i) matches[i] += segment.matches[i];
  for (size_t i = 0; i < segment.totals.size(); ++i) totals[i] += segment.totals[i];
}

BleuStatistics BleuSegmentStatistics(std::string_view hypothesis, const std::vector<std::string>& references,
                                     const BleuOptions& options) {
  const auto orders = static_cast<size_t>(options.max_order);
  // An n-gram's clip is its largest count in any one reference.
  std::vector<NgramCounts> reference_max(orders);
  std::vector<int64_t> reference_lengths;
  for (const std::string& reference : references) {
    BleuNgrams ngrams = BleuNgramsOf(PreprocessForBleu(reference, options), options.max_order);
    reference_lengths.push_back(ngrams.length);
    for (size_t order = 0; order < orders; ++order) {
      for (auto& [ngram, count] : ngrams.by_order[order]) {
        int64_t& kept = reference_max[order][ngram];
        kept = std::max(kept, count);
      }
    }
  }
  const BleuNgrams hypothesis_ngrams = BleuNgramsOf(PreprocessForBleu(hypothesis, options), options.max_order);
  BleuStatistics statistics;
  statistics.hypothesis_length = hypothesis_ngrams.length;
  statistics.reference_length = BleuClosestReferenceLength(hypothesis_ngrams.length, reference_lengths);
  for (size_t order = 0; order < orders; ++order) {
    statistics.matches.push_back(ClippedOverlap(hypothesis_ngrams.by_order[order], reference_max[order]));
    statistics.totals.push_back(TotalNgrams(hypothesis_ngrams.by_order[order]));
  }
  return statistics;
}

BleuScore BleuFromStatistics(const BleuStatistics& statistics, const BleuOptions& options) {
  const auto orders = static_cast<size_t>(std::clamp(options.max_order, 1, kMaxBleuOrder));
  BleuScore result;
  result.statistics = statistics;
  result.statistics.matches.resize(orders);
  result.statistics.totals.resize(orders);
  result.precisions.assign(orders, 0.0);
  const double hypothesis_length = static_cast<double>(statistics.hypothesis_length);
  const double reference_length = static_cast<double>(statistics.reference_length);
  if (hypothesis_length < reference_length) {
    result.brevity_penalty = hypothesis_length > 0 ? std::exp(1.0 - reference_length / hypothesis_length) : 0.0;
  } else {
    result.brevity_penalty = 1.0;
  }
  const std::vector<int64_t>& matches = result.statistics.matches;
  const std::vector<int64_t>& totals = result.statistics.totals;
  if (std::all_of(matches.begin(), matches.end(), [](int64_t count) { return count == 0; })) return result;

  const double smooth_value = options.smooth_value.value_or(BleuDefaultSmoothValue(options.smoothing));
  double exp_smoothing_divisor = 1.0;
  size_t used_orders = orders;
  for (size_t order = 0; order < orders; ++order) {
    double matched = static_cast<double>(matches[order]);
    double total = static_cast<double>(totals[order]);
    if (options.smoothing == BleuSmoothing::kAddK && order > 0) {
      matched += smooth_value;
      total += smooth_value;
    }
    if (total == 0) break;
    if (options.effective_order) used_orders = order + 1;
    if (matched == 0) {
      if (options.smoothing == BleuSmoothing::kExp) {
        exp_smoothing_divisor *= 2;
        result.precisions[order] = 100.0 / (exp_smoothing_divisor * total);
      } else if (options.smoothing == BleuSmoothing::kFloor) {
        result.precisions[order] = 100.0 * smooth_value / total;
      }
    } else {
      result.precisions[order] = 100.0 * matched / total;
    }
  }
  double log_sum = 0;
  for (size_t order = 0; order < used_orders; ++order) log_sum += BleuLog(result.precisions[order]);
  result.score = result.brevity_penalty * std::exp(log_sum / static_cast<double>(used_orders));
  return result;
}

Result<BleuScore> CorpusBleu(const std::vector<std::string>& hypotheses,
                             const std::vector<std::vector<std::string>>& reference_streams,
                             const BleuOptions& options) {
  TROUPE_RETURN_IF_ERROR(ValidateBleuOptions(options));
  TROUPE_RETURN_IF_ERROR(CheckReferenceStreams("BLEU", hypotheses.size(), reference_streams));
  BleuStatistics corpus;
  std::vector<std::string> references(reference_streams.size());
  for (size_t i = 0; i < hypotheses.size(); ++i) {
    for (size_t k = 0; k < reference_streams.size(); ++k) references[k] = reference_streams[k][i];
    corpus.Add(BleuSegmentStatistics(hypotheses[i], references, options));
  }
  if (corpus.matches.empty()) {
    corpus.matches.assign(static_cast<size_t>(options.max_order), 0);
    corpus.totals.assign(static_cast<size_t>(options.max_order), 0);
  }
  return BleuFromStatistics(corpus, options);
}

Result<BleuScore> SentenceBleu(std::string_view hypothesis, const std::vector<std::string>& references,
                               const BleuOptions& options) {
  TROUPE_RETURN_IF_ERROR(ValidateBleuOptions(options));
  return BleuFromStatistics(BleuSegmentStatistics(hypothesis, references, options), options);
}

}  // namespace troupe::analytics
