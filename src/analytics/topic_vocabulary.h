// The words a topic model sees: each message tokenized (LowercaseWords), stop words, numbers and
// one-letter words dropped, the rest reduced to their Snowball stems, and stems kept only when they
// are neither too rare nor too common across messages. Each stem remembers the surface word it
// most often came from ("play", not "plai"), for display.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace troupe::analytics {

struct TopicVocabularyOptions {
  // A stem must appear in at least this many messages; rarer stems say little about a topic.
  size_t min_document_count = 2;
  // A stem in more than this fraction of messages is filler ("time", "people" in open chat).
  double max_document_fraction = 0.5;
  // Keep only the stems in the most messages (ties: alphabetical); 0 keeps all.
  size_t max_vocabulary = 0;
  bool remove_stop_words = true;
  bool stem = true;
};

// The kept stems, with ids 0..size()-1 in alphabetical order of stem, so the same messages and
// options give the same ids. Immutable once built; const calls are thread-safe.
class TopicVocabulary {
 public:
  size_t size() const { return stems_.size(); }
  const std::string& stem(int32_t id) const { return stems_[static_cast<size_t>(id)]; }
  // The surface word seen most often for the stem (ties: alphabetical).
  const std::string& display_word(int32_t id) const { return display_words_[static_cast<size_t>(id)]; }
  // Messages the stem appeared in when the vocabulary was built.
  size_t document_count(int32_t id) const { return document_counts_[static_cast<size_t>(id)]; }

  // The id of a kept stem, or -1.
  int32_t Find(const std::string& stem) const;

  // The ids of a message's kept words, in message order (repeats kept); unknown words are dropped.
  std::vector<int32_t> Encode(std::string_view text) const;

 private:
  friend class TopicVocabularyBuilder;
  std::vector<std::string> stems_;
  std::vector<std::string> display_words_;
  std::vector<size_t> document_counts_;
  std::unordered_map<std::string, int32_t> ids_;
  TopicVocabularyOptions options_;
};

// The terms a message contributes before pruning: tokenized, filtered and (optionally) stemmed, as
// {stem, surface word} pairs in message order.
struct TopicTerm {
  std::string stem;
  std::string surface;
};
std::vector<TopicTerm> TopicTerms(std::string_view text, const TopicVocabularyOptions& options);

// Messages as word ids over their vocabulary; documents[i] is message i (empty when nothing in it
// was kept, so indices match the input).
struct TopicCorpus {
  TopicVocabulary vocabulary;
  std::vector<std::vector<int32_t>> documents;
  size_t token_count = 0;
};

TopicCorpus BuildTopicCorpus(const std::vector<std::string>& messages, const TopicVocabularyOptions& options);

}  // namespace troupe::analytics
