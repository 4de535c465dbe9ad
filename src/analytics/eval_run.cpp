#include "analytics/eval_run.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "analytics/bleu.h"
#include "analytics/chrf.h"
#include "analytics/rouge.h"

namespace troupe::analytics {

namespace {

// FNV-1a, 64 bits: stable across builds and machines, unlike std::hash.
void EvalFingerprintMix(uint64_t& hash, std::string_view text) {
  for (unsigned char byte : text) {
    hash ^= byte;
    hash *= 0x100000001b3ULL;
  }
  hash ^= 0xff;  // a separator no UTF-8 text contains, so ("ab","c") and ("a","bc") differ
  hash *= 0x100000001b3ULL;
}

Status ScoreEvalCases(EvalRun& run, BleuStatistics& bleu, ChrfStatistics& chrf, RougeScores& rouge_sum) {
  const BleuOptions corpus_bleu;
  const BleuOptions sentence_bleu = SentenceBleuOptions();
  const ChrfOptions chrf_options;
  for (size_t i = 0; i < run.cases.size(); ++i) {
    EvalCaseResult& c = run.cases[i];
    if (c.references.empty()) {
      return InvalidArgument("case " + std::to_string(i + 1) + " has no reference", "cases");
    }
    bleu.Add(BleuSegmentStatistics(c.reply, c.references, corpus_bleu));
    chrf.Add(ChrfSegmentStatistics(c.reply, c.references, chrf_options));
    c.sentence_bleu = BleuFromStatistics(BleuSegmentStatistics(c.reply, c.references, sentence_bleu), sentence_bleu).score;
    const RougeScores rouge = ScoreRougeMulti(c.references, c.reply, /*stem=*/true);
    c.rouge_l = rouge.rougeL.fmeasure;
    rouge_sum.rouge1.fmeasure += rouge.rouge1.fmeasure;
    rouge_sum.rouge2.fmeasure += rouge.rouge2.fmeasure;
    rouge_sum.rougeL.fmeasure += rouge.rougeL.fmeasure;
  }
  return Status::Ok();
}

std::optional<double> ReferencePerplexity(const std::vector<EvalCaseResult>& cases) {
  double log_prob = 0;
  int64_t tokens = 0;
  for (const EvalCaseResult& c : cases) {
    if (!c.reference_log_prob || c.reference_tokens <= 0) continue;
    log_prob += *c.reference_log_prob;
    tokens += c.reference_tokens;
  }
  if (tokens == 0) return std::nullopt;
  return std::exp(-log_prob / static_cast<double>(tokens));
}

nlohmann::json EvalCaseToJson(const EvalCaseResult& c) {
  nlohmann::json json{{"prompt", c.prompt},
                      {"references", c.references},
                      {"reply", c.reply},
                      {"sentence_bleu", c.sentence_bleu},
                      {"rouge_l", c.rouge_l},
                      {"reference_tokens", c.reference_tokens}};
  if (!c.error.empty()) json["error"] = c.error;
  if (c.reference_log_prob) json["reference_log_prob"] = *c.reference_log_prob;
  return json;
}

// The getters below turn nlohmann's type errors into a Status naming the field.
template <typename T>
Status ReadEvalField(const nlohmann::json& object, const char* name, T& out, bool required = true) {
  const auto found = object.find(name);
  if (found == object.end() || found->is_null()) {
    return required ? InvalidArgument(std::string("missing field ") + name, name) : Status::Ok();
  }
  try {
    out = found->get<T>();
  } catch (const nlohmann::json::exception&) {
    return InvalidArgument(std::string("field ") + name + " has the wrong type", name);
  }
  return Status::Ok();
}

Result<EvalCaseResult> EvalCaseFromJson(const nlohmann::json& json) {
  if (!json.is_object()) return InvalidArgument("every case must be an object", "cases");
  EvalCaseResult c;
  TROUPE_RETURN_IF_ERROR(ReadEvalField(json, "prompt", c.prompt));
  TROUPE_RETURN_IF_ERROR(ReadEvalField(json, "references", c.references));
  TROUPE_RETURN_IF_ERROR(ReadEvalField(json, "reply", c.reply));
  TROUPE_RETURN_IF_ERROR(ReadEvalField(json, "error", c.error, false));
  TROUPE_RETURN_IF_ERROR(ReadEvalField(json, "sentence_bleu", c.sentence_bleu, false));
  TROUPE_RETURN_IF_ERROR(ReadEvalField(json, "rouge_l", c.rouge_l, false));
  TROUPE_RETURN_IF_ERROR(ReadEvalField(json, "reference_tokens", c.reference_tokens, false));
  double log_prob = 0;
  if (json.contains("reference_log_prob") && !json["reference_log_prob"].is_null()) {
    TROUPE_RETURN_IF_ERROR(ReadEvalField(json, "reference_log_prob", log_prob));
    c.reference_log_prob = log_prob;
  }
  return c;
}

Status EvalScoresFromJson(const nlohmann::json& json, EvalScores& scores) {
  if (!json.is_object()) return InvalidArgument("field scores must be an object", "scores");
  TROUPE_RETURN_IF_ERROR(ReadEvalField(json, "cases", scores.cases));
  TROUPE_RETURN_IF_ERROR(ReadEvalField(json, "failed", scores.failed, false));
  TROUPE_RETURN_IF_ERROR(ReadEvalField(json, "bleu", scores.bleu));
  TROUPE_RETURN_IF_ERROR(ReadEvalField(json, "chrf", scores.chrf));
  TROUPE_RETURN_IF_ERROR(ReadEvalField(json, "rouge1", scores.rouge1));
  TROUPE_RETURN_IF_ERROR(ReadEvalField(json, "rouge2", scores.rouge2));
  TROUPE_RETURN_IF_ERROR(ReadEvalField(json, "rougeL", scores.rouge_l));
  double perplexity = 0;
  if (json.contains("perplexity") && !json["perplexity"].is_null()) {
    TROUPE_RETURN_IF_ERROR(ReadEvalField(json, "perplexity", perplexity));
    scores.perplexity = perplexity;
  }
  return Status::Ok();
}

std::vector<std::pair<std::string, std::optional<double>>> EvalMetricsOf(const EvalScores& s) {
  return {{"bleu", s.bleu},     {"chrf", s.chrf},     {"rouge1", s.rouge1},
          {"rouge2", s.rouge2}, {"rougeL", s.rouge_l}, {"perplexity", s.perplexity}};
}

}  // namespace

std::string EvalDatasetFingerprint(const std::vector<std::string>& prompts,
                                   const std::vector<std::vector<std::string>>& references) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < prompts.size(); ++i) {
    EvalFingerprintMix(hash, prompts[i]);
    if (i < references.size()) {
      for (const std::string& reference : references[i]) EvalFingerprintMix(hash, reference);
    }
    EvalFingerprintMix(hash, "\x01");  // ends the case
  }
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

