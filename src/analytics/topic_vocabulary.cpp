#include "analytics/topic_vocabulary.h"

#include <algorithm>
#include <cstdint>
#include <map>

#include "analytics/stop_words.h"
#include "analytics/words.h"

namespace troupe::analytics {

namespace {

bool TopicIsNumber(std::string_view word) {
  return std::all_of(word.begin(), word.end(), [](char c) { return (c >= '0' && c <= '9') || c == '\''; });
}

// Per stem while counting: messages it is in and how often each surface word gave it.
struct TopicStemCounts {
  size_t documents = 0;
  size_t last_document = SIZE_MAX;
  std::map<std::string, size_t> surfaces;
};

std::string TopicMostFrequentSurface(const std::map<std::string, size_t>& surfaces) {
  const std::pair<const std::string, size_t>* best = nullptr;
  for (const auto& entry : surfaces) {  // alphabetical, so the first of equals wins
    if (best == nullptr || entry.second > best->second) best = &entry;
  }
  return best == nullptr ? std::string() : best->first;
}

}  // namespace

std::vector<TopicTerm> TopicTerms(std::string_view text, const TopicVocabularyOptions& options) {
  std::vector<TopicTerm> terms;
  for (std::string& word : LowercaseWords(text)) {
    if (word.size() < 2 || TopicIsNumber(word)) continue;
    if (options.remove_stop_words && IsStopWord(word)) continue;
    std::string stem = options.stem ? EnglishStem(word) : word;
    if (stem.empty()) continue;
    terms.push_back({std::move(stem), std::move(word)});
  }
  return terms;
}

class TopicVocabularyBuilder {
 public:
  static TopicVocabulary Build(const std::map<std::string, TopicStemCounts>& counts, size_t documents,
                               const TopicVocabularyOptions& options) {
    std::vector<const std::pair<const std::string, TopicStemCounts>*> kept;
    const double max_documents = options.max_document_fraction * static_cast<double>(documents);
    for (const auto& entry : counts) {
      if (entry.second.documents < options.min_document_count) continue;
      if (static_cast<double>(entry.second.documents) > max_documents) continue;
      kept.push_back(&entry);
    }
    if (options.max_vocabulary > 0 && kept.size() > options.max_vocabulary) {
      // Stable: among equal counts the alphabetical order of the map decides.
      std::stable_sort(kept.begin(), kept.end(),
                       [](const auto* a, const auto* b) { return a->second.documents > b->second.documents; });
      kept.resize(options.max_vocabulary);
      std::sort(kept.begin(), kept.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
    }
    TopicVocabulary vocabulary;
    vocabulary.options_ = options;
    for (const auto* entry : kept) {
      vocabulary.ids_.emplace(entry->first, static_cast<int32_t>(vocabulary.stems_.size()));
      vocabulary.stems_.push_back(entry->first);
      vocabulary.display_words_.push_back(TopicMostFrequentSurface(entry->second.surfaces));
      vocabulary.document_counts_.push_back(entry->second.documents);
    }
    return vocabulary;
  }
};

int32_t TopicVocabulary::Find(const std::string& stem) const {
  auto found = ids_.find(stem);
  return found == ids_.end() ? -1 : found->second;
}

std::vector<int32_t> TopicVocabulary::Encode(std::string_view text) const {
  std::vector<int32_t> ids;
  for (const TopicTerm& term : TopicTerms(text, options_)) {
    if (const int32_t id = Find(term.stem); id >= 0) ids.push_back(id);
  }
  return ids;
}

TopicCorpus BuildTopicCorpus(const std::vector<std::string>& messages, const TopicVocabularyOptions& options) {
  std::vector<std::vector<TopicTerm>> terms;
  terms.reserve(messages.size());
  std::map<std::string, TopicStemCounts> counts;
  for (size_t document = 0; document < messages.size(); ++document) {
    terms.push_back(TopicTerms(messages[document], options));
    for (const TopicTerm& term : terms.back()) {
      TopicStemCounts& stem = counts[term.stem];
      if (stem.last_document != document) {
        stem.last_document = document;
        ++stem.documents;
      }
      ++stem.surfaces[term.surface];
    }
  }
  TopicCorpus corpus;
  corpus.vocabulary = TopicVocabularyBuilder::Build(counts, messages.size(), options);
  corpus.documents.resize(messages.size());
  for (size_t document = 0; document < messages.size(); ++document) {
    for (const TopicTerm& term : terms[document]) {
      const int32_t id = corpus.vocabulary.Find(term.stem);
      if (id < 0) continue;
      corpus.documents[document].push_back(id);
      ++corpus.token_count;
    }
  }
  return corpus;
}

}  // namespace troupe::analytics
