// Flow generation and optimization as durable jobs, like character generation (generation_job.h):
// the API queues them, a worker of `troupe serve` runs them on the named provider with progress,
// and their result is what the studio shows. Neither changes a character: the studio applies a
// generated or optimized flow by saving it as the character's flow.
//
// "studio.generate_flow" payload: {"topic", "goal", "minor": false, "min_stages": 5,
//   "max_stages": 7, "seed": 1, "temperature": 0.9, "provider": ""}
//   result: {"flow": YAML, "stages": [names], "reply": the model's JSON}
// "studio.optimize_flow" payload: {"character_id", "from", "to" (days YYYY-MM-DD, both included:
//   the stored conversations whose figures the model sees), "seed": 1,
//   "temperature": 0.7, "max_edits": 3, "provider": ""}
//   result: {"character_id", "edits": [{stage, prompt, messages_at_least, reason}], "flow_before",
//   "flow_after", "diff", "performance": [per stage {stage, reached, drop_off_rate,
//   sentiment_mean, rating_mean}]}
#pragma once

#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "store/records.h"
#include "store/store.h"
#include "studio/generation_job.h"

namespace troupe::studio {

inline constexpr std::string_view kGenerateFlowJob = "studio.generate_flow";
inline constexpr std::string_view kOptimizeFlowJob = "studio.optimize_flow";

// The payload as it will be run (defaults filled in), or kInvalidArgument naming the field.
Result<nlohmann::json> CheckGenerateFlowPayload(const nlohmann::json& request);
// A missing `from`/`to` is filled in as the analytics routes do: the 30 days up to `now_ms`'s.
Result<nlohmann::json> CheckOptimizeFlowPayload(const nlohmann::json& request, int64_t now_ms);

Result<nlohmann::json> RunGenerateFlowJob(const store::Job& job, const ProviderLookup& providers, const JobHooks& hooks);
// Errors also: the character's (kNotFound), kFailedPrecondition when it has no flow of its own.
Result<nlohmann::json> RunOptimizeFlowJob(const store::Job& job, const ProviderLookup& providers, store::Store& store,
                                          const JobHooks& hooks);

}  // namespace troupe::studio
