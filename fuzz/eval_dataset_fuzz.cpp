// `troupe eval --character`'s dataset and a stored run's JSON: a bad line is an error naming the
// source and line; every parsed case has a prompt and references; scoring the cases as their own
// replies gives full marks within range; a run's JSON (the store's, or these bytes as JSON) reads
// back to the same JSON or fails with a Status.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "analytics/eval_dataset.h"
#include "analytics/eval_run.h"

using namespace troupe;
using namespace troupe::analytics;

namespace {

bool InRange(double value, double low, double high) { return std::isfinite(value) && value >= low && value <= high; }

void CheckScoredRun(const std::vector<EvalCase>& cases) {
  EvalRun run;
  for (const EvalCase& c : cases) {
    if (c.references.empty()) std::abort();
    EvalCaseResult result;
    result.prompt = c.prompt;
    result.references = c.references;
    result.reply = c.references.front();
    run.cases.push_back(std::move(result));
  }
  if (!ScoreEvalRun(run).ok()) std::abort();
  const EvalScores& s = run.scores;
  // exp(mean log precision) may land a rounding error above 100.
  if (!InRange(s.bleu, 0, 100 + 1e-9) || !InRange(s.chrf, 0, 100 + 1e-9)) std::abort();
  if (!InRange(s.rouge1, 0, 1 + 1e-9) || !InRange(s.rouge2, 0, 1 + 1e-9) || !InRange(s.rouge_l, 0, 1 + 1e-9)) std::abort();
  const Result<EvalRun> back = EvalRunFromJson(EvalRunToJson(run));
  if (!back.ok() || EvalRunToJson(*back) != EvalRunToJson(run)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view content(reinterpret_cast<const char*>(data), size);
  const Result<std::vector<EvalCase>> cases = ParseEvalDataset(content, "input");
  if (cases.ok()) {
    if (cases->size() <= 50) CheckScoredRun(*cases);
  } else if (cases.status().code() != StatusCode::kInvalidArgument || cases.status().message().rfind("input", 0) != 0) {
    std::abort();
  }
  const nlohmann::json json = nlohmann::json::parse(content, nullptr, /*allow_exceptions=*/false);
  if (!json.is_discarded()) {
    const Result<EvalRun> run = EvalRunFromJson(json);
    if (run.ok() && !EvalRunFromJson(EvalRunToJson(*run)).ok()) std::abort();
  }
  return 0;
}