Status ScoreEvalRun(EvalRun& run) {
  if (run.cases.empty()) return InvalidArgument("the run has no case", "cases");
  BleuStatistics bleu;
  ChrfStatistics chrf;
  RougeScores rouge_sum;
  TROUPE_RETURN_IF_ERROR(ScoreEvalCases(run, bleu, chrf, rouge_sum));
  const double n = static_cast<double>(run.cases.size());
  EvalScores& s = run.scores;
  s.cases = static_cast<int64_t>(run.cases.size());
  s.failed = std::count_if(run.cases.begin(), run.cases.end(), [](const EvalCaseResult& c) { return !c.error.empty(); });
  s.bleu = BleuFromStatistics(bleu, BleuOptions{}).score;
  s.chrf = ChrfFromStatistics(chrf, ChrfOptions{});
  s.rouge1 = rouge_sum.rouge1.fmeasure / n;
  s.rouge2 = rouge_sum.rouge2.fmeasure / n;
  s.rouge_l = rouge_sum.rougeL.fmeasure / n;
  s.perplexity = ReferencePerplexity(run.cases);
  return Status::Ok();
}

nlohmann::json EvalRunToJson(const EvalRun& run) {
  nlohmann::json scores{{"cases", run.scores.cases}, {"failed", run.scores.failed}, {"bleu", run.scores.bleu},
                        {"chrf", run.scores.chrf},   {"rouge1", run.scores.rouge1}, {"rouge2", run.scores.rouge2},
                        {"rougeL", run.scores.rouge_l}};
  scores["perplexity"] = run.scores.perplexity ? nlohmann::json(*run.scores.perplexity) : nlohmann::json(nullptr);
  nlohmann::json cases = nlohmann::json::array();
  for (const EvalCaseResult& c : run.cases) cases.push_back(EvalCaseToJson(c));
  nlohmann::json json{{"character", run.character},     {"dataset", run.dataset},
                      {"dataset_fingerprint", run.dataset_fingerprint},
                      {"provider", run.provider},       {"created_at", run.created_at},
                      {"scores", std::move(scores)},    {"cases", std::move(cases)}};
  if (run.id != 0) json["id"] = run.id;
  return json;
}

