#include "analytics/topic_coherence.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace troupe::analytics {

namespace {

double CoherenceNpmi(size_t both, size_t first, size_t second, size_t documents) {
  if (both == 0) return -1;
  const double n = static_cast<double>(documents);
  const double joint = static_cast<double>(both) / n;
  if (joint >= 1) return 1;  // both words in every document: as associated as can be
  const double pmi = std::log(joint / ((static_cast<double>(first) / n) * (static_cast<double>(second) / n)));
  return pmi / -std::log(joint);
}

double CoherenceMean(const std::vector<TopicCoherence>& coherence, double TopicCoherence::*measure) {
  if (coherence.empty()) return 0;
  double sum = 0;
  for (const TopicCoherence& topic : coherence) sum += topic.*measure;
  return sum / static_cast<double>(coherence.size());
}

}  // namespace

DocumentCooccurrence::DocumentCooccurrence(const std::vector<std::vector<int32_t>>& documents,
                                           size_t vocabulary_size)
    : postings_(vocabulary_size) {
  for (size_t d = 0; d < documents.size(); ++d) {
    bool any = false;
    for (int32_t word : documents[d]) {
      if (word < 0 || static_cast<size_t>(word) >= vocabulary_size) continue;
      std::vector<uint32_t>& posting = postings_[static_cast<size_t>(word)];
      if (posting.empty() || posting.back() != d) posting.push_back(static_cast<uint32_t>(d));
      any = true;
    }
    if (any) ++document_count_;
  }
}

size_t DocumentCooccurrence::DocumentsWith(int32_t word) const {
  if (word < 0 || static_cast<size_t>(word) >= postings_.size()) return 0;
  return postings_[static_cast<size_t>(word)].size();
}

size_t DocumentCooccurrence::DocumentsWithBoth(int32_t first, int32_t second) const {
  if (DocumentsWith(first) == 0 || DocumentsWith(second) == 0) return 0;
  const std::vector<uint32_t>& a = postings_[static_cast<size_t>(first)];
  const std::vector<uint32_t>& b = postings_[static_cast<size_t>(second)];
  size_t both = 0;
  for (size_t i = 0, j = 0; i < a.size() && j < b.size();) {
    if (a[i] < b[j]) {
      ++i;
    } else if (b[j] < a[i]) {
      ++j;
    } else {
      ++both, ++i, ++j;
    }
  }
  return both;
}

TopicCoherence CoherenceOf(const std::vector<int32_t>& top_words, const DocumentCooccurrence& cooccurrence) {
  TopicCoherence coherence;
  size_t pairs = 0;
  for (size_t m = 1; m < top_words.size(); ++m) {
    for (size_t l = 0; l < m; ++l) {
      const size_t later = cooccurrence.DocumentsWith(top_words[m]);
      const size_t earlier = cooccurrence.DocumentsWith(top_words[l]);
      const size_t both = cooccurrence.DocumentsWithBoth(top_words[m], top_words[l]);
      // A word the documents never hold (a model fitted elsewhere) counts as held once.
      coherence.umass += std::log((static_cast<double>(both) + 1) / static_cast<double>(std::max<size_t>(earlier, 1)));
      coherence.npmi += CoherenceNpmi(both, later, earlier, cooccurrence.document_count());
      ++pairs;
    }
  }
  if (pairs > 0) {
    coherence.umass /= static_cast<double>(pairs);
    coherence.npmi /= static_cast<double>(pairs);
  }
  return coherence;
}

std::vector<TopicCoherence> ModelCoherence(const LdaModel& model, const DocumentCooccurrence& cooccurrence,
                                           size_t top_words) {
  std::vector<TopicCoherence> coherence;
  for (size_t topic = 0; topic < model.topic_count(); ++topic) {
    coherence.push_back(CoherenceOf(model.TopWords(topic, top_words), cooccurrence));
  }
  return coherence;
}

Result<TopicCountChoice> ChooseTopicCount(const std::vector<std::vector<int32_t>>& documents, size_t vocabulary_size,
                                          const std::vector<size_t>& candidates, const LdaOptions& options,
                                          size_t top_words, CoherenceMeasure measure) {
  if (candidates.empty()) return InvalidArgument("no topic counts to choose from", "topics");
  const DocumentCooccurrence cooccurrence(documents, vocabulary_size);
  std::vector<TopicCountCandidate> scored;
  std::optional<LdaModel> best_model;
  std::vector<TopicCoherence> best_coherence;
  size_t chosen = 0;
  double best_score = 0;
  for (size_t topics : candidates) {
    LdaOptions fit = options;
    fit.topics = topics;
    TROUPE_ASSIGN_OR_RETURN(LdaModel model, LdaModel::Train(documents, vocabulary_size, fit));
    std::vector<TopicCoherence> coherence = ModelCoherence(model, cooccurrence, top_words);
    scored.push_back(
        {topics, CoherenceMean(coherence, &TopicCoherence::npmi), CoherenceMean(coherence, &TopicCoherence::umass)});
    const double score = measure == CoherenceMeasure::kNpmi ? scored.back().mean_npmi : scored.back().mean_umass;
    const bool better = !best_model || score > best_score || (score == best_score && topics < candidates[chosen]);
    if (!better) continue;
    chosen = scored.size() - 1;
    best_score = score;
    best_model.emplace(std::move(model));
    best_coherence = std::move(coherence);
  }
  return TopicCountChoice{std::move(scored), chosen, std::move(*best_model), std::move(best_coherence)};
}

}  // namespace troupe::analytics
