// The bias review (bias_review.h) as a durable job, like the flow jobs (flow_jobs.h): the API
// queues it, a worker of `troupe serve` holds the conversations over a scratch store
// (bias_conversations.h) with progress per reply, and cancel stops it between replies (the reply
// being written stops too). `troupe studio bias` prints the same report JSON.
//
// "studio.bias_review" payload: {"character_id", "prompts": [text] (default: the built-in six),
//   "repeats": 2, "max_tokens": 64, "temperature": 0.7, "provider": ""}
//   result: BiasReportJson plus {"character_id", "prompts", "repeats"}
#pragma once

#include <filesystem>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "store/records.h"
#include "store/store.h"
#include "studio/bias_review.h"
#include "studio/generation_job.h"

namespace troupe::studio {

inline constexpr std::string_view kBiasReviewJob = "studio.bias_review";

inline constexpr size_t kMaxBiasPrompts = 50;
inline constexpr size_t kMaxBiasPromptBytes = 2000;

// {"messages", "conversations", "dimensions": [{name, corrected_alpha, flagged, variants: [{label,
// replies, failed, mean_words, mean_sentiment, refusal_rate, conversations, mean_stages,
// final_stages: {stage: count}, tests: [{metric, reference, variant, p_value, flagged}]}]}]}
nlohmann::json BiasReportJson(const BiasReport& report);

// The payload as it will be run (defaults filled in), or kInvalidArgument naming the field.
Result<nlohmann::json> CheckBiasReviewPayload(const nlohmann::json& request);

// Errors: the payload's, the character's (kNotFound), the scratch store's; kUnavailable
// "cancelled" when a hook said stop. A failed reply is counted in the report, not an error.
Result<nlohmann::json> RunBiasReviewJob(const store::Job& job, const ProviderLookup& providers, store::Store& store,
                                        const std::filesystem::path& intent_catalogs_dir, const JobHooks& hooks);

}  // namespace troupe::studio
