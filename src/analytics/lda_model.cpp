#include "analytics/lda_model.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <string>

namespace troupe::analytics {

namespace {

constexpr size_t kLdaMaxCounts = size_t{1} << 28;

// Uniform draws built from the engine's bits by hand: std::uniform_real_distribution may differ
// between standard libraries, and a seed must give the same topics everywhere.
class LdaRandom {
 public:
  explicit LdaRandom(uint64_t seed) : engine_(seed) {}
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  size_t Below(size_t count) {
    return std::min(count - 1, static_cast<size_t>(Uniform() * static_cast<double>(count)));
  }

 private:
  std::mt19937_64 engine_;
};

// Draws a topic with probability proportional to its weight; `cumulative` holds the running sums.
size_t LdaDrawFromCumulative(const std::vector<double>& cumulative, LdaRandom& random) {
  const double target = random.Uniform() * cumulative.back();
  const auto found = std::upper_bound(cumulative.begin(), cumulative.end(), target);
  return std::min(static_cast<size_t>(found - cumulative.begin()), cumulative.size() - 1);
}

Status LdaCheckInput(const std::vector<std::vector<int32_t>>& documents, size_t vocabulary_size,
                     const LdaOptions& options) {
  if (options.topics == 0) return InvalidArgument("topics must be at least 1", "topics");
  if (options.iterations == 0) return InvalidArgument("iterations must be at least 1", "iterations");
  if (!(options.alpha > 0)) return InvalidArgument("alpha must be positive", "alpha");
  if (!(options.beta > 0)) return InvalidArgument("beta must be positive", "beta");
  if (vocabulary_size > 0 && options.topics > kLdaMaxCounts / vocabulary_size) {
    return InvalidArgument("topics × vocabulary (" + std::to_string(options.topics) + " × " +
                               std::to_string(vocabulary_size) + ") is too large",
                           "topics");
  }
  size_t tokens = 0;
  for (size_t d = 0; d < documents.size(); ++d) {
    for (int32_t word : documents[d]) {
      if (word < 0 || static_cast<size_t>(word) >= vocabulary_size) {
        return InvalidArgument("document " + std::to_string(d) + ": word id " + std::to_string(word) +
                                   " is outside the vocabulary of " + std::to_string(vocabulary_size),
                               "documents");
      }
    }
    tokens += documents[d].size();
  }
  if (tokens == 0) return InvalidArgument("no words left to model (after stop words and pruning)", "documents");
  return Status::Ok();
}

}  // namespace

// The sampler's state: a topic per token and the counts collapsed Gibbs sampling keeps.
class LdaGibbsSampler {
 public:
  LdaGibbsSampler(const std::vector<std::vector<int32_t>>& documents, size_t vocabulary_size,
                  const LdaOptions& options)
      : documents_(documents),
        topics_(options.topics),
        alpha_(options.alpha),
        beta_(options.beta),
        vocabulary_beta_(options.beta * static_cast<double>(vocabulary_size)),
        random_(options.seed),
        document_topic_counts_(documents.size() * topics_, 0),
        word_topic_counts_(vocabulary_size * topics_, 0),
        topic_totals_(topics_, 0),
        inverse_topic_weights_(topics_, 0),
        cumulative_(topics_, 0) {
    assignments_.resize(documents.size());
    for (size_t d = 0; d < documents.size(); ++d) {
      assignments_[d].resize(documents[d].size());
      for (size_t i = 0; i < documents[d].size(); ++i) {
        const size_t topic = random_.Below(topics_);
        assignments_[d][i] = static_cast<int32_t>(topic);
        Count(d, documents[d][i], topic, +1);
      }
    }
  }

  void Sweep() {
    for (size_t d = 0; d < documents_.size(); ++d) {
      const int32_t* document_counts = &document_topic_counts_[d * topics_];
      for (size_t i = 0; i < documents_[d].size(); ++i) {
        const int32_t word = documents_[d][i];
        Count(d, word, static_cast<size_t>(assignments_[d][i]), -1);
        const int32_t* word_counts = &word_topic_counts_[static_cast<size_t>(word) * topics_];
        double sum = 0;
        for (size_t k = 0; k < topics_; ++k) {
          sum += (document_counts[k] + alpha_) * (word_counts[k] + beta_) * inverse_topic_weights_[k];
          cumulative_[k] = sum;
        }
        const size_t topic = LdaDrawFromCumulative(cumulative_, random_);
        assignments_[d][i] = static_cast<int32_t>(topic);
        Count(d, word, topic, +1);
      }
    }
  }

  LdaModel Finish(size_t vocabulary_size) && {
    LdaModel model;
    model.topic_count_ = topics_;
    model.vocabulary_size_ = vocabulary_size;
    model.alpha_ = alpha_;
    model.beta_ = beta_;
    model.word_topic_counts_ = std::move(word_topic_counts_);
    model.topic_totals_ = std::move(topic_totals_);
    const double tokens =
        static_cast<double>(std::accumulate(model.topic_totals_.begin(), model.topic_totals_.end(), int64_t{0}));
    for (int64_t total : model.topic_totals_) model.topic_shares_.push_back(static_cast<double>(total) / tokens);
    return model;
  }

