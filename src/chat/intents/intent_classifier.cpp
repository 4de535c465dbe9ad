#include "chat/intents/intent_classifier.h"

#include <linear.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>
#include <numeric>
#include <random>

namespace troupe::chat::intents {

// Builds classifiers; a friend of IntentClassifier so training can fill one in.
class ClassifierBuilder {
 public:
  static IntentClassifier Make(TextFeatures features, std::vector<std::string> intents, std::vector<float> weights,
                               double temperature) {
    IntentClassifier classifier;
    classifier.features_ = std::move(features);
    classifier.intents_ = std::move(intents);
    classifier.weights_ = std::move(weights);
    classifier.temperature_ = temperature;
    return classifier;
  }
};

namespace {

// liblinear's dual solvers shuffle with rand(), and it prints with a global function: one training
// at a time, seeded, so a model is reproducible.
std::mutex g_liblinear;

void Quiet(const char*) {}

// A score so low that a softmax gives the intent nothing: for an intent a fold had no example of.
constexpr float kAbsentBias = -30;

struct Dataset {
  std::vector<std::vector<FeatureValue>> vectors;
  std::vector<int> labels;
  size_t classes = 0;
  size_t features = 0;
};

// Trains on the rows in `rows`; returns (features + 1) x classes weights, the last row the bias.
Result<std::vector<float>> FitLinear(const Dataset& data, const std::vector<size_t>& rows,
                                     const TrainingOptions& options) {
  const int bias_index = static_cast<int>(data.features) + 1;
  std::vector<std::vector<feature_node>> nodes(rows.size());
  std::vector<feature_node*> x(rows.size());
  std::vector<double> y(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    for (const FeatureValue& value : data.vectors[rows[r]]) nodes[r].push_back({value.index + 1, value.value});
    nodes[r].push_back({bias_index, 1.0});
    nodes[r].push_back({-1, 0.0});
    x[r] = nodes[r].data();
    y[r] = data.labels[rows[r]];
  }
  problem prob{};
  prob.l = static_cast<int>(rows.size());
  prob.n = bias_index;
  prob.y = y.data();
  prob.x = x.data();
  prob.bias = 1.0;
  parameter param{};
  param.solver_type = options.loss == TrainingOptions::Loss::kHinge ? L2R_L2LOSS_SVC_DUAL : L2R_LR_DUAL;
  param.eps = 0.1;
  param.C = options.c;
  param.p = 0.1;
  if (const char* problem_text = check_parameter(&prob, &param)) {
    return InvalidArgument(std::string("the classifier's settings are not valid: ") + problem_text);
  }

  const size_t classes = data.classes;
  std::vector<float> weights((data.features + 1) * classes, 0.0F);
  std::lock_guard lock(g_liblinear);
  set_print_string_function(&Quiet);
  std::srand(static_cast<unsigned>(options.seed));
  model* trained = train(&prob, &param);
  if (trained == nullptr) return Internal("liblinear could not train the classifier");
  const int trained_classes = get_nr_class(trained);
  std::vector<int> labels(static_cast<size_t>(trained_classes));
  get_labels(trained, labels.data());
  for (size_t k = 0; k < classes; ++k) weights[data.features * classes + k] = kAbsentBias;
  for (int idx = 0; idx < trained_classes; ++idx) {
    const auto k = static_cast<size_t>(labels[static_cast<size_t>(idx)]);
    // liblinear numbers the bias feature last; a model of one class (a fold that saw one) has
    // no decision function worth asking.
    if (trained_classes < 2) break;
    for (size_t f = 0; f < data.features; ++f) {
      weights[f * classes + k] = static_cast<float>(get_decfun_coef(trained, static_cast<int>(f) + 1, idx));
    }
    weights[data.features * classes + k] = static_cast<float>(get_decfun_bias(trained, idx));
  }
  free_and_destroy_model(&trained);
  return weights;
}

std::vector<float> ScoreWith(const std::vector<float>& weights, size_t features, size_t classes,
                             const std::vector<FeatureValue>& vector) {
  std::vector<float> scores(weights.begin() + static_cast<std::ptrdiff_t>(features * classes),
                            weights.begin() + static_cast<std::ptrdiff_t>((features + 1) * classes));
  for (const FeatureValue& value : vector) {
    const float* row = weights.data() + static_cast<size_t>(value.index) * classes;
    for (size_t k = 0; k < classes; ++k) scores[k] += value.value * row[k];
  }
  return scores;
}

// Fold of each example: stratified, so every fold has its share of each intent. With one fold
// requested, 20% of each intent's examples are fold 0 and the rest fold 1 (never held out).
std::vector<int> AssignFolds(const Dataset& data, int folds, uint64_t seed) {
  std::vector<std::vector<size_t>> by_class(data.classes);
  for (size_t i = 0; i < data.labels.size(); ++i) by_class[static_cast<size_t>(data.labels[i])].push_back(i);
  std::mt19937_64 random(seed);
  std::vector<int> fold(data.labels.size(), 0);
  for (std::vector<size_t>& members : by_class) {
    std::shuffle(members.begin(), members.end(), random);
    for (size_t position = 0; position < members.size(); ++position) {
      fold[members[position]] =
          folds == 1 ? (position < members.size() / 5 ? 0 : 1) : static_cast<int>(position % static_cast<size_t>(folds));
    }
  }
  return fold;
}

double MeanNegativeLogLikelihood(const std::vector<std::vector<float>>& scores, const std::vector<int>& labels,
                                 double temperature) {
  double total = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    const std::vector<double> p = Confidences(scores[i], temperature);
    total -= std::log(std::max(p[static_cast<size_t>(labels[i])], 1e-12));
  }
  return total / static_cast<double>(std::max<size_t>(scores.size(), 1));
}

// The temperature that minimizes the held-out negative log-likelihood (golden-section search over
// its logarithm, between 0.01 and 100).
double FitTemperature(const std::vector<std::vector<float>>& scores, const std::vector<int>& labels) {
  if (scores.empty()) return 1;
  double low = std::log(0.01);
  double high = std::log(100.0);
  const double ratio = (std::sqrt(5.0) - 1) / 2;
  for (int step = 0; step < 60; ++step) {
    const double a = high - ratio * (high - low);
    const double b = low + ratio * (high - low);
    if (MeanNegativeLogLikelihood(scores, labels, std::exp(a)) <
        MeanNegativeLogLikelihood(scores, labels, std::exp(b))) {
      high = b;
    } else {
      low = a;
    }
  }
  return std::exp((low + high) / 2);
}

// The held-out decisions' calibration error and accuracy.
std::pair<double, double> CalibrationOf(const std::vector<std::vector<float>>& scores, const std::vector<int>& labels,
                                        double temperature) {
  std::vector<double> confidences;
  std::vector<bool> correct;
  for (size_t i = 0; i < scores.size(); ++i) {
    const std::vector<double> p = Confidences(scores[i], temperature);
    const auto best = static_cast<size_t>(std::max_element(p.begin(), p.end()) - p.begin());
    confidences.push_back(p[best]);
    correct.push_back(static_cast<int>(best) == labels[i]);
  }
  const auto right = static_cast<double>(std::count(correct.begin(), correct.end(), true));
  return {ExpectedCalibrationError(confidences, correct), right / static_cast<double>(std::max<size_t>(scores.size(), 1))};
}

Status Progress(const TrainingOptions& options, const std::string& step) {
  if (options.progress && !options.progress(step)) return FailedPrecondition("training was cancelled");
  return Status::Ok();
}

}  // namespace

