// Topics of the stored users' messages or feedback comments as a job (analytics/topic_report.h):
// the source, the period and the character the request names, K given or chosen by coherence, each topic's weekly trend, and
// names from a language model when asked. The result is the report's JSON with what it covered.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "chat/runtime.h"
#include "server/services/job_runner.h"
#include "store/store.h"

namespace troupe::server {

inline constexpr std::string_view kFindTopicsJob = "analytics.topics";

// The request {source, from, to, character_id, topics, top_words, iterations, seed, min_documents,
// max_document_fraction, name_topics, provider} checked and filled with defaults (the users'
// messages, the 30 days up to the day of `now_ms`, every character, "auto"), with both days written
// out; kInvalidArgument naming the field (an unknown source names "source").
Result<nlohmann::json> CheckTopicsPayload(const nlohmann::json& request, int64_t now_ms);

// Registers kFindTopicsJob. Its result: the report (TopicReportJson, with weeks) and "source" (what
// was read, in words: "feedback comments from ... to ..."), "from", "to", "character_id". Progress follows the Gibbs sweeps of each candidate K; a
// cancelled job stops between sweeps. `store` and `providers` must outlive the runner.
void RegisterTopicsJob(JobRunner& runner, store::Store& store, const Clock& clock, chat::ProviderResolver providers);

}  // namespace troupe::server
