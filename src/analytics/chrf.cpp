#include "analytics/chrf.h"

#include <cmath>

#include "analytics/metric_text.h"
#include "analytics/ngram_counts.h"

namespace troupe::analytics {

namespace {

constexpr double kChrfEpsilon = 1e-16;

// string.punctuation: what chrF++ splits off a word's end (or, failing that, its start).
bool IsChrfPunctuation(char c) {
  static constexpr std::string_view kPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
  return kPunctuation.find(c) != std::string_view::npos;
}

// Words for chrF++'s word n-grams: whitespace-split, one punctuation character split off the end
// of a longer word, or else off its start ("(hi)" gives "(hi" and ")", as sacreBLEU does).
std::vector<std::string_view> ChrfWords(std::string_view text) {
  std::vector<std::string_view> words;
  for (std::string_view word : SplitPythonWhitespace(text)) {
    if (CodePoints(word).size() == 1) {
      words.push_back(word);
    } else if (IsChrfPunctuation(word.back())) {
      words.push_back(word.substr(0, word.size() - 1));
      words.push_back(word.substr(word.size() - 1));
    } else if (IsChrfPunctuation(word.front())) {
      words.push_back(word.substr(0, 1));
      words.push_back(word.substr(1));
    } else {
      words.push_back(word);
    }
  }
  return words;
}

// The n-grams of every order, character orders first.
std::vector<NgramCounts> ChrfNgramsOf(std::string_view segment, const ChrfOptions& options) {
  const std::string text = options.lowercase ? UnicodeLowercase(segment) : std::string(segment);
  std::string characters_source;
  if (options.keep_whitespace) {
    characters_source = text;
  } else {
    for (std::string_view piece : SplitPythonWhitespace(text)) characters_source.append(piece);
  }
  const std::vector<std::string_view> characters = CodePoints(characters_source);
  std::vector<NgramCounts> ngrams;
  for (int order = 1; order <= options.char_order; ++order) {
    ngrams.push_back(CountNgrams(characters, static_cast<size_t>(order), ""));
  }
  if (options.word_order > 0) {
    const std::vector<std::string_view> words = ChrfWords(text);
    for (int order = 1; order <= options.word_order; ++order) {
      ngrams.push_back(CountNgrams(words, static_cast<size_t>(order), " "));
    }
  }
  return ngrams;
}

ChrfStatistics ChrfMatch(const std::vector<NgramCounts>& hypothesis, const std::vector<NgramCounts>& reference) {
  ChrfStatistics statistics;
  for (size_t order = 0; order < hypothesis.size(); ++order) {
    // sacreBLEU counts no hypothesis n-grams for an order the reference has none of.
    statistics.hypothesis.push_back(reference[order].empty() ? 0 : TotalNgrams(hypothesis[order]));
    statistics.reference.push_back(TotalNgrams(reference[order]));
    statistics.matches.push_back(ClippedOverlap(hypothesis[order], reference[order]));
  }
  return statistics;
}

}  // namespace

Status ValidateChrfOptions(const ChrfOptions& options) {
  if (options.char_order < 1 || options.char_order > kMaxChrfOrder) {
    return InvalidArgument("the character n-gram order must be 1 to " + std::to_string(kMaxChrfOrder), "char_order");
  }
  if (options.word_order < 0 || options.word_order > kMaxChrfOrder) {
    return InvalidArgument("the word n-gram order must be 0 to " + std::to_string(kMaxChrfOrder), "word_order");
  }
  if (!std::isfinite(options.beta) || options.beta <= 0) {
    return InvalidArgument("beta must be a finite number above 0", "beta");
  }
  return Status::Ok();
}

void ChrfStatistics::Add(const ChrfStatistics& segment) {
  if (hypothesis.size() < segment.hypothesis.size()) {
    hypothesis.resize(segment.hypothesis.size());
    reference.resize(segment.hypothesis.size());
    matches.resize(segment.hypothesis.size());
  }
  for (size_t i = 0; i < segment.hypothesis.size(); ++i) {
    hypothesis[i] += segment.hypothesis[i];
    reference[i] += segment.reference[i];
    matches[i] += segment.matches[i];
  }
}

ChrfStatistics ChrfSegmentStatistics(std::string_view hypothesis, const std::vector<std::string>& references,
                                     const ChrfOptions& options) {
  const size_t orders = static_cast<size_t>(options.char_order + options.word_order);
  ChrfStatistics best;
  best.hypothesis.assign(orders, 0);
  best.reference.assign(orders, 0);
  best.matches.assign(orders, 0);
  const std::vector<NgramCounts> hypothesis_ngrams = ChrfNgramsOf(hypothesis, options);
  double best_score = -1;
  for (const std::string& reference : references) {
    ChrfStatistics statistics = ChrfMatch(hypothesis_ngrams, ChrfNgramsOf(reference, options));
    const double score = ChrfFromStatistics(statistics, options);
    if (score > best_score) {
      best_score = score;
      best = std::move(statistics);
    }
  }
  return best;
}

double ChrfFromStatistics(const ChrfStatistics& statistics, const ChrfOptions& options) {
  const double factor = options.beta * options.beta;
  const size_t orders = static_cast<size_t>(options.char_order + options.word_order);
  double f_sum = 0;
  double precision_sum = 0;
  double recall_sum = 0;
  int effective_orders = 0;
  for (size_t i = 0; i < orders; ++i) {
    const int64_t hypothesis = i < statistics.hypothesis.size() ? statistics.hypothesis[i] : 0;
    const int64_t reference = i < statistics.reference.size() ? statistics.reference[i] : 0;
    const double matches = i < statistics.matches.size() ? static_cast<double>(statistics.matches[i]) : 0;
    const double precision = hypothesis > 0 ? matches / static_cast<double>(hypothesis) : kChrfEpsilon;
    const double recall = reference > 0 ? matches / static_cast<double>(reference) : kChrfEpsilon;
    const double denominator = factor * precision + recall;
    f_sum += denominator > 0 ? (1 + factor) * precision * recall / denominator : kChrfEpsilon;
    if (hypothesis > 0 && reference > 0) {
      precision_sum += precision;
      recall_sum += recall;
      ++effective_orders;
    }
  }
  if (options.eps_smoothing) return 100 * f_sum / static_cast<double>(orders);
  if (effective_orders == 0) return 0;
  const double precision = precision_sum / effective_orders;
  const double recall = recall_sum / effective_orders;
  if (precision + recall == 0) return 0;
  return 100 * (1 + factor) * precision * recall / (factor * precision + recall);
}

Result<ChrfScore> CorpusChrf(const std::vector<std::string>& hypotheses,
                             const std::vector<std::vector<std::string>>& reference_streams,
                             const ChrfOptions& options) {
  TROUPE_RETURN_IF_ERROR(ValidateChrfOptions(options));
  TROUPE_RETURN_IF_ERROR(CheckReferenceStreams("chrF", hypotheses.size(), reference_streams));
  ChrfScore result;
  const size_t orders = static_cast<size_t>(options.char_order + options.word_order);
  result.statistics.hypothesis.assign(orders, 0);
  result.statistics.reference.assign(orders, 0);
  result.statistics.matches.assign(orders, 0);
  std::vector<std::string> references(reference_streams.size());
  for (size_t i = 0; i < hypotheses.size(); ++i) {
    for (size_t k = 0; k < reference_streams.size(); ++k) references[k] = reference_streams[k][i];
    result.statistics.Add(ChrfSegmentStatistics(hypotheses[i], references, options));
  }
  result.score = ChrfFromStatistics(result.statistics, options);
  return result;
}

Result<ChrfScore> SentenceChrf(std::string_view hypothesis, const std::vector<std::string>& references,
                               const ChrfOptions& options) {
  TROUPE_RETURN_IF_ERROR(ValidateChrfOptions(options));
  ChrfScore result;
  result.statistics = ChrfSegmentStatistics(hypothesis, references, options);
  result.score = ChrfFromStatistics(result.statistics, options);
  return result;
}

}  // namespace troupe::analytics
