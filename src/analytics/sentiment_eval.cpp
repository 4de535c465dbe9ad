#include "analytics/sentiment_eval.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace troupe::analytics {
namespace {

bool SentimentEvalIsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string SentimentEvalLowerTrimmed(std::string_view text) {
  while (!text.empty() && SentimentEvalIsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && SentimentEvalIsSpace(text.back())) text.remove_suffix(1);
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);
  }
  return lower;
}

double SentimentEvalRatio(size_t part, size_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

}  // namespace

std::string_view SentimentClassName(SentimentClass label) {
  switch (label) {
    case SentimentClass::kNegative:
      return "negative";
    case SentimentClass::kNeutral:
      return "neutral";
    case SentimentClass::kPositive:
      return "positive";
  }
  return "neutral";
}

std::optional<SentimentClass> ParseSentimentLabel(std::string_view label) {
  const std::string word = SentimentEvalLowerTrimmed(label);
  if (word == "1" || word == "positive" || word == "pos") return SentimentClass::kPositive;
  if (word == "0" || word == "negative" || word == "neg") return SentimentClass::kNegative;
  if (word == "neutral" || word == "neu") return SentimentClass::kNeutral;
  return std::nullopt;
}

Result<std::vector<LabelledText>> ParseLabelledSentiment(std::string_view contents, std::string_view source) {
  std::vector<LabelledText> examples;
  size_t line_number = 0;
  while (!contents.empty()) {
    ++line_number;
    const size_t end = contents.find('\n');
    const std::string_view line = contents.substr(0, end);
    contents.remove_prefix(end == std::string_view::npos ? contents.size() : end + 1);
    if (line.empty()) continue;
    const std::string where = std::string(source) + ":" + std::to_string(line_number);
    const size_t tab = line.rfind('\t');
    if (tab == std::string_view::npos) {
      return InvalidArgument(where + ": no tab: each line must be text<TAB>label", where);
    }
    const std::optional<SentimentClass> label = ParseSentimentLabel(line.substr(tab + 1));
    if (!label) {
      return InvalidArgument(where + ": unknown label '" + Excerpt(line.substr(tab + 1)) +
                                 "' (expected 1/0, positive/negative/neutral or pos/neg/neu)",
                             where);
    }
    examples.push_back({std::string(line.substr(0, tab)), *label});
  }
  return examples;
}

Result<std::vector<LabelledText>> ReadLabelledSentiment(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path.string());
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return NotFound("cannot read " + path.string());
  return ParseLabelledSentiment(contents.str(), path.string());
}

SentimentClass ClassifySentiment(double score, bool with_neutral, const SentimentThresholds& thresholds) {
  if (!with_neutral) return score > thresholds.binary_split ? SentimentClass::kPositive : SentimentClass::kNegative;
  if (score >= thresholds.positive_from) return SentimentClass::kPositive;
  if (score <= thresholds.negative_to) return SentimentClass::kNegative;
  return SentimentClass::kNeutral;
}

SentimentReport SentimentFigures(const std::vector<SentimentClass>& labels,
                                 const std::vector<SentimentClass>& predictions, bool with_neutral) {
  SentimentReport report;
  report.examples = std::min(labels.size(), predictions.size());
  report.with_neutral = with_neutral;
  size_t correct = 0;
  for (size_t i = 0; i < report.examples; ++i) {
    ++report.confusion[static_cast<size_t>(labels[i])][static_cast<size_t>(predictions[i])];
    correct += labels[i] == predictions[i];
  }
  report.accuracy = SentimentEvalRatio(correct, report.examples);
  std::vector<SentimentClass> reported = {SentimentClass::kNegative, SentimentClass::kPositive};
  if (with_neutral) reported.insert(reported.begin() + 1, SentimentClass::kNeutral);
  double f1_sum = 0;
  for (SentimentClass label : reported) {
    SentimentClassFigures figures;
    figures.label = label;
    const auto k = static_cast<size_t>(label);
    for (size_t other = 0; other < 3; ++other) {
      figures.support += report.confusion[k][other];
      figures.predicted += report.confusion[other][k];
    }
    figures.correct = report.confusion[k][k];
    figures.precision = SentimentEvalRatio(figures.correct, figures.predicted);
    figures.recall = SentimentEvalRatio(figures.correct, figures.support);
    const double both = figures.precision + figures.recall;
    figures.f1 = both == 0 ? 0.0 : 2 * figures.precision * figures.recall / both;
    f1_sum += figures.f1;
    report.classes.push_back(figures);
  }
  report.macro_f1 = f1_sum / static_cast<double>(reported.size());
  return report;
}

SentimentReport EvaluateSentiment(const std::vector<LabelledText>& examples,
                                  const std::function<double(std::string_view)>& score,
                                  const SentimentThresholds& thresholds) {
  const bool with_neutral = std::any_of(examples.begin(), examples.end(), [](const LabelledText& example) {
    return example.label == SentimentClass::kNeutral;
  });
  std::vector<SentimentClass> labels;
  std::vector<SentimentClass> predictions;
  labels.reserve(examples.size());
  predictions.reserve(examples.size());
  for (const LabelledText& example : examples) {
    labels.push_back(example.label);
    predictions.push_back(ClassifySentiment(score(example.text), with_neutral, thresholds));
  }
  return SentimentFigures(labels, predictions, with_neutral);
}

}  // namespace troupe::analytics
