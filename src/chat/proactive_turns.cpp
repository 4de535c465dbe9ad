// Messages a character writes first after a break: the scan that finds conversations whose
// stage's break has passed, and the job that writes the message (proactive_turns.h).
#include "chat/proactive_turns.h"

#include <ctime>

#include "chat/reply_stream.h"

namespace troupe::chat::internal {

using nlohmann::json;

std::string UtcDay(int64_t millis) {
  const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[16];
  std::strftime(text, sizeof(text), "%Y-%m-%d", &tm);
  return text;
}

ProactiveBook BookOf(const TurnContext& context, const store::Conversation& conversation) {
  ProactiveBook book;
  json metadata = ParseObject(conversation.metadata_json);
  if (auto it = metadata.find("proactive"); it != metadata.end() && it->is_object()) {
    book.unanswered = it->value("unanswered", 0);
    book.day = it->value("day", std::string());
    book.sent_today = it->value("sent_today", 0);
  }
  if (book.day != UtcDay(context.clock.NowMillis())) book.sent_today = 0;
  return book;
}

std::string WithBook(const std::string& metadata_json, const ProactiveBook& book) {
  json metadata = ParseObject(metadata_json);
  metadata["proactive"] = {{"unanswered", book.unanswered}, {"sent_today", book.sent_today}, {"day", book.day}};
  return metadata.dump();
}

std::optional<int64_t> ProactiveDueAt(TurnContext& context, const Scene& scene) {
  const Stage* stage = context.StageOf(scene);
  if (stage == nullptr || !stage->proactive) return std::nullopt;
  const ProactiveBook book = BookOf(context, scene.conversation);
  return NextProactiveAt(*stage->proactive, scene.conversation.last_activity_at, book.unanswered, book.sent_today,
                         context.clock.NowMillis());
}


Result<int> ScanProactive(TurnContext& context) {
  const int64_t now = context.clock.NowMillis();
  TROUPE_ASSIGN_OR_RETURN(std::vector<store::Conversation> idle,
                          context.store.conversations().ListIdle(store::ConversationStatus::kActive,
                                                           now - context.options.proactive_min_idle_ms,
                                                           context.options.proactive_scan_limit));
  int enqueued = 0;
  for (const store::Conversation& conversation : idle) {
    if (conversation.message_count == 0) continue;  // never opened: nobody to write to yet
    Result<Scene> scene = context.LoadScene(conversation.id, {});
    if (!scene.ok()) continue;
    std::optional<int64_t> due = ProactiveDueAt(context, *scene);
    if (!due || *due > now) continue;
    store::NewJob job;
    job.kind = std::string(kProactiveJob);
    // One job per conversation and break: a second scan before the job runs enqueues a duplicate
    // that finds the message written and does nothing.
    job.payload_json = json{{"conversation_id", conversation.id}, {"due_at", *due}}.dump();
    if (context.store.jobs().Enqueue(job).ok()) ++enqueued;
  }
  if (enqueued > 0 && context.options.on_job_enqueued) context.options.on_job_enqueued();
  return enqueued;
}

Result<std::optional<TurnOutcome>> WriteProactive(TurnContext& context, int64_t conversation_id) {
  // In turn with the conversation's other turns; this job's thread waits, no worker does.
  TROUPE_ASSIGN_OR_RETURN(std::unique_ptr<TurnQueue::Exclusive> turn, context.turns.Acquire(conversation_id));
  TurnOptions options;
  options.typing_delays = false;
  TROUPE_ASSIGN_OR_RETURN(Scene scene, context.LoadScene(conversation_id, options));
  if (scene.conversation.status != store::ConversationStatus::kActive) return std::optional<TurnOutcome>();
  std::optional<int64_t> due = ProactiveDueAt(context, scene);
  if (!due || *due > context.clock.NowMillis()) return std::optional<TurnOutcome>();
  TROUPE_ASSIGN_OR_RETURN(std::vector<store::Message> history, context.History(conversation_id));
  const int64_t idle_ms = history.empty() ? 0 : context.clock.NowMillis() - history.back().created_at;
  TROUPE_RETURN_IF_ERROR(context.AdvanceFlow(scene, history, idle_ms).status());
  const Stage* stage = context.StageOf(scene);
  if (stage == nullptr || !stage->proactive) return std::optional<TurnOutcome>();

  Plan plan;
  plan.history = std::move(history);
  if (!plan.history.empty()) plan.parent_id = plan.history.back().id;
  plan.metadata["proactive"] = true;
  plan.closing_instruction = stage->proactive->prompt.empty()
                                 ? "{{user}} has been away for a while. Write {{char}}'s message reaching out to "
                                   "{{user}} first, in character, picking up from what you talked about."
                                 : stage->proactive->prompt;
  TROUPE_ASSIGN_OR_RETURN(Generated generated, GenerateReplyAndWait(context, scene, plan, options, {}));

  Result<store::Conversation> fresh = context.store.conversations().Get(conversation_id);
  if (fresh.ok()) scene.conversation = *fresh;
  ProactiveBook book = BookOf(context, scene.conversation);
  book.unanswered += 1;
  book.sent_today += 1;
  book.day = UtcDay(context.clock.NowMillis());
  scene.conversation.metadata_json = WithBook(scene.conversation.metadata_json, book);
  TROUPE_ASSIGN_OR_RETURN(scene.conversation, context.store.conversations().UpdateState(scene.conversation));
  return std::optional<TurnOutcome>(
      TurnOutcome{std::move(generated.messages), scene.conversation, generated.usage, generated.incomplete});
}

}  // namespace troupe::chat::internal
