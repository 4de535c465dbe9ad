// Evaluation runs: the dataset's format and its errors, the run's scores against values that
// follow from the metrics' definitions, the JSON the store keeps, and the diff of two runs.
#include <gtest/gtest.h>

#include <cmath>

#include "analytics/eval_dataset.h"
#include "analytics/eval_run.h"

namespace troupe::analytics {
namespace {

TEST(EvalDatasetTest, ReadsPromptsWithOneOrSeveralReferences) {
  Result<std::vector<EvalCase>> cases = ParseEvalDataset(
      "{\"prompt\": \"Hi there\", \"reference\": \"Hello, traveller.\"}\r\n\n"
      "{\"prompt\": \"Who are you?\", \"references\": [\"I am Pip.\", \"Pip, the apprentice.\"], \"id\": 7}\n",
      "qa.jsonl");
  ASSERT_TRUE(cases.ok()) << cases.status().message();
  ASSERT_EQ(cases->size(), 2u);
  EXPECT_EQ((*cases)[0].prompt, "Hi there");
  EXPECT_EQ((*cases)[0].references, std::vector<std::string>{"Hello, traveller."});
  EXPECT_EQ((*cases)[1].references.size(), 2u);
}

TEST(EvalDatasetTest, ErrorsNameTheFileAndLine) {
  const auto error_of = [](std::string_view content) {
    Result<std::vector<EvalCase>> cases = ParseEvalDataset(content, "qa.jsonl");
    return cases.ok() ? std::string("ok") : cases.status().message();
  };
  EXPECT_EQ(error_of("{\"prompt\": \"a\", \"reference\": \"b\"}\n{\"prompt\": 3}\n"),
            "qa.jsonl:2: \"prompt\" must be a string");
  EXPECT_EQ(error_of("{\"prompt\": \"a\"}"),
            "qa.jsonl:1: no \"reference\" (a string) or \"references\" (an array of strings)");
  EXPECT_EQ(error_of("{\"prompt\": \"a\", \"references\": []}"),
            "qa.jsonl:1: \"references\" must be a non-empty array of strings");
  EXPECT_EQ(error_of("{\"prompt\": \"  \", \"reference\": \"b\"}"), "qa.jsonl:1: \"prompt\" is empty");
  EXPECT_EQ(error_of("[1]"), "qa.jsonl:1: expected a JSON object with \"prompt\" and \"reference\"");
  EXPECT_EQ(error_of("{\"prompt\": "), "qa.jsonl:1: not valid JSON (column 12)");
  EXPECT_EQ(error_of("\n\n"), "qa.jsonl: no case (one JSON object per line with \"prompt\" and \"reference\")");
}

EvalRun RunOf(std::vector<std::pair<std::string, std::string>> reply_and_reference) {
  EvalRun run;
  run.character = "pip";
  run.dataset = "qa.jsonl";
  int n = 0;
  for (auto& [reply, reference] : reply_and_reference) {
    EvalCaseResult c;
    c.prompt = "prompt " + std::to_string(++n);
    c.reply = reply;
    c.references = {reference};
    run.cases.push_back(std::move(c));
  }
  return run;
}

TEST(EvalRunTest, ExactRepliesScoreFullMarksAndEmptyOnesNothing) {
  EvalRun exact = RunOf({{"The tower stands by the river.", "The tower stands by the river."},
                         {"I keep the old books safe.", "I keep the old books safe."}});
  ASSERT_TRUE(ScoreEvalRun(exact).ok());
  EXPECT_DOUBLE_EQ(exact.scores.bleu, 100.0);
  EXPECT_NEAR(exact.scores.chrf, 100.0, 1e-9);
  EXPECT_DOUBLE_EQ(exact.scores.rouge1, 1.0);
  EXPECT_DOUBLE_EQ(exact.scores.rouge_l, 1.0);
  EXPECT_DOUBLE_EQ(exact.cases[0].sentence_bleu, 100.0);
  EXPECT_FALSE(exact.scores.perplexity.has_value());

  EvalRun empty = RunOf({{"", "The tower stands by the river."}});
  empty.cases[0].error = "the provider timed out";
  ASSERT_TRUE(ScoreEvalRun(empty).ok());
  EXPECT_EQ(empty.scores.bleu, 0.0);
  EXPECT_EQ(empty.scores.rouge1, 0.0);
  EXPECT_EQ(empty.scores.failed, 1);
}

TEST(EvalRunTest, RougeIsTheMeanOfTheCasesAndStems) {
  // One exact case (F = 1) and one that shares nothing (F = 0): the mean is 0.5. "towers" and
  // "tower" match after Porter stemming.
  EvalRun run = RunOf({{"the towers", "the tower"}, {"alpha beta", "gamma delta"}});
  ASSERT_TRUE(ScoreEvalRun(run).ok());
  EXPECT_DOUBLE_EQ(run.scores.rouge1, 0.5);
  EXPECT_DOUBLE_EQ(run.cases[0].rouge_l, 1.0);
}

TEST(EvalRunTest, PerplexityIsPerReferenceTokenOverTheRun) {
  EvalRun run = RunOf({{"a", "a"}, {"b", "b"}, {"c", "c"}});
  run.cases[0].reference_log_prob = -2.0;
  run.cases[0].reference_tokens = 1;
  run.cases[1].reference_log_prob = -4.0;
  run.cases[1].reference_tokens = 3;
  // The third case was not scored (a remote provider): it does not count.
  ASSERT_TRUE(ScoreEvalRun(run).ok());
  ASSERT_TRUE(run.scores.perplexity.has_value());
  EXPECT_NEAR(*run.scores.perplexity, std::exp(6.0 / 4.0), 1e-12);
}

TEST(EvalRunTest, ARunWithoutCasesOrReferencesIsRefused) {
  EvalRun none;
  EXPECT_EQ(ScoreEvalRun(none).field(), "cases");
  EvalRun missing = RunOf({{"a", "a"}});
  missing.cases[0].references.clear();
  EXPECT_EQ(ScoreEvalRun(missing).message(), "case 1 has no reference");
}

TEST(EvalRunTest, JsonRoundTripKeepsEverything) {
  EvalRun run = RunOf({{"hello there", "hello there friend"}, {"x", "y"}});
  run.id = 12;
  run.provider = "local/stories260K";
  run.created_at = 1765000000;
  run.dataset_fingerprint = EvalDatasetFingerprint({"prompt 1", "prompt 2"}, {{"hello there friend"}, {"y"}});
  run.cases[1].error = "refused";
  run.cases[0].reference_log_prob = -3.5;
  run.cases[0].reference_tokens = 4;
  ASSERT_TRUE(ScoreEvalRun(run).ok());
  Result<EvalRun> back = EvalRunFromJson(nlohmann::json::parse(EvalRunToJson(run).dump()));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(EvalRunToJson(*back), EvalRunToJson(run));
  EXPECT_EQ(back->cases[1].error, "refused");

  nlohmann::json broken = EvalRunToJson(run);
  broken["scores"]["bleu"] = "high";
  Result<EvalRun> refused = EvalRunFromJson(broken);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().field(), "bleu");
}

TEST(EvalRunTest, FingerprintsDependOnTheCasesAndTheirBoundaries) {
  const std::string base = EvalDatasetFingerprint({"ab", "c"}, {{"x"}, {"y"}});
  EXPECT_EQ(base.size(), 16u);
  EXPECT_EQ(base, EvalDatasetFingerprint({"ab", "c"}, {{"x"}, {"y"}}));
  EXPECT_NE(base, EvalDatasetFingerprint({"a", "bc"}, {{"x"}, {"y"}}));
  EXPECT_NE(base, EvalDatasetFingerprint({"ab", "c"}, {{"x", "y"}, {}}));
}

TEST(EvalRunTest, DiffReportsMetricDeltasAndTheCasesThatMovedMost) {
  EvalRun before = RunOf({{"the cat sat", "the cat sat on the mat"}, {"dogs bark loudly", "dogs bark loudly"},
                          {"nothing", "a quiet morning"}});
  EvalRun after = RunOf({{"the cat sat on the mat", "the cat sat on the mat"}, {"dogs", "dogs bark loudly"},
                         {"nothing", "a quiet morning"}});
  before.dataset_fingerprint = after.dataset_fingerprint = "0123456789abcdef";
  ASSERT_TRUE(ScoreEvalRun(before).ok());
  ASSERT_TRUE(ScoreEvalRun(after).ok());
  const EvalRunDiff diff = DiffEvalRuns(before, after);
  EXPECT_TRUE(diff.same_dataset);
  EXPECT_EQ(diff.matched_cases, 3u);
  ASSERT_EQ(diff.metrics.size(), 5u);  // no perplexity in either run
  EXPECT_EQ(diff.metrics[0].metric, "bleu");
  EXPECT_DOUBLE_EQ(diff.metrics[0].delta, after.scores.bleu - before.scores.bleu);
  ASSERT_EQ(diff.improved.size(), 1u);
  EXPECT_EQ(diff.improved[0].index, 0u);
  EXPECT_DOUBLE_EQ(diff.improved[0].bleu_after, 100.0);
  ASSERT_EQ(diff.regressed.size(), 1u);
  EXPECT_EQ(diff.regressed[0].index, 1u);

  // Another dataset: cases match by prompt, so a reordered run still lines up.
  std::swap(after.cases[0], after.cases[1]);
  after.dataset_fingerprint = "fedcba9876543210";
  const EvalRunDiff reordered = DiffEvalRuns(before, after);
  EXPECT_FALSE(reordered.same_dataset);
  ASSERT_EQ(reordered.improved.size(), 1u);
  EXPECT_EQ(reordered.improved[0].prompt, "prompt 1");
  EXPECT_EQ(reordered.improved[0].index, 1u);
}

}  // namespace
}  // namespace troupe::analytics
