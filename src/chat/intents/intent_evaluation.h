// How well a classifier names the intents of a labelled test set: accuracy, macro-F1, precision,
// recall and F1 per intent, the confusions that happen most, calibration, and how many messages a
// second one core classifies.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "chat/intents/intent_catalog.h"
#include "chat/intents/intent_classifier.h"

namespace troupe::chat::intents {

struct IntentMetrics {
  std::string intent;
  double precision = 0;
  double recall = 0;
  double f1 = 0;
  size_t support = 0;  // test examples of this intent
};

struct Confusion {
  std::string expected;
  std::string predicted;
  size_t count = 0;
};

struct EvaluationReport {
  size_t examples = 0;
  size_t correct = 0;
  double accuracy = 0;
  double macro_f1 = 0;                    // over every intent of the test set or of the predictions
  std::vector<IntentMetrics> per_intent;  // by name
  std::vector<Confusion> confusions;      // most frequent first, at most `max_confusions`
  size_t unknown = 0;                     // test examples of intents the model was not trained on
  double calibration_error = 0;           // expected calibration error, 15 bins
  double messages_per_second = 0;         // one thread, featurizing included
};

EvaluationReport Evaluate(const IntentClassifier& classifier, const std::vector<LabelledExample>& test,
                          size_t max_confusions = 10);

// A table for people; its last line is "accuracy=0.xxxx macro_f1=0.xxxx".
std::string FormatReport(const EvaluationReport& report);
nlohmann::json ReportJson(const EvaluationReport& report);

}  // namespace troupe::chat::intents
