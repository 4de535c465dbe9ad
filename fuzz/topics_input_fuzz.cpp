// The topics command's input: JSON Lines of messages, then tokenization, stop words, stems and the
// vocabulary. A bad line is an error naming the source and line; words are lowercase and non-empty;
// every word id is inside the vocabulary; encoding a training message again gives its document;
// and a short LDA fit over what is left keeps its shares summing to 1 and coherence in range.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "analytics/lda_model.h"
#include "analytics/message_jsonl.h"
#include "analytics/topic_coherence.h"
#include "analytics/topic_vocabulary.h"
#include "analytics/words.h"

using namespace troupe;
using namespace troupe::analytics;

namespace {

void CheckWords(const std::string& message) {
  for (const std::string& word : LowercaseWords(message)) {
    if (word.empty()) std::abort();
    for (char c : word) {
      if (c >= 'A' && c <= 'Z') std::abort();
    }
  }
  for (const TopicTerm& term : TopicTerms(message, {})) {
    if (term.stem.empty() || term.surface.size() < 2) std::abort();
  }
}

void CheckShortFit(const TopicCorpus& corpus) {
  if (corpus.token_count == 0 || corpus.token_count > 2000) return;
  LdaOptions options;
  options.topics = 3;
  options.iterations = 2;
  const Result<LdaModel> model = LdaModel::Train(corpus.documents, corpus.vocabulary.size(), options);
  if (!model.ok()) std::abort();
  double shares = 0;
  for (double share : model->topic_shares()) shares += share;
  if (std::fabs(shares - 1) > 1e-9) std::abort();
  const DocumentCooccurrence cooccurrence(corpus.documents, corpus.vocabulary.size());
  for (const TopicCoherence& topic : ModelCoherence(*model, cooccurrence, 5)) {
    if (!(topic.npmi >= -1 - 1e-9 && topic.npmi <= 1 + 1e-9) || !(topic.umass <= std::log(2.0) + 1e-9)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view content(reinterpret_cast<const char*>(data), size);
  const Result<std::vector<std::string>> messages = ParseMessageJsonl(content, "input");
  if (!messages.ok()) {
    if (messages.status().code() != StatusCode::kInvalidArgument) std::abort();
    if (messages.status().message().rfind("input:", 0) != 0) std::abort();
    return 0;
  }
  for (const std::string& message : *messages) CheckWords(message);
  TopicVocabularyOptions options;
  options.min_document_count = 1;
  options.max_document_fraction = 1.0;
  const TopicCorpus corpus = BuildTopicCorpus(*messages, options);
  if (corpus.documents.size() != messages->size()) std::abort();
  size_t tokens = 0;
  for (size_t i = 0; i < corpus.documents.size(); ++i) {
    for (int32_t id : corpus.documents[i]) {
      if (id < 0 || static_cast<size_t>(id) >= corpus.vocabulary.size()) std::abort();
      if (corpus.vocabulary.display_word(id).empty()) std::abort();
    }
    // With nothing pruned, a training message encodes to exactly its document.
    if (corpus.vocabulary.Encode((*messages)[i]) != corpus.documents[i]) std::abort();
    tokens += corpus.documents[i].size();
  }
  if (tokens != corpus.token_count) std::abort();
  CheckShortFit(corpus);
  return 0;
}
