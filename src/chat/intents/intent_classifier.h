// The router's first level: a linear classifier over TF-IDF features (text_features.h), trained in
// process on labelled examples with liblinear, that names a message's intent with a calibrated
// confidence and no LLM call.
//
// Confidence is a softmax over the per-intent decision values divided by a temperature fitted on
// examples the model did not train on (cross-validation folds), so that among messages routed at
// confidence p about a share p is right. Training is deterministic: the same examples and options
// give the same file byte for byte. Classify is const and thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "chat/intents/intent_catalog.h"
#include "chat/intents/text_features.h"

namespace troupe::chat::intents {

struct IntentScore {
  std::string_view intent;  // points into the classifier
  double confidence = 0;
};

struct TrainingOptions {
  enum class Loss { kHinge, kLogistic };
  Loss loss = Loss::kHinge;  // linear SVM (squared hinge) or logistic regression
  double c = 1.0;            // inverse regularization strength
  int min_count = 2;         // documents a word pair or character n-gram needs to become a feature
  int folds = 0;             // for calibration; 0: 5 below 5,000 examples, else one 20% hold-out
  uint64_t seed = 1;
  // Called as training goes ("calibration fold 2 of 5"); may return false to cancel (kCancelled
  // is not a code: the result is kFailedPrecondition "training was cancelled").
  std::function<bool(std::string_view step)> progress;
};

struct TrainingReport {
  size_t examples = 0;
  size_t intents = 0;
  size_t features = 0;
  size_t held_out = 0;             // examples scored by a model that did not see them
  double held_out_accuracy = 0;    // of those
  double temperature = 1;
  double calibration_error = 0;    // expected calibration error of the held-out confidences (15 bins)
};

class IntentClassifier {
 public:
  // Needs at least two intents. kInvalidArgument names what is missing.
  static Result<IntentClassifier> Train(const std::vector<LabelledExample>& examples, const TrainingOptions& options,
                                        TrainingReport* report = nullptr);

  // Every intent, most confident first.
  std::vector<IntentScore> Classify(std::string_view text) const;
  IntentScore Best(std::string_view text) const;

  const std::vector<std::string>& intents() const { return intents_; }
  double temperature() const { return temperature_; }
  size_t feature_count() const { return features_.size(); }

  // The model file (see classifier_file.cpp). Load's errors name the file and the byte offset.
  std::string Serialize() const;
  static Result<IntentClassifier> Deserialize(std::string_view bytes, std::string_view name);
  Status Save(const std::string& path) const;
  static Result<IntentClassifier> Load(const std::string& path);

 private:
  friend class ClassifierBuilder;
  // Decision values, one per intent.
  std::vector<float> Scores(std::string_view text) const;

  TextFeatures features_;
  std::vector<std::string> intents_;
  std::vector<float> weights_;  // (features + 1) rows of one weight per intent; the last row is the bias
  double temperature_ = 1;
};

// Decision values to confidences: softmax of scores / temperature.
std::vector<double> Confidences(const std::vector<float>& scores, double temperature);

// Expected calibration error over 15 equal-width bins: how far the confidences of the decisions
// taken (one per example) are from the share of them that were right.
double ExpectedCalibrationError(const std::vector<double>& confidences, const std::vector<bool>& correct);

}  // namespace troupe::chat::intents
