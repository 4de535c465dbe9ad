// Several candidates per request, and the check that a batch is not five copies of one character:
// between every two candidates, whether their names are the same (case-insensitive), how much
// their traits overlap (Jaccard over the lower-cased traits) and how alike their texts are (cosine
// of character-trigram counts over backstory and personality). A pair over a threshold is a
// near-copy. The check is pure and thread-safe; GenerateCandidates runs a generator (see there).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "studio/character_generator.h"
#include "studio/character_steps.h"

namespace troupe::studio {

struct DiversityThresholds {
  double trait_overlap = 0.6;    // Jaccard at or above: near-copy
  double text_similarity = 0.8;  // cosine at or above: near-copy
};

struct CandidatePair {
  size_t first = 0;  // indexes into the candidates, first < second
  size_t second = 0;
  bool same_name = false;
  double trait_overlap = 0;
  double text_similarity = 0;
  bool near_copy = false;
  std::string reason;  // why it is a near-copy ("same name 'Ada'; traits overlap 0.75"), "" otherwise
};

struct DiversityReport {
  std::vector<CandidatePair> pairs;  // every pair, in order (0,1), (0,2), ..., (1,2), ...
  // The later candidate of each near-copy pair, once each, ascending.
  std::vector<size_t> near_copies;
};

// Candidates without a concept compare by text alone.
DiversityReport CheckDiversity(const std::vector<CharacterDraft>& candidates, const DiversityThresholds& thresholds = {});

// Cosine similarity of the character-trigram counts of two texts (lower-cased ASCII, runs of
// non-letters as one space): 1 for the same text, 0 for texts with no trigram in common or empty.
double TrigramCosine(const std::string& first, const std::string& second);

inline constexpr int kMaxCandidatesPerBatch = 20;

struct CandidateBatch {
  std::vector<CharacterDraft> candidates;
  DiversityReport diversity;
  int regenerated = 0;  // near-copies made again
};

// `count` candidates (1..20; kInvalidArgument naming "candidates" otherwise), each from its own
// seed (the generator's seed plus the candidate's index) and told the names already made. With
// `regenerate_near_copies`, each near-copy is made once more with a new seed and the report is
// redone; a near-copy may remain (the report says so). Errors: the generator's, for the first
// candidate that failed.
Result<CandidateBatch> GenerateCandidates(CharacterGenerator& generator, const GenerationBrief& brief, int count,
                                          bool regenerate_near_copies, const DiversityThresholds& thresholds = {});

// A batch that can be interrupted and resumed (a job's checkpoint).
struct ResumableBatch {
  bool regenerate_near_copies = false;
  DiversityThresholds thresholds;
  // Candidates an earlier run saved, in order: complete ones are kept as they are, an unfinished
  // one is finished from where it stopped (its own seed again, so the result is the one an
  // uninterrupted run gives), the rest are made.
  std::vector<CharacterDraft> resume_from;
  // The candidates so far (the last maybe unfinished) after each step of the first pass; must not
  // throw. The near-copies' second pass, if any, is not saved: a resume redoes it.
  std::function<void(const std::vector<CharacterDraft>& candidates)> on_checkpoint;
};
Result<CandidateBatch> GenerateCandidates(CharacterGenerator& generator, const GenerationBrief& brief, int count,
                                          const ResumableBatch& run);

}  // namespace troupe::studio