std::vector<double> Confidences(const std::vector<float>& scores, double temperature) {
  std::vector<double> p(scores.size());
  if (scores.empty()) return p;
  const double top = *std::max_element(scores.begin(), scores.end());
  double sum = 0;
  for (size_t k = 0; k < scores.size(); ++k) sum += p[k] = std::exp((scores[k] - top) / temperature);
  for (double& value : p) value /= sum;
  return p;
}

double ExpectedCalibrationError(const std::vector<double>& confidences, const std::vector<bool>& correct) {
  constexpr int kBins = 15;
  std::vector<double> confidence(kBins, 0), right(kBins, 0);
  for (size_t i = 0; i < confidences.size(); ++i) {
    const int bin = std::clamp(static_cast<int>(confidences[i] * kBins), 0, kBins - 1);
    confidence[bin] += confidences[i];
    right[bin] += correct[i] ? 1 : 0;
  }
  double error = 0;
  const auto n = static_cast<double>(std::max<size_t>(confidences.size(), 1));
  for (int b = 0; b < kBins; ++b) error += std::abs(right[b] - confidence[b]) / n;
  return error;
}

Result<IntentClassifier> IntentClassifier::Train(const std::vector<LabelledExample>& examples,
                                                 const TrainingOptions& options, TrainingReport* report) {
  if (!(options.c > 0)) return InvalidArgument("the regularization constant C must be above 0", "c");
  std::map<std::string, int> index;
  std::vector<std::string> intents;
  for (const LabelledExample& example : examples) {
    if (index.emplace(example.intent, 0).second) intents.push_back(example.intent);
  }
  if (intents.size() < 2) {
    return InvalidArgument("a classifier needs examples of at least two intents; found " +
                           std::to_string(intents.size()));
  }
  std::sort(intents.begin(), intents.end());
  for (size_t k = 0; k < intents.size(); ++k) index[intents[k]] = static_cast<int>(k);

  TROUPE_RETURN_IF_ERROR(Progress(options, "features"));
  std::vector<std::string> texts;
  texts.reserve(examples.size());
  for (const LabelledExample& example : examples) texts.push_back(example.text);
  TextFeatures features = TextFeatures::Fit(texts, options.min_count);
  Dataset data;
  data.classes = intents.size();
  data.features = features.size();
  for (const LabelledExample& example : examples) {
    data.vectors.push_back(features.Vectorize(example.text));
    data.labels.push_back(index.at(example.intent));
  }

  // Calibration: score every example held out by a model trained without it.
  const int folds = options.folds > 0 ? options.folds : (examples.size() < 5000 ? 5 : 1);
  const std::vector<int> fold_of = AssignFolds(data, folds, options.seed);
  std::vector<std::vector<float>> held_scores;
  std::vector<int> held_labels;
  for (int fold = 0; fold < folds; ++fold) {
    TROUPE_RETURN_IF_ERROR(
        Progress(options, "calibration fold " + std::to_string(fold + 1) + " of " + std::to_string(folds)));
    std::vector<size_t> train_rows, held_rows;
    for (size_t i = 0; i < fold_of.size(); ++i) (fold_of[i] == fold ? held_rows : train_rows).push_back(i);
    if (held_rows.empty() || train_rows.empty()) continue;
    TROUPE_ASSIGN_OR_RETURN(std::vector<float> weights, FitLinear(data, train_rows, options));
    for (size_t row : held_rows) {
      held_scores.push_back(ScoreWith(weights, data.features, data.classes, data.vectors[row]));
      held_labels.push_back(data.labels[row]);
    }
  }
  const double temperature = FitTemperature(held_scores, held_labels);

  TROUPE_RETURN_IF_ERROR(Progress(options, "final model"));
  std::vector<size_t> all(examples.size());
  std::iota(all.begin(), all.end(), size_t{0});
  TROUPE_ASSIGN_OR_RETURN(std::vector<float> weights, FitLinear(data, all, options));
  if (report != nullptr) {
    const auto [error, accuracy] = CalibrationOf(held_scores, held_labels, temperature);
    *report = TrainingReport{examples.size(), intents.size(), features.size(), held_scores.size(), accuracy,
                             temperature, error};
  }
  return ClassifierBuilder::Make(std::move(features), std::move(intents), std::move(weights), temperature);
}

std::vector<float> IntentClassifier::Scores(std::string_view text) const {
  return ScoreWith(weights_, features_.size(), intents_.size(), features_.Vectorize(text));
}

std::vector<IntentScore> IntentClassifier::Classify(std::string_view text) const {
  const std::vector<double> p = Confidences(Scores(text), temperature_);
  std::vector<IntentScore> ranked;
  ranked.reserve(p.size());
  for (size_t k = 0; k < p.size(); ++k) ranked.push_back({intents_[k], p[k]});
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const IntentScore& a, const IntentScore& b) { return a.confidence > b.confidence; });
  return ranked;
}

IntentScore IntentClassifier::Best(std::string_view text) const {
  const std::vector<double> p = Confidences(Scores(text), temperature_);
  const auto best = static_cast<size_t>(std::max_element(p.begin(), p.end()) - p.begin());
  return {intents_[best], p[best]};
}

}  // namespace troupe::chat::intents
