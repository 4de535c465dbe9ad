// The evaluation metrics over any bytes: the input is a hypothesis and a reference (split at the
// first NUL byte, or in the middle), also read as a segment file. Every tokenizer, every BLEU
// smoothing, chrF and chrF++ with both smoothings, and ROUGE with and without stemming must give
// finite scores in range (BLEU and chrF 0..100, ROUGE 0..1), and tokens without stray spaces.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "analytics/bleu.h"
#include "analytics/bleu_tokenizer.h"
#include "analytics/chrf.h"
#include "analytics/rouge.h"
#include "analytics/segment_file.h"

using namespace troupe::analytics;

namespace {

// ROUGE-L's table grows with the product of the lengths: keep inputs to what libFuzzer makes.
constexpr size_t kMetricsFuzzMaxBytes = 4096;

void CheckRange(double value, double high) {
  if (!std::isfinite(value) || value < 0 || value > high * (1 + 1e-12)) std::abort();
}

void CheckTokens(const std::string& tokenized) {
  if (tokenized.empty()) return;
  if (tokenized.front() == ' ' || tokenized.back() == ' ') std::abort();
  if (tokenized.find("  ") != std::string::npos) std::abort();
}

void CheckRouge(const RougeScore& score) {
  CheckRange(score.precision, 1);
  CheckRange(score.recall, 1);
  CheckRange(score.fmeasure, 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMetricsFuzzMaxBytes) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const size_t split = nul == std::string_view::npos ? size / 2 : nul;
  const std::string hypothesis(input.substr(0, split));
  const std::string reference(input.substr(std::min(size, split + (nul == std::string_view::npos ? 0 : 1))));

  auto segments = ParseSegments(input, "fuzz");
  if (segments.ok() && segments->size() > input.size() + 1) std::abort();

  for (BleuTokenizer tokenizer : {BleuTokenizer::k13a, BleuTokenizer::kIntl, BleuTokenizer::kChar}) {
    CheckTokens(TokenizeForBleu(hypothesis, tokenizer));
  }
  for (BleuSmoothing smoothing :
       {BleuSmoothing::kNone, BleuSmoothing::kFloor, BleuSmoothing::kAddK, BleuSmoothing::kExp}) {
    for (bool effective_order : {false, true}) {
      BleuOptions options;
      options.smoothing = smoothing;
      options.effective_order = effective_order;
      options.lowercase = effective_order;
      options.tokenizer = effective_order ? BleuTokenizer::kIntl : BleuTokenizer::k13a;
      auto sentence = SentenceBleu(hypothesis, {reference}, options);
      if (!sentence.ok()) std::abort();
      CheckRange(sentence->score, 100);
      CheckRange(sentence->brevity_penalty, 1);
      auto corpus = CorpusBleu({hypothesis, reference}, {{reference, hypothesis}}, options);
      if (!corpus.ok()) std::abort();
      CheckRange(corpus->score, 100);
    }
  }
  for (int word_order : {0, 2}) {
    for (bool eps_smoothing : {false, true}) {
      ChrfOptions options;
      options.word_order = word_order;
      options.eps_smoothing = eps_smoothing;
      options.keep_whitespace = eps_smoothing;
      auto score = SentenceChrf(hypothesis, {reference, hypothesis.substr(0, hypothesis.size() / 2)}, options);
      if (!score.ok()) std::abort();
      CheckRange(score->score, 100);
    }
  }
  for (bool stem : {false, true}) {
    const RougeScores scores = ScoreRouge(reference, hypothesis, stem);
    CheckRouge(scores.rouge1);
    CheckRouge(scores.rouge2);
    CheckRouge(scores.rougeL);
    CheckRouge(scores.rougeLsum);
  }
  return 0;
}
