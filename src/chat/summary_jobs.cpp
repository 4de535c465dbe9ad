// Rolling summaries as jobs: when a turn leaves enough older messages waiting, one job is
// enqueued; the job folds them into the summary with the model (summary_jobs.h).
#include "chat/summary_jobs.h"

#include <algorithm>

namespace troupe::chat::internal {

using nlohmann::json;

namespace {

// The newest summary's coverage; nullopt when there is none (or the store fails: a summary is
// then simply written again).
std::optional<int64_t> CoveredUntil(TurnContext& context, int64_t conversation_id) {
  Result<store::Memory> summary = context.store.memories().LatestSummary(conversation_id);
  return summary.ok() ? summary->covers_until_message_id : std::nullopt;
}

}  // namespace

// Enqueues a summary job once `summary.threshold` messages could be folded beyond what the
// newest summary covers and what an earlier job was already asked to fold (kept in the
// conversation's metadata as memory.summary_requested_through, so turns that come while a job
// waits do not pile up duplicates). Memory upkeep never fails a turn.
void MaybeEnqueueSummary(TurnContext& context, Scene& scene) {
  const SummaryPolicy& policy = context.options.summary;
  if (policy.threshold <= 0 || scene.conversation.message_count < policy.threshold + policy.keep_recent) return;
  std::optional<int64_t> from = CoveredUntil(context, scene.conversation.id);
  json metadata = ParseObject(scene.conversation.metadata_json);
  if (auto memory = metadata.find("memory"); memory != metadata.end() && memory->is_object()) {
    if (auto requested = memory->find("summary_requested_through");
        requested != memory->end() && requested->is_number_integer()) {
      from = std::max(from.value_or(0), requested->get<int64_t>());
    }
  }
  Result<std::vector<store::Message>> history = context.store.messages().Latest(
      scene.conversation.id, std::max(context.options.history_window, policy.threshold + policy.keep_recent + 1));
  if (!history.ok()) return;
  const std::vector<store::Message> foldable = FoldableMessages(*history, from, policy.keep_recent);
  if (static_cast<int>(foldable.size()) < policy.threshold) return;

  store::NewJob job;
  job.kind = std::string(kSummarizeJob);
  job.payload_json = json{{"conversation_id", scene.conversation.id}, {"through_message_id", foldable.back().id}}.dump();
  if (!context.store.jobs().Enqueue(job).ok()) return;
  metadata["memory"]["summary_requested_through"] = foldable.back().id;
  store::Conversation updated = scene.conversation;
  updated.metadata_json = metadata.dump();
  if (Result<store::Conversation> written = context.store.conversations().UpdateState(updated); written.ok()) {
    scene.conversation = *written;
  }
  if (context.options.on_job_enqueued) context.options.on_job_enqueued();
}


Result<std::optional<store::Memory>> Summarize(TurnContext& context, int64_t conversation_id,
                                              const std::function<bool(double)>& progress) {
  const SummaryPolicy& policy = context.options.summary;
  // No conversation lock: turns go on while the model summarises; the summary covers messages
  // that a turn never changes (the newest keep_recent are never folded).
  TROUPE_ASSIGN_OR_RETURN(Scene scene, context.LoadScene(conversation_id, {}));
  std::string previous;
  std::optional<int64_t> covered;
  if (Result<store::Memory> summary = context.store.memories().LatestSummary(conversation_id); summary.ok()) {
    previous = summary->content;
    covered = summary->covers_until_message_id;
  } else if (summary.status().code() != StatusCode::kNotFound) {
    return summary.status();
  }
  TROUPE_ASSIGN_OR_RETURN(std::vector<store::Message> history,
                          context.store.messages().Latest(conversation_id,
                                                          std::max(policy.max_messages, policy.keep_recent + 1)));
  const std::vector<store::Message> foldable = FoldableMessages(history, covered, policy.keep_recent);
  // A job enqueued twice, or one that finds the work done by another: nothing to fold.
  if (foldable.empty() || static_cast<int>(foldable.size()) < std::max(1, policy.threshold)) {
    return std::optional<store::Memory>();
  }

  llm::Provider* provider = nullptr;
  if (!context.options.summary_provider.empty()) {
    TROUPE_ASSIGN_OR_RETURN(provider, context.providers(context.options.summary_provider));
  } else {
    const Stage* stage = context.StageOf(scene);
    if (stage == nullptr) return Status(StatusCode::kInternal, "the flow has no stages");
    TROUPE_ASSIGN_OR_RETURN(provider, context.ProviderFor(scene, *stage, {}));
  }
  TROUPE_ASSIGN_OR_RETURN(std::string text, WriteSummary(*provider, scene.character.name, scene.user_name, previous,
                                                         foldable, policy, progress));
  store::Memory memory;
  memory.conversation_id = conversation_id;
  memory.kind = store::MemoryKind::kSummary;
  memory.content = text.size() > store::MemoryRepository::kMaxMemoryBytes
                       ? text.substr(0, store::MemoryRepository::kMaxMemoryBytes)
                       : std::move(text);
  memory.covers_until_message_id = foldable.back().id;
  TROUPE_ASSIGN_OR_RETURN(store::Memory stored, context.store.memories().Create(std::move(memory)));
  return std::optional<store::Memory>(std::move(stored));
}

}  // namespace troupe::chat::internal
