// ChatRuntime::RunJob: the jobs the runtime enqueues (a proactive message, a summary), dispatched
// back to it by the server's job runner.
#include <nlohmann/json.hpp>

#include "chat/memory.h"
#include "chat/runtime.h"
#include "chat/turn_context.h"

namespace troupe::chat {

using nlohmann::json;

Result<nlohmann::json> ChatRuntime::RunJob(const store::Job& job, const std::function<bool(double)>& progress) {
  json payload = json::parse(job.payload_json, nullptr, false);
  if (!payload.is_object() || !payload.contains("conversation_id") || !payload["conversation_id"].is_number_integer()) {
    return Status(StatusCode::kInvalidArgument, "job " + std::to_string(job.id) + " names no conversation_id",
                  "payload.conversation_id");
  }
  if (job.kind != kProactiveJob && job.kind != kSummarizeJob) {
    return Status(StatusCode::kInvalidArgument, "the chat runtime runs no job of kind '" + job.kind + "'", "kind");
  }
  const int64_t conversation_id = payload["conversation_id"].get<int64_t>();
  if (progress && !progress(0.0)) return json{{"cancelled", true}};
  auto run = [&]() -> Result<json> {
    if (job.kind == kProactiveJob) {
      TROUPE_ASSIGN_OR_RETURN(std::optional<TurnOutcome> outcome, WriteProactive(conversation_id));
      json ids = json::array();
      if (outcome) {
        for (const store::Message& message : outcome->messages) ids.push_back(message.id);
      }
      return json{{"written", outcome.has_value()}, {"message_ids", ids}};
    }
    TROUPE_ASSIGN_OR_RETURN(std::optional<store::Memory> summary, Summarize(conversation_id, progress));
    if (!summary) return json{{"written", false}};
    return json{{"written", true},
                {"memory_id", summary->id},
                {"covers_until_message_id", *summary->covers_until_message_id}};
  };
  Result<json> result = run();
  // The conversation was deleted (its user erased) before or while the job ran: there is nothing
  // left to do, and a retry would only fail the same way.
  if (!result.ok() &&
      context_->store.conversations().Get(conversation_id).status().code() == StatusCode::kNotFound) {
    return json{{"written", false}, {"conversation_deleted", true}};
  }
  return result;
}

}  // namespace troupe::chat
