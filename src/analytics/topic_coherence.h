// How well a topic's top words hang together in the messages themselves, and the choice of the
// topic count K by it. Both measures count documents, not windows: a message is short enough to be
// one context.
//
// - UMass (Mimno et al. 2011): for top words w1..wN in order of probability, the mean over pairs
//   l < m of log((D(wm, wl) + 1) / D(wl)); at most log 2, higher is better, usually negative.
// - NPMI (Bouma 2009; Lau et al. 2014): the mean over pairs of
//   log(P(wi, wj) / (P(wi) P(wj))) / -log P(wi, wj), in [-1, 1]; -1 for words never together.
// D counts the documents holding a word (or both), P is D over the documents that hold any word.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "analytics/lda_model.h"
#include "base/status.h"

namespace troupe::analytics {

// Which documents hold each word, to count documents holding a word or a pair. Immutable; const
// calls are thread-safe.
class DocumentCooccurrence {
 public:
  DocumentCooccurrence(const std::vector<std::vector<int32_t>>& documents, size_t vocabulary_size);

  // Documents holding at least one word.
  size_t document_count() const { return document_count_; }
  // Documents holding `word` (0 for an id outside the vocabulary).
  size_t DocumentsWith(int32_t word) const;
  size_t DocumentsWithBoth(int32_t first, int32_t second) const;

 private:
  std::vector<std::vector<uint32_t>> postings_;  // per word, the documents holding it, ascending
  size_t document_count_ = 0;
};

struct TopicCoherence {
  double umass = 0;
  double npmi = 0;
};

// The coherence of words given most probable first; 0 for both with fewer than two words.
TopicCoherence CoherenceOf(const std::vector<int32_t>& top_words, const DocumentCooccurrence& cooccurrence);

// Each topic's coherence over its `top_words` most probable words.
std::vector<TopicCoherence> ModelCoherence(const LdaModel& model, const DocumentCooccurrence& cooccurrence,
                                           size_t top_words);

enum class CoherenceMeasure { kNpmi, kUMass };

struct TopicCountCandidate {
  size_t topics = 0;
  double mean_npmi = 0;
  double mean_umass = 0;
};

struct TopicCountChoice {
  std::vector<TopicCountCandidate> candidates;  // in the order given
  size_t chosen = 0;                            // index into candidates
  LdaModel model;                               // the chosen count's fit
  std::vector<TopicCoherence> coherence;        // of each of its topics
};

// Fits a model for each candidate K (options.topics is replaced; the seed and the rest are kept)
// and picks the highest mean coherence by `measure` (ties: the smaller K). kInvalidArgument when
// there are no candidates, and Train's errors (cancellation included) as they come.
Result<TopicCountChoice> ChooseTopicCount(const std::vector<std::vector<int32_t>>& documents, size_t vocabulary_size,
                                          const std::vector<size_t>& candidates, const LdaOptions& options,
                                          size_t top_words = 10, CoherenceMeasure measure = CoherenceMeasure::kNpmi);

}  // namespace troupe::analytics
