// One evaluation run of a character on a dataset (eval_dataset.h), and the comparison of two runs.
// The caller produces the replies (the character through its provider) and, when the local engine
// can, each reference's log-likelihood given the prompt; this module scores them: per case,
// sentence BLEU (sacreBLEU's sentence defaults) and ROUGE-L with stemming; over the run, corpus
// BLEU and chrF (sacreBLEU's defaults), ROUGE-1/2/L F averaged over cases (rouge-score's stemming)
// and the references' perplexity. Runs travel as JSON, which is what the store keeps.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace troupe::analytics {

struct EvalCaseResult {
  std::string prompt;
  std::vector<std::string> references;
  std::string reply;                          // empty when the reply failed (error says why)
  std::string error;                          // why there is no reply; such a case scores 0
  std::optional<double> reference_log_prob;   // Σ log P(reference token | prompt, tokens before it)
  int64_t reference_tokens = 0;               // the tokens that sum covers
  double sentence_bleu = 0;                   // 0..100
  double rouge_l = 0;                         // F, 0..1
};

struct EvalScores {
  int64_t cases = 0;
  int64_t failed = 0;  // cases without a reply
  double bleu = 0;     // corpus, 0..100
  double chrf = 0;     // corpus, 0..100
  double rouge1 = 0;   // F averaged over cases, 0..1
  double rouge2 = 0;
  double rouge_l = 0;
  std::optional<double> perplexity;  // exp of the mean negative log-likelihood per reference token
};

struct EvalRun {
  int64_t id = 0;          // the store's, once saved
  std::string character;   // the character's slug
  std::string dataset;     // the dataset's file name
  std::string dataset_fingerprint;  // 16 hex digits of the dataset's prompts and references
  std::string provider;    // which provider and model wrote the replies
  int64_t created_at = 0;  // Unix seconds
  EvalScores scores;
  std::vector<EvalCaseResult> cases;
};

// A stable fingerprint of the cases (prompts and references, in order), so two runs say whether
// they scored the same dataset.
std::string EvalDatasetFingerprint(const std::vector<std::string>& prompts,
                                   const std::vector<std::vector<std::string>>& references);

// Fills every case's sentence scores and the run's scores from the cases' replies. kInvalidArgument
// (field "cases") for a run without cases or a case without references.
Status ScoreEvalRun(EvalRun& run);

nlohmann::json EvalRunToJson(const EvalRun& run);
// kInvalidArgument naming the field that is missing or of the wrong type.
Result<EvalRun> EvalRunFromJson(const nlohmann::json& json);

struct EvalMetricChange {
  std::string metric;  // bleu, chrf, rouge1, rouge2, rougeL, perplexity
  double before = 0;
  double after = 0;
  double delta = 0;  // after − before
};

struct EvalCaseChange {
  size_t index = 0;  // in the later run
  std::string prompt;
  double bleu_before = 0;
  double bleu_after = 0;
};

struct EvalRunDiff {
  bool same_dataset = false;  // the fingerprints match; else cases are matched by prompt
  std::vector<EvalMetricChange> metrics;
  std::vector<EvalCaseChange> improved;   // up to `examples`, largest sentence-BLEU gain first
  std::vector<EvalCaseChange> regressed;  // up to `examples`, largest loss first
  size_t matched_cases = 0;
};

// How `after` differs from `before`: every corpus metric both runs have, and the cases whose
// sentence BLEU moved most (cases match by position on the same dataset, else by prompt text).
EvalRunDiff DiffEvalRuns(const EvalRun& before, const EvalRun& after, size_t examples = 5);

}  // namespace troupe::analytics
