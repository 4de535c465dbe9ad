// Evaluating a sentiment model on labelled text: reading `text<TAB>label` files, turning a score
// in [-1, 1] into a class, and the usual figures (accuracy, per-class precision/recall/F1,
// macro-F1). The model is any function from text to score, so the lexicon and the linear model
// are measured alike.
#pragma once

#include <array>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace troupe::analytics {

enum class SentimentClass { kNegative = 0, kNeutral = 1, kPositive = 2 };

// "negative", "neutral", "positive".
std::string_view SentimentClassName(SentimentClass label);

struct LabelledText {
  std::string text;
  SentimentClass label = SentimentClass::kNeutral;
};

// The label of a `text<TAB>label` line, ASCII case ignored and surrounding spaces (a stray "\r"
// included) trimmed: "1", "positive", "pos" -> positive; "0", "negative", "neg" -> negative;
// "neutral", "neu" -> neutral. Anything else: nullopt.
std::optional<SentimentClass> ParseSentimentLabel(std::string_view label);

// Parses `contents` as the shared datasets' README describes: lines end at "\n" only, each line is
// split at its LAST tab, the text is kept byte for byte (no quote processing, no trimming), empty
// lines are skipped. kInvalidArgument names `source` and the 1-based line for a line without a tab
// or with an unknown label.
Result<std::vector<LabelledText>> ParseLabelledSentiment(std::string_view contents, std::string_view source);

// The same over a file; kNotFound when it cannot be read.
Result<std::vector<LabelledText>> ReadLabelledSentiment(const std::filesystem::path& path);

// Scores are turned into classes at these thresholds (VADER's customary +-0.05 on its compound
// score). When the labels hold no neutral class, only positive and negative are predicted: a score
// above `binary_split` is positive, anything else (no opinion found, 0, included) negative.
struct SentimentThresholds {
  double positive_from = 0.05;
  double negative_to = -0.05;
  double binary_split = 0.0;
};

SentimentClass ClassifySentiment(double score, bool with_neutral, const SentimentThresholds& thresholds = {});

struct SentimentClassFigures {
  SentimentClass label = SentimentClass::kNeutral;
  size_t support = 0;    // examples labelled so
  size_t predicted = 0;  // examples predicted so
  size_t correct = 0;
  double precision = 0;  // 0 when nothing was predicted so
  double recall = 0;     // 0 when nothing is labelled so
  double f1 = 0;
};

struct SentimentReport {
  size_t examples = 0;
  bool with_neutral = false;  // whether the labels held a neutral class (and it was predicted)
  double accuracy = 0;
  double macro_f1 = 0;  // the mean F1 over the classes reported below
  // negative, (neutral,) positive
  std::vector<SentimentClassFigures> classes;
  // confusion[labelled][predicted], indexed by SentimentClass
  std::array<std::array<size_t, 3>, 3> confusion{};
};

// Scores every example and compares the classes with the labels. `score` must return values in
// [-1, 1]; it is called once per example, in order. An empty set gives a report of zeros.
SentimentReport EvaluateSentiment(const std::vector<LabelledText>& examples,
                                  const std::function<double(std::string_view)>& score,
                                  const SentimentThresholds& thresholds = {});

// The figures from labels and predictions already made (cross-validation gathers them fold by fold).
SentimentReport SentimentFigures(const std::vector<SentimentClass>& labels,
                                 const std::vector<SentimentClass>& predictions, bool with_neutral);

}  // namespace troupe::analytics
