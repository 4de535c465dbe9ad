// ROUGE-N, ROUGE-L and ROUGE-Lsum (Lin 2004) as Google Research's rouge-score computes them, with
// its argument order: `target` is the reference, `prediction` the text being scored. Recall is
// over the target's n-grams (or tokens), precision over the prediction's; F is their harmonic mean
// (0 when both are 0). Tokens come from RougeTokens (rouge_tokens.h). Pure and thread-safe.
//
// ROUGE-L and ROUGE-Lsum take time proportional to the product of the two lengths; ROUGE-Lsum
// also memory, per pair of sentences.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace troupe::analytics {

struct RougeScore {
  double precision = 0;
  double recall = 0;
  double fmeasure = 0;
};

// Clipped n-gram overlap (n >= 1; an n of 0 scores 0).
RougeScore RougeN(const std::vector<std::string>& target, const std::vector<std::string>& prediction, size_t n);

// The longest common subsequence of the whole token sequences (0 when either is empty).
RougeScore RougeL(const std::vector<std::string>& target, const std::vector<std::string>& prediction);

// Summary-level LCS over sentences: for each target sentence, the union of its LCS positions
// against every prediction sentence; each union token is a hit while unused occurrences of it
// remain on both sides (ROUGE-1.5.5's guard against double counting).
RougeScore RougeLsum(const std::vector<std::vector<std::string>>& target_sentences,
                     const std::vector<std::vector<std::string>>& prediction_sentences);

// The length of the LCS of two sequences, and the positions in `reference` of the one rouge-score
// reads out (backtracking from the end, preferring to drop from `candidate` on a strict win).
size_t LcsLength(const std::vector<std::string>& reference, const std::vector<std::string>& candidate);
std::vector<size_t> LcsReferencePositions(const std::vector<std::string>& reference,
                                          const std::vector<std::string>& candidate);

struct RougeScores {
  RougeScore rouge1;
  RougeScore rouge2;
  RougeScore rougeL;
  RougeScore rougeLsum;  // sentences are the text's non-empty lines
};

// All four of one prediction against one target.
RougeScores ScoreRouge(std::string_view target, std::string_view prediction, bool stem);

// Against several targets: for each type, the target's score with the highest F (the first on a
// tie), as rouge-score's score_multi. No targets give zeros.
RougeScores ScoreRougeMulti(const std::vector<std::string>& targets, std::string_view prediction, bool stem);

}  // namespace troupe::analytics
