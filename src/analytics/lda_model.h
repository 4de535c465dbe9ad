// Latent Dirichlet allocation over word-id documents (topic_vocabulary.h), trained by collapsed
// Gibbs sampling (Griffiths and Steyvers 2004) with symmetric Dirichlet priors.
//
// Priors: alpha (document-topic) defaults to 0.1, not the 50/K of Griffiths and Steyvers: chat
// messages hold about ten kept words, and with K = 10 an alpha of 5 would outweigh them, making
// every message's mixture near uniform; 0.1 lets a message belong mostly to one or two topics.
// beta (topic-word) is 0.01, as usual for vocabularies of thousands of words.
//
// Training is deterministic: the same documents and options (seed included) give the same model on
// every run. A trained model is immutable; its const calls are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "base/status.h"

namespace troupe::analytics {

struct LdaProgress {
  size_t topics = 0;
  size_t iteration = 0;  // sweeps done, 1..iterations
  size_t iterations = 0;
};

struct LdaOptions {
  size_t topics = 10;
  size_t iterations = 500;  // Gibbs sweeps over every token
  double alpha = 0.1;
  double beta = 0.01;
  uint64_t seed = 1;
  // Called after each sweep; returning false stops training (Train then returns
  // kFailedPrecondition "training was cancelled", as there is no cancelled code).
  std::function<bool(const LdaProgress&)> progress;
};

class LdaModel {
 public:
  // kInvalidArgument when topics or iterations is 0, alpha or beta is not positive, a word id is
  // outside [0, vocabulary_size), no document holds a word, or topics × vocabulary exceeds 2^28
  // counts; kFailedPrecondition when the progress callback cancels.
  static Result<LdaModel> Train(const std::vector<std::vector<int32_t>>& documents, size_t vocabulary_size,
                                const LdaOptions& options);

  size_t topic_count() const { return topic_count_; }
  size_t vocabulary_size() const { return vocabulary_size_; }
  double alpha() const { return alpha_; }
  double beta() const { return beta_; }

  // The share of the training tokens assigned to each topic; the shares sum to 1.
  const std::vector<double>& topic_shares() const { return topic_shares_; }
  // P(word | topic), smoothed by beta.
  double WordProbability(size_t topic, int32_t word) const;
  // The `count` most probable words of a topic, most probable first (ties: lower id first).
  std::vector<int32_t> TopWords(size_t topic, size_t count) const;

  // The topic mixture of a document the model did not train on (sums to 1): `sweeps` Gibbs sweeps
  // over its words with the trained topic-word counts held fixed, averaging the mixture over the
  // second half. Word ids outside the vocabulary are ignored; a document with none left gets the
  // uniform mixture. Deterministic for a given seed.
  std::vector<double> InferMixture(const std::vector<int32_t>& document, size_t sweeps = 50,
                                   uint64_t seed = 1) const;

 private:
  LdaModel() = default;
  friend class LdaGibbsSampler;

  size_t topic_count_ = 0;
  size_t vocabulary_size_ = 0;
  double alpha_ = 0;
  double beta_ = 0;
  std::vector<int32_t> word_topic_counts_;  // vocabulary_size rows of topic_count counts
  std::vector<int64_t> topic_totals_;
  std::vector<double> topic_shares_;
};

}  // namespace troupe::analytics