 private:
  // Keeps 1 / (n_k + V beta) beside each count: a multiplication in the inner loop, not a division.
  void Count(size_t document, int32_t word, size_t topic, int32_t delta) {
    document_topic_counts_[document * topics_ + topic] += delta;
    word_topic_counts_[static_cast<size_t>(word) * topics_ + topic] += delta;
    topic_totals_[topic] += delta;
    inverse_topic_weights_[topic] = 1.0 / (static_cast<double>(topic_totals_[topic]) + vocabulary_beta_);
  }

  const std::vector<std::vector<int32_t>>& documents_;
  const size_t topics_;
  const double alpha_;
  const double beta_;
  const double vocabulary_beta_;
  LdaRandom random_;
  std::vector<std::vector<int32_t>> assignments_;
  std::vector<int32_t> document_topic_counts_;
  std::vector<int32_t> word_topic_counts_;
  std::vector<int64_t> topic_totals_;
  std::vector<double> inverse_topic_weights_;
  std::vector<double> cumulative_;
};

Result<LdaModel> LdaModel::Train(const std::vector<std::vector<int32_t>>& documents, size_t vocabulary_size,
                                 const LdaOptions& options) {
  TROUPE_RETURN_IF_ERROR(LdaCheckInput(documents, vocabulary_size, options));
  LdaGibbsSampler sampler(documents, vocabulary_size, options);
  for (size_t iteration = 1; iteration <= options.iterations; ++iteration) {
    sampler.Sweep();
    if (options.progress && !options.progress({options.topics, iteration, options.iterations})) {
      return Status(StatusCode::kFailedPrecondition, "training was cancelled");
    }
  }
  return std::move(sampler).Finish(vocabulary_size);
}

double LdaModel::WordProbability(size_t topic, int32_t word) const {
  const double count = word_topic_counts_[static_cast<size_t>(word) * topic_count_ + topic];
  return (count + beta_) / (static_cast<double>(topic_totals_[topic]) + beta_ * static_cast<double>(vocabulary_size_));
}

std::vector<int32_t> LdaModel::TopWords(size_t topic, size_t count) const {
  std::vector<int32_t> words(vocabulary_size_);
  std::iota(words.begin(), words.end(), 0);
  const size_t kept = std::min(count, words.size());
  auto more_probable = [&](int32_t a, int32_t b) {
    const int32_t count_a = word_topic_counts_[static_cast<size_t>(a) * topic_count_ + topic];
    const int32_t count_b = word_topic_counts_[static_cast<size_t>(b) * topic_count_ + topic];
    return count_a != count_b ? count_a > count_b : a < b;
  };
  std::partial_sort(words.begin(), words.begin() + static_cast<std::ptrdiff_t>(kept), words.end(), more_probable);
  words.resize(kept);
  return words;
}

std::vector<double> LdaModel::InferMixture(const std::vector<int32_t>& document, size_t sweeps, uint64_t seed) const {
  std::vector<int32_t> words;
  for (int32_t word : document) {
    if (word >= 0 && static_cast<size_t>(word) < vocabulary_size_) words.push_back(word);
  }
  std::vector<double> mixture(topic_count_, 1.0 / static_cast<double>(topic_count_));
  if (words.empty()) return mixture;
  sweeps = std::max<size_t>(sweeps, 2);
  LdaRandom random(seed);
  std::vector<int32_t> counts(topic_count_, 0);
  std::vector<int32_t> assignments(words.size());
  for (int32_t& topic : assignments) {
    topic = static_cast<int32_t>(random.Below(topic_count_));
    ++counts[static_cast<size_t>(topic)];
  }
  std::vector<double> cumulative(topic_count_);
  std::vector<double> summed(topic_count_, 0);
  for (size_t sweep = 0; sweep < sweeps; ++sweep) {
    for (size_t i = 0; i < words.size(); ++i) {
      --counts[static_cast<size_t>(assignments[i])];
      double sum = 0;
      for (size_t k = 0; k < topic_count_; ++k) {
        sum += (counts[k] + alpha_) * WordProbability(k, words[i]);
        cumulative[k] = sum;
      }
      assignments[i] = static_cast<int32_t>(LdaDrawFromCumulative(cumulative, random));
      ++counts[static_cast<size_t>(assignments[i])];
    }
    if (sweep < sweeps / 2) continue;
    for (size_t k = 0; k < topic_count_; ++k) summed[k] += counts[k] + alpha_;
  }
  const double total = std::accumulate(summed.begin(), summed.end(), 0.0);
  for (size_t k = 0; k < topic_count_; ++k) mixture[k] = summed[k] / total;
  return mixture;
}

}  // namespace troupe::analytics
