// Every case of the shared metric reference values (testdata/datasets/metrics: sacreBLEU 2.6.0's
// and rouge-score's own test expectations) run through our BLEU, chrF and ROUGE, each checked to
// the precision the case states. A failure names the section, the case's index and its source.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analytics/bleu.h"
#include "analytics/chrf.h"
#include "analytics/rouge.h"
#include "analytics/rouge_tokens.h"
#include "support/temp_dir.h"

namespace troupe::analytics {
namespace {

using nlohmann::json;

json MetricsReferenceFile(const std::string& name) {
  const auto path = testing::SharedDir() / "testdata/datasets/metrics" / name;
  std::ifstream in(path);
  // A missing file must fail, never skip: the cases below would otherwise pass by not running.
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return json::object();
  }
  return json::parse(in);
}

std::string MetricsCaseName(const std::string& section, size_t index, const json& entry) {
  return section + "[" + std::to_string(index) + "] (" + entry.value("source", "?") + ")";
}

BleuOptions MetricsBleuOptions(const json& params) {
  BleuOptions options;
  options.tokenizer = *ParseBleuTokenizer(params.value("tokenize", "13a"));
  options.smoothing = *ParseBleuSmoothing(params.value("smooth_method", "exp"));
  if (params.contains("smooth_value") && !params["smooth_value"].is_null()) {
    options.smooth_value = params["smooth_value"].get<double>();
  }
  options.lowercase = params.value("lowercase", false);
  options.max_order = params.value("max_ngram_order", 4);
  options.effective_order = params.value("use_effective_order", false);
  return options;
}

// expected_score (0-100) to abs_tolerance, expected_score_fraction (0-1) likewise or exactly, or
// expected_score_2dp as sacreBLEU formats it.
void ExpectMetricsScore(double score, const json& entry, const std::string& name) {
  if (entry.contains("expected_score_2dp")) {
    char formatted[64];
    std::snprintf(formatted, sizeof formatted, "%.2f", score);
    EXPECT_EQ(formatted, entry["expected_score_2dp"].get<std::string>()) << name;
    return;
  }
  const bool fraction = entry.contains("expected_score_fraction");
  const double expected =
      fraction ? entry["expected_score_fraction"].get<double>() : entry["expected_score"].get<double>();
  const double actual = fraction ? score / 100.0 : score;
  if (entry.value("compare", "") == "exact equality") {
    EXPECT_EQ(actual, expected) << name;
  } else {
    ASSERT_TRUE(entry.contains("abs_tolerance")) << name << ": no tolerance stated";
    EXPECT_NEAR(actual, expected, entry["abs_tolerance"].get<double>()) << name;
  }
}

TEST(MetricsReferenceTest, BleuCorpusCases) {
  const json reference = MetricsReferenceFile("bleu_chrf_reference.json");
  size_t run = 0;
  for (const char* section : {"bleu_corpus", "bleu_raw_corpus"}) {
    ASSERT_TRUE(reference.contains(section)) << section;
    for (size_t i = 0; i < reference[section].size(); ++i) {
      const json& entry = reference[section][i];
      const std::string name = MetricsCaseName(section, i, entry);
      Result<BleuScore> score = CorpusBleu(entry["hypotheses"].get<std::vector<std::string>>(),
                                           entry["references"].get<std::vector<std::vector<std::string>>>(),
                                           MetricsBleuOptions(entry["params"]));
      ASSERT_TRUE(score.ok()) << name << ": " << score.status().ToString();
      ExpectMetricsScore(score->score, entry, name);
      ++run;
    }
  }
  EXPECT_EQ(run, 20u);
}

TEST(MetricsReferenceTest, BleuStatisticsCases) {
  const json reference = MetricsReferenceFile("bleu_chrf_reference.json");
  ASSERT_TRUE(reference.contains("bleu_statistics"));
  ASSERT_EQ(reference["bleu_statistics"].size(), 1u);
  for (size_t i = 0; i < reference["bleu_statistics"].size(); ++i) {
    const json& entry = reference["bleu_statistics"][i];
    const auto references = entry["references"].get<std::vector<std::vector<std::string>>>();
    Result<BleuScore> score = CorpusBleu(entry["hypotheses"].get<std::vector<std::string>>(), references,
                                         MetricsBleuOptions(entry["params"]));
    ASSERT_TRUE(score.ok());
    EXPECT_EQ(score->statistics.matches, entry["expected_counts"].get<std::vector<int64_t>>())
        << MetricsCaseName("bleu_statistics", i, entry);
    EXPECT_EQ(score->statistics.totals, entry["expected_totals"].get<std::vector<int64_t>>())
        << MetricsCaseName("bleu_statistics", i, entry);
  }
}

TEST(MetricsReferenceTest, BleuFromStatisticsCases) {
  const json reference = MetricsReferenceFile("bleu_chrf_reference.json");
  ASSERT_TRUE(reference.contains("bleu_from_statistics"));
  ASSERT_EQ(reference["bleu_from_statistics"].size(), 7u);
  for (size_t i = 0; i < reference["bleu_from_statistics"].size(); ++i) {
    const json& entry = reference["bleu_from_statistics"][i];
    BleuStatistics statistics;
    statistics.matches = entry["correct"].get<std::vector<int64_t>>();
    statistics.totals = entry["total"].get<std::vector<int64_t>>();
    statistics.hypothesis_length = entry["sys_len"].get<int64_t>();
    statistics.reference_length = entry["ref_len"].get<int64_t>();
    json params = {{"smooth_method", entry["smooth_method"]}, {"smooth_value", entry["smooth_value"]}};
    ExpectMetricsScore(BleuFromStatistics(statistics, MetricsBleuOptions(params)).score, entry,
                       MetricsCaseName("bleu_from_statistics", i, entry));
  }
}

TEST(MetricsReferenceTest, BleuSentenceCases) {
  const json reference = MetricsReferenceFile("bleu_chrf_reference.json");
  ASSERT_TRUE(reference.contains("bleu_sentence"));
  ASSERT_EQ(reference["bleu_sentence"].size(), 18u);
  for (size_t i = 0; i < reference["bleu_sentence"].size(); ++i) {
    const json& entry = reference["bleu_sentence"][i];
    const std::string name = MetricsCaseName("bleu_sentence", i, entry);
    Result<BleuScore> score =
        SentenceBleu(entry["hypothesis"].get<std::string>(), entry["references"].get<std::vector<std::string>>(),
                     MetricsBleuOptions(entry["params"]));
    ASSERT_TRUE(score.ok()) << name;
    ExpectMetricsScore(score->score, entry, name);
  }
}

TEST(MetricsReferenceTest, ChrfCases) {
  const json reference = MetricsReferenceFile("bleu_chrf_reference.json");
  ASSERT_TRUE(reference.contains("chrf"));
  ASSERT_EQ(reference["chrf"].size(), 25u);
  for (size_t i = 0; i < reference["chrf"].size(); ++i) {
    const json& entry = reference["chrf"][i];
    const std::string name = MetricsCaseName("chrf", i, entry);
    const json& params = entry["params"];
    ChrfOptions options;
    options.char_order = params["char_order"].get<int>();
    options.word_order = params["word_order"].get<int>();
    options.beta = params["beta"].get<double>();
    options.keep_whitespace = !params["remove_whitespace"].get<bool>();
    options.eps_smoothing = params["eps_smoothing"].get<bool>();
    Result<ChrfScore> score =
        entry["level"] == "sentence"
            ? SentenceChrf(entry["hypothesis"].get<std::string>(), entry["references"].get<std::vector<std::string>>(),
                           options)
            : CorpusChrf(entry["hypotheses"].get<std::vector<std::string>>(),
                         entry["references"].get<std::vector<std::vector<std::string>>>(), options);
    ASSERT_TRUE(score.ok()) << name;
    ExpectMetricsScore(score->score, entry, name);
  }
}

RougeScore MetricsRougeOfType(const std::string& type, const std::string& target, const std::string& prediction,
                              bool stem) {
  const RougeScores scores = ScoreRouge(target, prediction, stem);
  if (type == "rouge1") return scores.rouge1;
  if (type == "rouge2") return scores.rouge2;
  if (type == "rougeL") return scores.rougeL;
  if (type == "rougeLsum") return scores.rougeLsum;
  ADD_FAILURE() << "unknown rouge_type " << type;
  return {};
}

TEST(MetricsReferenceTest, RougeCases) {
  const json reference = MetricsReferenceFile("rouge_reference.json");
  ASSERT_TRUE(reference.contains("cases"));
  ASSERT_EQ(reference["cases"].size(), 24u);
  for (size_t i = 0; i < reference["cases"].size(); ++i) {
    const json& entry = reference["cases"][i];
    const std::string name = MetricsCaseName("cases", i, entry) + " " + entry["rouge_type"].get<std::string>();
    // One case holds a note where use_stemmer belongs; its tokens are too short to stem, so it
    // must hold either way: run both.
    std::vector<bool> stem_settings = {false, true};
    if (entry["use_stemmer"].is_boolean()) stem_settings = {entry["use_stemmer"].get<bool>()};
    for (bool stem : stem_settings) {
      const RougeScore score = MetricsRougeOfType(entry["rouge_type"], entry["target"], entry["prediction"], stem);
      const double tolerance = entry["abs_tolerance"].get<double>();
      const std::string label = name + (stem ? " stemmed" : "");
      EXPECT_NEAR(score.recall, entry["expected"]["recall"].get<double>(), tolerance) << label;
      EXPECT_NEAR(score.precision, entry["expected"]["precision"].get<double>(), tolerance) << label;
      EXPECT_NEAR(score.fmeasure, entry["expected"]["fmeasure"].get<double>(), tolerance) << label;
    }
  }
}

}  // namespace
}  // namespace troupe::analytics
