// Labelled sentiment files (analytics/sentiment_eval.h) and the lexicon score on any bytes: a file
// parses or is refused with a message naming its line; a parsed text never holds the line break;
// every score is finite and within [-1, 1], and an evaluation's figures are fractions.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "analytics/sentiment_eval.h"
#include "base/sentiment_lexicon.h"

using namespace troupe;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view contents(reinterpret_cast<const char*>(data), size);
  const double whole = LexiconSentiment(contents);
  if (!std::isfinite(whole) || whole < -1 || whole > 1) std::abort();
  Result<std::vector<analytics::LabelledText>> examples = analytics::ParseLabelledSentiment(contents, "fuzz.txt");
  if (!examples.ok()) {
    if (examples.status().message().rfind("fuzz.txt:", 0) != 0) std::abort();
    return 0;
  }
  for (const analytics::LabelledText& example : *examples) {
    if (example.text.find('\n') != std::string::npos) std::abort();
  }
  const analytics::SentimentReport report = analytics::EvaluateSentiment(*examples, [](std::string_view text) {
    const double score = LexiconSentiment(text);
    if (!std::isfinite(score) || score < -1 || score > 1) std::abort();
    return score;
  });
  if (report.examples != examples->size() || report.accuracy < 0 || report.accuracy > 1 || report.macro_f1 < 0 ||
      report.macro_f1 > 1) {
    std::abort();
  }
  return 0;
}
