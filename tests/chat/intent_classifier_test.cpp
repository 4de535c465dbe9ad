// The router's first level on real labelled data: Banking77's published split (shared/testdata),
// Juno's catalog and held-out set (examples/intents); features, calibration, determinism and the
// model file, whose loader must refuse every damaged file with the byte where it went wrong.
#include "chat/intents/intent_classifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>

#include "chat/intents/intent_evaluation.h"
#include "support/temp_dir.h"

namespace troupe::chat::intents {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

std::string Example(const std::string& relative) { return std::string(TROUPE_SOURCE_DIR) + "/" + relative; }

std::vector<LabelledExample> Load(const std::string& path) {
  Result<std::vector<LabelledExample>> examples = LoadLabelledExamples(path);
  EXPECT_TRUE(examples.ok()) << examples.status().ToString();
  return examples.ok() ? *examples : std::vector<LabelledExample>{};
}

// Juno's catalog, trained once for the tests that only read the model.
const IntentClassifier& Juno() {
  static const IntentClassifier classifier = [] {
    Result<IntentClassifier> trained = IntentClassifier::Train(Load(Example("examples/intents/juno.yaml")), {});
    EXPECT_TRUE(trained.ok()) << trained.status().ToString();
    return std::move(trained).value();
  }();
  return classifier;
}

TEST(TextFeaturesTest, WordsStemsPairsAndCharacterGrams) {
  const std::vector<std::string> features = FeatureStrings("What's my CARDS' status?");
  EXPECT_THAT(features, Contains("c:whats"));  // the apostrophe inside a word joins it
  EXPECT_THAT(features, Contains("w:what"));   // and the stemmer takes the "s" off
  EXPECT_THAT(features, Contains("w:card"));   // stemmed and lowercased
  EXPECT_THAT(features, Contains("b:my card"));
  EXPECT_THAT(features, Contains("c: my "));   // a short word is one gram, edges marked
  EXPECT_THAT(features, Contains("c: ca"));
  EXPECT_THAT(features, Contains("c:ards "));
  EXPECT_THAT(FeatureStrings("card cards carding"), Contains("b:card card"));
  EXPECT_TRUE(FeatureStrings("?!  ...").empty());
}

TEST(TextFeaturesTest, VectorsHaveUnitLengthAndIgnoreUnknownFeatures) {
  const TextFeatures features = TextFeatures::Fit({"check my balance", "top up my phone", "balance please"}, 1);
  std::vector<FeatureValue> vector = features.Vectorize("my balance, my balance!");
  ASSERT_FALSE(vector.empty());
  double length = 0;
  for (size_t i = 0; i < vector.size(); ++i) {
    length += double{vector[i].value} * vector[i].value;
    if (i > 0) {
      EXPECT_LT(vector[i - 1].index, vector[i].index);
    }
  }
  EXPECT_NEAR(length, 1.0, 1e-5);
  EXPECT_TRUE(features.Vectorize("zzzz qqqq").empty());
}

TEST(IntentClassifierTest, Banking77TestSplit) {
  const std::string dir = troupe::testing::SharedDir().string() + "/testdata/datasets/intent/banking77/";
  TrainingOptions options;
  options.folds = 1;  // one 20% hold-out for the temperature: the test's time goes to the final model
  TrainingReport report;
  Result<IntentClassifier> classifier = IntentClassifier::Train(Load(dir + "train.csv"), options, &report);
  ASSERT_TRUE(classifier.ok()) << classifier.status().ToString();
  EXPECT_EQ(report.examples, 10003u);
  EXPECT_EQ(report.intents, 77u);
  EXPECT_GT(report.held_out, 1900u);

  const EvaluationReport evaluation = Evaluate(*classifier, Load(dir + "test.csv"));
  EXPECT_EQ(evaluation.examples, 3080u);
  EXPECT_EQ(evaluation.unknown, 0u);
  // A TF-IDF linear baseline: 0.914 accuracy and macro-F1 when recorded (docs/benchmarks.md).
  EXPECT_GE(evaluation.accuracy, 0.89);
  EXPECT_GE(evaluation.macro_f1, 0.89);
  // Calibrated: the confidences are within a few points of the accuracy they promise.
  EXPECT_LE(evaluation.calibration_error, 0.05);
  EXPECT_EQ(evaluation.per_intent.size(), 77u);
  ASSERT_FALSE(evaluation.confusions.empty());
  EXPECT_GE(evaluation.confusions.front().count, evaluation.confusions.back().count);
  char last_line[64];
  std::snprintf(last_line, sizeof last_line, "\naccuracy=%.4f macro_f1=%.4f\n", evaluation.accuracy,
                evaluation.macro_f1);
  EXPECT_THAT(FormatReport(evaluation), ::testing::EndsWith(last_line));
}

TEST(IntentClassifierTest, JunoHeldOutUtterances) {
  const EvaluationReport evaluation = Evaluate(Juno(), Load(Example("examples/intents/juno_test.tsv")));
  EXPECT_EQ(evaluation.examples, 46u);
  EXPECT_GE(evaluation.accuracy, 0.85);
  const std::vector<IntentScore> ranked = Juno().Classify("how much does it cost to call from spain");
  ASSERT_EQ(ranked.size(), 8u);
  EXPECT_EQ(ranked.front().intent, "roaming_prices");
  double sum = 0;
  for (size_t i = 0; i < ranked.size(); ++i) {
    sum += ranked[i].confidence;
    if (i > 0) {
      EXPECT_GE(ranked[i - 1].confidence, ranked[i].confidence);
    }
  }
  EXPECT_NEAR(sum, 1.0, 1e-9);
  // Nothing known: every intent about as likely as the biases make it, none confident.
  EXPECT_LT(Juno().Best("zxqv wmbrl").confidence, 0.5);
}

TEST(IntentClassifierTest, TrainingIsDeterministic) {
  const std::vector<LabelledExample> examples = Load(Example("examples/intents/juno.yaml"));
  Result<IntentClassifier> again = IntentClassifier::Train(examples, {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->Serialize(), Juno().Serialize());
}

TEST(IntentClassifierTest, RefusesWhatCannotBeTrained) {
  EXPECT_THAT(IntentClassifier::Train({{"hi", "greet", ""}, {"hello", "greet", ""}}, {}).status().message(),
              HasSubstr("at least two intents; found 1"));
  TrainingOptions bad;
  bad.c = 0;
  EXPECT_EQ(IntentClassifier::Train({{"hi", "a", ""}, {"yo", "b", ""}}, bad).status().field(), "c");
  TrainingOptions cancel;
  int steps = 0;
  cancel.progress = [&steps](std::string_view) { return ++steps < 3; };
  Result<IntentClassifier> cancelled = IntentClassifier::Train(Load(Example("examples/intents/juno.yaml")), cancel);
  EXPECT_EQ(cancelled.status().message(), "training was cancelled");
  EXPECT_EQ(steps, 3);
}

TEST(IntentClassifierTest, TemperatureSpreadsOrSharpensConfidence) {
  const std::vector<double> sharp = Confidences({2.0F, 1.0F, 0.0F}, 0.1);
  const std::vector<double> flat = Confidences({2.0F, 1.0F, 0.0F}, 10.0);
  EXPECT_GT(sharp[0], 0.99);
  EXPECT_LT(flat[0], 0.4);
  EXPECT_NEAR(flat[0] + flat[1] + flat[2], 1.0, 1e-12);
}

TEST(ClassifierFileTest, RoundTripsThroughAFile) {
  troupe::testing::TempDir dir;
  const std::string path = (dir / "juno.model").string();
  ASSERT_TRUE(Juno().Save(path).ok());
  Result<IntentClassifier> loaded = IntentClassifier::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->intents(), Juno().intents());
  EXPECT_EQ(loaded->temperature(), Juno().temperature());
  for (const LabelledExample& example : Load(Example("examples/intents/juno_test.tsv"))) {
    const IntentScore a = Juno().Best(example.text);
    const IntentScore b = loaded->Best(example.text);
    EXPECT_EQ(a.intent, b.intent);
    EXPECT_EQ(a.confidence, b.confidence);
  }
  EXPECT_EQ(IntentClassifier::Load((dir / "missing").string()).status().code(), StatusCode::kNotFound);
}

std::string LoadError(const std::string& bytes) {
  Result<IntentClassifier> loaded = IntentClassifier::Deserialize(bytes, "m.model");
  EXPECT_FALSE(loaded.ok());
  return loaded.ok() ? "" : loaded.status().message();
}

TEST(ClassifierFileTest, RefusesDamagedFiles) {
  const std::string good = Juno().Serialize();
  EXPECT_THAT(LoadError("TROUPEIX" + good.substr(8)), HasSubstr("m.model: not an intent classifier file: it does not begin"));
  std::string version = good;
  version[8] = 9;
  EXPECT_THAT(LoadError(version), HasSubstr("version 9, this Troupe reads version 1 (byte 12)"));
  EXPECT_THAT(LoadError(good + "x"), HasSubstr("bytes of weights, found"));
  std::string nan_weight = good;
  const float nan = std::nanf("");
  std::memcpy(nan_weight.data() + nan_weight.size() - 4, &nan, 4);
  EXPECT_THAT(LoadError(nan_weight), HasSubstr("a weight is not a number"));
  // Cut anywhere: refused, never read past the end (ASan watches).
  for (size_t length = 0; length < good.size(); length += 1 + length / 16) {
    EXPECT_FALSE(IntentClassifier::Deserialize(good.substr(0, length), "m.model").ok()) << length;
  }
}

}  // namespace
}  // namespace troupe::chat::intents
