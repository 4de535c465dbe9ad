// Internal to the chat runtime: rolling summaries as jobs. After a turn, MaybeEnqueueSummary
// enqueues one kSummarizeJob once SummaryPolicy::threshold messages beyond the newest summary (and
// beyond what an earlier job was asked for, kept in the conversation's metadata) wait to be folded;
// memory upkeep never fails a turn. Summarize is the job (ChatRuntime::Summarize in runtime.h).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "chat/turn_context.h"

namespace troupe::chat::internal {

void MaybeEnqueueSummary(TurnContext& context, Scene& scene);
Result<std::optional<store::Memory>> Summarize(TurnContext& context, int64_t conversation_id,
                                              const std::function<bool(double)>& progress);

}  // namespace troupe::chat::internal
