// The turn pipeline's entry points (runtime.h): a user's message, the reply, the opening message
// and the jobs; alternatives, proactive messages and summaries live in their own files beside it.
#include "chat/runtime.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "chat/alternatives.h"
#include "chat/macros.h"
#include "chat/proactive_turns.h"
#include "chat/reply_stream.h"
#include "chat/sentiment.h"
#include "chat/summary_jobs.h"
#include "chat/turn_context.h"

namespace troupe::chat {

using nlohmann::json;
using internal::BookOf;
using internal::Emit;
using internal::Generated;
using internal::GenerateReply;
using internal::Plan;
using internal::ProactiveBook;
using internal::Scene;
using internal::StartOf;
using internal::StorePart;
using internal::Trimmed;
using internal::TurnContext;
using internal::UtcDay;
using internal::WithBook;

namespace {

// How much one user message moves affinity: its sentiment times this, plus a small warmth that
// every exchange adds (people grow closer by talking, even about neutral things).
constexpr double kAffinityPerSentiment = 0.08;
constexpr double kAffinityPerExchange = 0.01;

}  // namespace

ChatRuntime::ChatRuntime(store::Store& store, ProviderResolver providers, RuntimeOptions options)
    : context_(std::make_unique<internal::TurnContext>(store, std::move(providers), std::move(options))) {}

ChatRuntime::~ChatRuntime() = default;

Result<store::Message> ChatRuntime::AddUserMessage(int64_t conversation_id, std::string text) {
  internal::TurnContext& s = *context_;
  if (Trimmed(text).empty()) return Status(StatusCode::kInvalidArgument, "the message is empty", "content");
  std::lock_guard lock(s.LockFor(conversation_id));
  TROUPE_ASSIGN_OR_RETURN(store::Conversation conversation, s.store.conversations().Get(conversation_id));
  TROUPE_RETURN_IF_ERROR(TurnContext::RequireActive(conversation));
  Result<std::vector<store::Message>> last = s.store.messages().Latest(conversation_id, 1);
  store::Message message;
  message.conversation_id = conversation_id;
  if (last.ok() && !last->empty()) message.parent_id = last->back().id;
  message.role = store::MessageRole::kUser;
  message.sentiment = EstimateSentiment(text);
  message.content = std::move(text);
  message.stage = conversation.stage;
  TROUPE_ASSIGN_OR_RETURN(store::Message stored, s.store.messages().Append(std::move(message)));

  // The user spoke: affinity moves with their tone, and proactive backoff starts over.
  conversation.affinity = std::clamp(
      conversation.affinity + *stored.sentiment * kAffinityPerSentiment + kAffinityPerExchange, -1.0, 1.0);
  ProactiveBook book = BookOf(s, conversation);
  book.unanswered = 0;
  book.day = UtcDay(s.clock.NowMillis());
  conversation.metadata_json = WithBook(conversation.metadata_json, book);
  if (Result<store::Conversation> updated = s.store.conversations().UpdateState(conversation); !updated.ok()) {
    spdlog::warn("conversation {}: state not updated: {}", conversation_id, updated.status().ToString());
  }
  return stored;
}

Result<TurnOutcome> ChatRuntime::Reply(int64_t conversation_id, const TurnOptions& options, const TurnSink& sink) {
  internal::TurnContext& s = *context_;
  std::lock_guard lock(s.LockFor(conversation_id));
  TROUPE_ASSIGN_OR_RETURN(Scene scene, s.LoadScene(conversation_id, options));
  TROUPE_RETURN_IF_ERROR(TurnContext::RequireActive(scene.conversation));
  TROUPE_ASSIGN_OR_RETURN(std::vector<store::Message> history, s.History(conversation_id));
  if (history.empty()) {
    return Status(StatusCode::kFailedPrecondition, "conversation " + std::to_string(conversation_id) +
                                                       " has no messages to reply to; open it first");
  }
  // Idle time is measured up to the user's message: the gap before it, not the seconds since.
  int64_t idle_ms = 0;
  if (history.size() >= 2) idle_ms = history.back().created_at - history[history.size() - 2].created_at;
  TROUPE_RETURN_IF_ERROR(s.AdvanceFlow(scene, history, idle_ms).status());

  Plan plan;
  plan.history = std::move(history);
  plan.parent_id = plan.history.back().id;
  TROUPE_ASSIGN_OR_RETURN(Generated generated, GenerateReply(s, scene, plan, options, sink));
  s.AfterTurn(scene);
  Emit(sink, DoneEvent{generated.usage, scene.conversation, generated.incomplete});
  return TurnOutcome{std::move(generated.messages), scene.conversation, generated.usage, generated.incomplete};
}

Result<TurnOutcome> ChatRuntime::Open(int64_t conversation_id, int greeting, const TurnOptions& options,
                                      const TurnSink& sink) {
  internal::TurnContext& s = *context_;
  std::lock_guard lock(s.LockFor(conversation_id));
  TROUPE_ASSIGN_OR_RETURN(Scene scene, s.LoadScene(conversation_id, options));
  TROUPE_RETURN_IF_ERROR(TurnContext::RequireActive(scene.conversation));
  TROUPE_ASSIGN_OR_RETURN(std::vector<store::Message> existing, s.store.messages().Latest(conversation_id, 1));
  TurnOutcome outcome;
  outcome.conversation = scene.conversation;
  if (!existing.empty()) {
    Emit(sink, DoneEvent{{}, scene.conversation, false});
    return outcome;
  }
  TROUPE_RETURN_IF_ERROR(s.AdvanceFlow(scene, {}, 0).status());
  const store::Character& character = scene.character;
  if (greeting > static_cast<int>(character.alternate_greetings.size())) {
    return Status(StatusCode::kInvalidArgument,
                  "greeting " + std::to_string(greeting) + " does not exist: the card has " +
                      std::to_string(character.alternate_greetings.size()) + " alternate greetings",
                  "greeting");
  }
  const std::string& written = greeting == 0 ? character.first_mes : character.alternate_greetings[greeting - 1];
  const Stage* stage = s.StageOf(scene);
  if (!Trimmed(written).empty()) {
    Plan plan;
    plan.metadata["greeting"] = greeting;
    const std::string text = ExpandMacros(written, {character.name, scene.user_name});
    Emit(sink, StartOf(scene, 0));
    Emit(sink, DeltaEvent{0, text});
    TROUPE_ASSIGN_OR_RETURN(store::Message stored, StorePart(s, scene, plan, text, 0, false, s.clock.NowMillis(), sink));
    outcome.messages.push_back(stored);
  } else if (stage != nullptr && stage->opens_conversation) {
    Plan plan;
    plan.metadata["opening"] = true;
    plan.closing_instruction =
        "Open the conversation: write {{char}}'s first message to {{user}}, who has just arrived.";
    TROUPE_ASSIGN_OR_RETURN(Generated generated, GenerateReply(s, scene, plan, options, sink));
    outcome.messages = std::move(generated.messages);
    outcome.usage = generated.usage;
    outcome.incomplete = generated.incomplete;
  }
  s.AfterTurn(scene);
  outcome.conversation = scene.conversation;
  Emit(sink, DoneEvent{outcome.usage, scene.conversation, outcome.incomplete});
  return outcome;
}

Result<TurnOutcome> ChatRuntime::Regenerate(int64_t conversation_id, int64_t message_id, const TurnOptions& options,
                                            const TurnSink& sink) {
  return internal::Regenerate(*context_, conversation_id, message_id, options, sink);
}

Result<store::Message> ChatRuntime::SelectSwipe(int64_t message_id, int index) {
  return internal::SelectSwipe(*context_, message_id, index);
}

Result<store::Message> ChatRuntime::EditMessage(int64_t message_id, std::string content) {
  return internal::EditMessage(*context_, message_id, std::move(content));
}

Result<int> ChatRuntime::ScanProactive() { return internal::ScanProactive(*context_); }

Result<std::optional<TurnOutcome>> ChatRuntime::WriteProactive(int64_t conversation_id) {
  return internal::WriteProactive(*context_, conversation_id);
}

Result<std::optional<store::Memory>> ChatRuntime::Summarize(int64_t conversation_id,
                                                             const std::function<bool(double)>& progress) {
  return internal::Summarize(*context_, conversation_id, progress);
}

Result<nlohmann::json> ChatRuntime::RunJob(const store::Job& job, const std::function<bool(double)>& progress) {
  json payload = json::parse(job.payload_json, nullptr, false);
  if (!payload.is_object() || !payload.contains("conversation_id") || !payload["conversation_id"].is_number_integer()) {
    return Status(StatusCode::kInvalidArgument, "job " + std::to_string(job.id) + " names no conversation_id",
                  "payload.conversation_id");
  }
  const int64_t conversation_id = payload["conversation_id"].get<int64_t>();
  if (progress && !progress(0.0)) return json{{"cancelled", true}};
  if (job.kind == kProactiveJob) {
    TROUPE_ASSIGN_OR_RETURN(std::optional<TurnOutcome> outcome, WriteProactive(conversation_id));
    json ids = json::array();
    if (outcome) {
      for (const store::Message& message : outcome->messages) ids.push_back(message.id);
    }
    return json{{"written", outcome.has_value()}, {"message_ids", ids}};
  }
  if (job.kind == kSummarizeJob) {
    TROUPE_ASSIGN_OR_RETURN(std::optional<store::Memory> summary, Summarize(conversation_id, progress));
    if (!summary) return json{{"written", false}};
    return json{{"written", true},
                {"memory_id", summary->id},
                {"covers_until_message_id", *summary->covers_until_message_id}};
  }
  return Status(StatusCode::kInvalidArgument, "the chat runtime runs no job of kind '" + job.kind + "'", "kind");
}

}  // namespace troupe::chat
