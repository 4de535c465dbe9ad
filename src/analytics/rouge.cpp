#include "analytics/rouge.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>

#include "analytics/ngram_counts.h"
#include "analytics/rouge_tokens.h"

namespace troupe::analytics {

namespace {

RougeScore RougeFromCounts(double matches, double prediction_count, double target_count) {
  RougeScore score;
  score.precision = matches / std::max(prediction_count, 1.0);
  score.recall = matches / std::max(target_count, 1.0);
  const double sum = score.precision + score.recall;
  score.fmeasure = sum > 0 ? 2 * score.precision * score.recall / sum : 0;
  return score;
}

std::vector<std::string_view> RougeViews(const std::vector<std::string>& tokens) {
  return {tokens.begin(), tokens.end()};
}

// The full table: cell (i, j) holds the LCS length of reference[0, i) and candidate[0, j).
std::vector<uint32_t> RougeLcsTable(const std::vector<std::string>& reference,
                                    const std::vector<std::string>& candidate) {
  const size_t columns = candidate.size() + 1;
  std::vector<uint32_t> table((reference.size() + 1) * columns, 0);
  for (size_t i = 1; i <= reference.size(); ++i) {
    for (size_t j = 1; j <= candidate.size(); ++j) {
      table[i * columns + j] = reference[i - 1] == candidate[j - 1]
                                   ? table[(i - 1) * columns + j - 1] + 1
                                   : std::max(table[(i - 1) * columns + j], table[i * columns + j - 1]);
    }
  }
  return table;
}

std::vector<std::vector<std::string>> RougeSentences(std::string_view text, bool stem) {
  std::vector<std::vector<std::string>> sentences;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    // rouge-score drops empty lines, not lines without tokens.
    if (end > start) sentences.push_back(RougeTokens(text.substr(start, end - start), stem));
    start = end + 1;
  }
  return sentences;
}

}  // namespace

RougeScore RougeN(const std::vector<std::string>& target, const std::vector<std::string>& prediction, size_t n) {
  if (n == 0) return {};
  const NgramCounts target_ngrams = CountNgrams(RougeViews(target), n, " ");
  const NgramCounts prediction_ngrams = CountNgrams(RougeViews(prediction), n, " ");
  return RougeFromCounts(static_cast<double>(ClippedOverlap(target_ngrams, prediction_ngrams)),
                         static_cast<double>(TotalNgrams(prediction_ngrams)),
                         static_cast<double>(TotalNgrams(target_ngrams)));
}

size_t LcsLength(const std::vector<std::string>& reference, const std::vector<std::string>& candidate) {
  // Two rows suffice for the length.
  std::vector<size_t> previous(candidate.size() + 1, 0);
  std::vector<size_t> current(candidate.size() + 1, 0);
  for (size_t i = 1; i <= reference.size(); ++i) {
    for (size_t j = 1; j <= candidate.size(); ++j) {
      current[j] = reference[i - 1] == candidate[j - 1] ? previous[j - 1] + 1 : std::max(previous[j], current[j - 1]);
    }
    std::swap(previous, current);
  }
  return previous[candidate.size()];
}

std::vector<size_t> LcsReferencePositions(const std::vector<std::string>& reference,
                                          const std::vector<std::string>& candidate) {
  const std::vector<uint32_t> table = RougeLcsTable(reference, candidate);
  const size_t columns = candidate.size() + 1;
  std::vector<size_t> positions;
  size_t i = reference.size();
  size_t j = candidate.size();
  while (i > 0 && j > 0) {
    if (reference[i - 1] == candidate[j - 1]) {
      positions.push_back(i - 1);
      --i;
      --j;
    } else if (table[i * columns + j - 1] > table[(i - 1) * columns + j]) {
      --j;
    } else {
      --i;
    }
  }
  std::reverse(positions.begin(), positions.end());
  return positions;
}

RougeScore RougeL(const std::vector<std::string>& target, const std::vector<std::string>& prediction) {
  if (target.empty() || prediction.empty()) return {};
  return RougeFromCounts(static_cast<double>(LcsLength(target, prediction)), static_cast<double>(prediction.size()),
                         static_cast<double>(target.size()));
}

RougeScore RougeLsum(const std::vector<std::vector<std::string>>& target_sentences,
                     const std::vector<std::vector<std::string>>& prediction_sentences) {
  std::map<std::string, int64_t> target_unused;
  std::map<std::string, int64_t> prediction_unused;
  size_t target_tokens = 0;
  size_t prediction_tokens = 0;
  for (const auto& sentence : target_sentences) {
    target_tokens += sentence.size();
    for (const std::string& token : sentence) ++target_unused[token];
  }
  for (const auto& sentence : prediction_sentences) {
    prediction_tokens += sentence.size();
    for (const std::string& token : sentence) ++prediction_unused[token];
  }
  if (target_tokens == 0 || prediction_tokens == 0) return {};
  size_t hits = 0;
  for (const auto& target_sentence : target_sentences) {
    std::set<size_t> union_positions;
    for (const auto& prediction_sentence : prediction_sentences) {
      for (size_t position : LcsReferencePositions(target_sentence, prediction_sentence)) {
        union_positions.insert(position);
      }
    }
    for (size_t position : union_positions) {
      const std::string& token = target_sentence[position];
      int64_t& in_target = target_unused[token];
      int64_t& in_prediction = prediction_unused[token];
      if (in_target > 0 && in_prediction > 0) {
        ++hits;
        --in_target;
        --in_prediction;
      }
    }
  }
  RougeScore score;
  score.recall = static_cast<double>(hits) / static_cast<double>(target_tokens);
  score.precision = static_cast<double>(hits) / static_cast<double>(prediction_tokens);
  const double sum = score.precision + score.recall;
  score.fmeasure = sum > 0 ? 2 * score.precision * score.recall / sum : 0;
  return score;
}

RougeScores ScoreRouge(std::string_view target, std::string_view prediction, bool stem) {
  const std::vector<std::string> target_tokens = RougeTokens(target, stem);
  const std::vector<std::string> prediction_tokens = RougeTokens(prediction, stem);
  RougeScores scores;
  scores.rouge1 = RougeN(target_tokens, prediction_tokens, 1);
  scores.rouge2 = RougeN(target_tokens, prediction_tokens, 2);
  scores.rougeL = RougeL(target_tokens, prediction_tokens);
  scores.rougeLsum = RougeLsum(RougeSentences(target, stem), RougeSentences(prediction, stem));
  return scores;
}

RougeScores ScoreRougeMulti(const std::vector<std::string>& targets, std::string_view prediction, bool stem) {
  RougeScores best;
  bool first = true;
  for (const std::string& target : targets) {
    const RougeScores scores = ScoreRouge(target, prediction, stem);
    auto keep_better = [first](RougeScore& kept, const RougeScore& candidate) {
      if (first || candidate.fmeasure > kept.fmeasure) kept = candidate;
    };
    keep_better(best.rouge1, scores.rouge1);
    keep_better(best.rouge2, scores.rouge2);
    keep_better(best.rougeL, scores.rougeL);
    keep_better(best.rougeLsum, scores.rougeLsum);
    first = false;
  }
  return best;
}

}  // namespace troupe::analytics