Result<EvalRun> EvalRunFromJson(const nlohmann::json& json) {
  if (!json.is_object()) return InvalidArgument("an evaluation run must be a JSON object", "run");
  EvalRun run;
  TROUPE_RETURN_IF_ERROR(ReadEvalField(json, "id", run.id, false));
  TROUPE_RETURN_IF_ERROR(ReadEvalField(json, "character", run.character));
  TROUPE_RETURN_IF_ERROR(ReadEvalField(json, "dataset", run.dataset));
  TROUPE_RETURN_IF_ERROR(ReadEvalField(json, "dataset_fingerprint", run.dataset_fingerprint));
  TROUPE_RETURN_IF_ERROR(ReadEvalField(json, "provider", run.provider, false));
  TROUPE_RETURN_IF_ERROR(ReadEvalField(json, "created_at", run.created_at, false));
  if (!json.contains("scores")) return InvalidArgument("missing field scores", "scores");
  TROUPE_RETURN_IF_ERROR(EvalScoresFromJson(json["scores"], run.scores));
  if (!json.contains("cases") || !json["cases"].is_array()) return InvalidArgument("field cases must be an array", "cases");
  for (const nlohmann::json& c : json["cases"]) {
    TROUPE_ASSIGN_OR_RETURN(EvalCaseResult parsed, EvalCaseFromJson(c));
    run.cases.push_back(std::move(parsed));
  }
  return run;
}

EvalRunDiff DiffEvalRuns(const EvalRun& before, const EvalRun& after, size_t examples) {
  EvalRunDiff diff;
  diff.same_dataset = !before.dataset_fingerprint.empty() && before.dataset_fingerprint == after.dataset_fingerprint;
  const auto old_metrics = EvalMetricsOf(before.scores);
  const auto new_metrics = EvalMetricsOf(after.scores);
  for (size_t m = 0; m < old_metrics.size(); ++m) {
    if (!old_metrics[m].second || !new_metrics[m].second) continue;
    diff.metrics.push_back({old_metrics[m].first, *old_metrics[m].second, *new_metrics[m].second,
                            *new_metrics[m].second - *old_metrics[m].second});
  }
  std::map<std::string, size_t> earlier_by_prompt;
  for (size_t i = 0; i < before.cases.size(); ++i) earlier_by_prompt.emplace(before.cases[i].prompt, i);
  std::vector<EvalCaseChange> changes;
  for (size_t i = 0; i < after.cases.size(); ++i) {
    size_t earlier = i;
    if (!diff.same_dataset || i >= before.cases.size()) {
      const auto found = earlier_by_prompt.find(after.cases[i].prompt);
      if (found == earlier_by_prompt.end()) continue;
      earlier = found->second;
    }
    changes.push_back({i, after.cases[i].prompt, before.cases[earlier].sentence_bleu, after.cases[i].sentence_bleu});
  }
  diff.matched_cases = changes.size();
  const auto gain = [](const EvalCaseChange& c) { return c.bleu_after - c.bleu_before; };
  std::stable_sort(changes.begin(), changes.end(),
                   [&](const EvalCaseChange& a, const EvalCaseChange& b) { return gain(a) > gain(b); });
  for (const EvalCaseChange& c : changes) {
    if (diff.improved.size() < examples && gain(c) > 0) diff.improved.push_back(c);
  }
  for (auto c = changes.rbegin(); c != changes.rend(); ++c) {
    if (diff.regressed.size() < examples && gain(*c) < 0) diff.regressed.push_back(*c);
  }
  return diff;
}

}  // namespace troupe::analytics
