// The turn pipeline's entry points (runtime.h): a user's message, the reply, the opening message
// and the jobs; alternatives, proactive messages and summaries live in their own files beside it.
#include "chat/runtime.h"

#include <algorithm>
#include <future>
#include <variant>
#include <memory>
#include <optional>

#include <spdlog/spdlog.h>

#include "base/text.h"
#include "chat/alternatives.h"
#include "chat/macros.h"
#include "chat/proactive_turns.h"
#include "chat/reply_media_step.h"
#include "chat/reply_stream.h"
#include "chat/sentiment.h"
#include "chat/summary_jobs.h"
#include "chat/handoff.h"
#include "chat/message_routing.h"
#include "chat/turn_context.h"
#include "chat/turn_control.h"

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

ChatRuntime::~ChatRuntime() { Shutdown(); }

namespace {

// The user spoke: affinity moves with their tone, and proactive backoff starts over. Applied in turn
// with the conversation's other turns (by the reply's turn, with its own state write), so no turn's
// state write is lost.
void ApplyMessage(TurnContext& s, store::Conversation& conversation, const store::Message& message) {
  conversation.affinity = std::clamp(
      conversation.affinity + message.sentiment.value_or(0.0) * kAffinityPerSentiment + kAffinityPerExchange, -1.0, 1.0);
  ProactiveBook book = BookOf(s, conversation);
  book.unanswered = 0;
  book.day = UtcDay(s.clock.NowMillis());
  conversation.metadata_json = WithBook(conversation.metadata_json, book);
}

void WriteState(TurnContext& s, store::Conversation& conversation) {
  Result<store::Conversation> updated = s.store.conversations().UpdateState(conversation);
  if (!updated.ok()) {
    spdlog::warn("conversation {}: state not updated: {}", conversation.id, updated.status().ToString());
    return;
  }
  conversation = *updated;
}

// A turn's state write: onto the conversation as stored now (a handoff during a reply wrote its own
// part), the user's message (ApplyMessage) when there is one and the flow's move when it made one.
void SettleState(TurnContext& s, int64_t conversation_id, const store::Message* posted,
                 const std::optional<FlowState>& moved) {
  Result<store::Conversation> conversation = s.store.conversations().Get(conversation_id);
  if (!conversation.ok()) {
    spdlog::warn("conversation {}: state not updated: {}", conversation_id, conversation.status().ToString());
    return;
  }
  if (posted != nullptr) ApplyMessage(s, *conversation, *posted);
  if (moved) {
    conversation->stage = moved->stage;
    conversation->mood = moved->mood;
  }
  WriteState(s, *conversation);
}

// ApplyMessage to the conversation as stored, written at once (no reply's turn follows).
void Account(TurnContext& s, const store::Message& message) {
  SettleState(s, message.conversation_id, &message, std::nullopt);
}

// Stores the user's message with the first level of its routing decision (when the scene's
// character has an intent catalog), which it returns in `routing`.
// The user's message as stored: its sentiment, its stage, and the routing decided from it now.
store::Message UserMessageOf(const Scene& scene, std::string text,
                             std::optional<intents::RoutingDecision>* routing = nullptr) {
  store::Message message;
  message.conversation_id = scene.conversation.id;
  message.role = store::MessageRole::kUser;
  message.sentiment = EstimateSentiment(text);
  message.content = std::move(text);
  message.stage = scene.conversation.stage;
  std::optional<intents::RoutingDecision> decision = internal::RouteFirst(scene, message);
  if (routing != nullptr) *routing = std::move(decision);
  return message;
}

// A turn that ended before it was returned: there is nothing left to cancel.
class FinishedTurn final : public TurnHandle {
 public:
  void Cancel() override {}
};

// A message to the human agent who has the conversation: stored and reported like any user
// message (not routed: no character answers it), then the turn ends at once with a HandoffEvent
// saying why no reply follows.
Result<PostedMessage> PostToAgent(TurnContext& s, const store::Conversation& conversation, std::string text,
                                  const TurnSink& sink, const TurnDone& done) {
  store::Message message;
  message.conversation_id = conversation.id;
  message.role = store::MessageRole::kUser;
  message.sentiment = EstimateSentiment(text);
  message.content = std::move(text);
  message.stage = conversation.stage;
  message.metadata_json = nlohmann::json{{"to_agent", true}}.dump();
  TROUPE_ASSIGN_OR_RETURN(store::Message stored, s.store.messages().AppendAfterLatest(std::move(message)));
  {
    // Behind a reply still running (the one that handed the conversation off), whose state write
    // would otherwise overwrite this message's count.
    TROUPE_ASSIGN_OR_RETURN(std::unique_ptr<TurnQueue::Exclusive> turn, s.turns.Acquire(conversation.id));
    Account(s, stored);
  }
  Result<store::Conversation> after = s.store.conversations().Get(conversation.id);
  const store::Conversation& current = after.ok() ? *after : conversation;
  Emit(sink, UserMessageEvent{stored});
  Emit(sink, HandoffEvent{current});
  Emit(sink, DoneEvent{{}, current, false});
  if (done) done(TurnOutcome{{}, current, {}, false});
  return PostedMessage{stored, std::make_shared<FinishedTurn>()};
}

// Reports the turn's end: the conversation's stored state in a DoneEvent, then the outcome.
void EndTurn(TurnContext& s, const std::shared_ptr<Scene>& scene, internal::TurnJob& job, TurnOutcome outcome) {
  s.AfterTurn(*scene);
  outcome.conversation = scene->conversation;
  Emit(job.sink, DoneEvent{outcome.usage, scene->conversation, outcome.incomplete});
  job.finish(std::move(outcome));
}

void HandOffAfterReply(TurnContext& s, Scene& scene, const std::string& reason, const nlohmann::json& summary) {
  Result<store::Conversation> handed = internal::HandOff(s, scene.conversation.id, reason, summary);
  if (!handed.ok()) {
    spdlog::error("conversation {}: the handoff ({}) was not stored: {}", scene.conversation.id, reason,
                  handed.status().ToString());
    return;
  }
  scene.conversation = *handed;
  spdlog::info("conversation {} handed to a human: {}", scene.conversation.id, reason);
  if (s.options.on_conversation_changed) s.options.on_conversation_changed(*handed);
}

// The predictor's chance that the conversation needs a person, while its history is whole (a long
// conversation's prediction was made from its first messages long ago). A failing predictor costs
// the prediction, never the reply.
void PredictHandoff(TurnContext& s, const Scene& scene, Plan& plan) {
  if (!s.options.outcome_predictor || !plan.history_is_whole) return;
  Result<std::optional<double>> predicted = s.options.outcome_predictor->PredictHandoff(scene.conversation, plan.history);
  if (!predicted.ok()) {
    spdlog::warn("conversation {}: no handoff prediction: {}", scene.conversation.id, predicted.status().ToString());
    return;
  }
  plan.predicted_handoff = *predicted;
}

// `admitted`: the scene the turn was admitted in.
void ReplyTurn(TurnContext& s, const Scene& admitted, const std::shared_ptr<internal::TurnJob>& job) {
  const int64_t conversation_id = admitted.conversation.id;
  auto scene = std::make_shared<Scene>();
  bool superseded = false;
  // The turn's state write (the user's message, the flow's move) waits for the reply's end: nothing
  // before the first token needs it stored, and a write there queues behind every other turn's
  // writes for the database's one writer.
  std::optional<FlowState> moved;
  const auto prepare = [&]() -> Result<Plan> {
    TROUPE_ASSIGN_OR_RETURN(*scene, s.RefreshScene(admitted));
    if (job->posted) ApplyMessage(s, scene->conversation, *job->posted);
    TROUPE_RETURN_IF_ERROR(TurnContext::RequireActive(scene->conversation));
    TROUPE_ASSIGN_OR_RETURN(std::vector<store::Message> history, s.History(conversation_id));
    if (history.empty()) {
      return Status(StatusCode::kFailedPrecondition, "conversation " + std::to_string(conversation_id) +
                                                         " has no messages to reply to; open it first");
    }
    // A later message exists: its turn answers (or has answered) this one too.
    if (job->posted && std::any_of(history.begin(), history.end(), [&](const store::Message& m) {
          return m.role == store::MessageRole::kUser && m.id > job->posted->id;
        })) {
      WriteState(s, scene->conversation);
      superseded = true;
      return Plan{};
    }
    // Idle time is measured up to the user's message: the gap before it, not the seconds since.
    int64_t idle_ms = 0;
    if (history.size() >= 2) idle_ms = history.back().created_at - history[history.size() - 2].created_at;
    if (s.MoveFlow(*scene, history, idle_ms)) moved = FlowState{scene->conversation.stage, scene->conversation.mood};
    Plan plan;
    // Fewer than the window: the history is the whole conversation, with nothing older to recall.
    plan.history_is_whole = history.size() < static_cast<size_t>(s.options.history_window);
    plan.history = std::move(history);
    plan.parent_id = plan.history.back().id;
    PredictHandoff(s, *scene, plan);
    return plan;
  };
  Result<Plan> plan = prepare();
  if (!plan.ok()) return job->finish(plan.status());
  // A burst of messages gets one reply, like a person's, written after the last of them.
  if (superseded) return EndTurn(s, scene, *job, TurnOutcome{});
  // The reply only tells the user a person takes over; the summary is written from the plan.
  std::optional<std::pair<std::string, nlohmann::json>> handoff;
  if (std::optional<std::string> reason = internal::AutomaticHandoff(*scene, *plan)) {
    handoff.emplace(*reason, internal::HandoffSummary(s, *scene, *plan, *reason));
    plan->closing_instruction = internal::HandoffInstruction(*scene, *plan);
    plan->tools = false;
    plan->metadata["handoff"] = *reason;
  }
  // What the reply answers, for a picture's {{conversation}}.
  std::vector<store::Message> recent(plan->history.end() - std::min<size_t>(plan->history.size(), 4),
                                     plan->history.end());
  GenerateReply(s, scene, std::move(plan).value(), job->options, job->sink, job->control,
                [&s, scene, job, moved, conversation_id, handoff, recent = std::move(recent)](Result<Generated> generated) {
                  if (job->posted || moved) {
                    SettleState(s, conversation_id, job->posted ? &*job->posted : nullptr, moved);
                  }
                  // Handed off even when the reply failed: the user still needs the person.
                  if (handoff) HandOffAfterReply(s, *scene, handoff->first, handoff->second);
                  if (!generated.ok()) return job->finish(generated.status());
                  if (scene->conversation.status == store::ConversationStatus::kHandedOff) {
                    Emit(job->sink, HandoffEvent{scene->conversation});
                    return EndTurn(s, scene, *job,
                                   TurnOutcome{std::move(generated->messages), {}, generated->usage, generated->incomplete});
                  }
                  // The stage's voice and pictures, for a reply written whole.
                  const Stage* stage = generated->incomplete ? nullptr : s.StageOf(*scene);
                  internal::AttachMedia(
                      s, scene, stage, std::move(generated->messages), recent, job->sink, job->control,
                      [&s, scene, job, usage = generated->usage, incomplete = generated->incomplete](
                          std::vector<store::Message> messages) {
                        EndTurn(s, scene, *job, TurnOutcome{std::move(messages), {}, usage, incomplete});
                      });
                });
}

void OpenTurn(TurnContext& s, int64_t conversation_id, int greeting, const std::shared_ptr<internal::TurnJob>& job) {
  auto scene = std::make_shared<Scene>();
  const auto prepare = [&]() -> Result<bool> {
    TROUPE_ASSIGN_OR_RETURN(*scene, s.LoadScene(conversation_id, job->options));
    TROUPE_RETURN_IF_ERROR(TurnContext::RequireActive(scene->conversation));
    TROUPE_ASSIGN_OR_RETURN(std::vector<store::Message> existing, s.store.messages().Latest(conversation_id, 1));
    if (!existing.empty()) return false;
    TROUPE_RETURN_IF_ERROR(s.AdvanceFlow(*scene, {}, 0).status());
    if (greeting > static_cast<int>(scene->character.alternate_greetings.size())) {
      return Status(StatusCode::kInvalidArgument,
                    "greeting " + std::to_string(greeting) + " does not exist: the card has " +
                        std::to_string(scene->character.alternate_greetings.size()) + " alternate greetings",
                    "greeting");
    }
    return true;
  };
  Result<bool> needed = prepare();
  if (!needed.ok()) return job->finish(needed.status());
  if (!*needed) {
    Emit(job->sink, DoneEvent{{}, scene->conversation, false});
    return job->finish(TurnOutcome{{}, scene->conversation, {}, false});
  }
  const store::Character& character = scene->character;
  const std::string& written = greeting == 0 ? character.first_mes : character.alternate_greetings[greeting - 1];
  const Stage* stage = s.StageOf(*scene);
  if (!TrimSpace(written).empty()) {
    Plan plan;
    plan.metadata["greeting"] = greeting;
    const std::string text = ExpandMacros(written, {character.name, scene->user_name});
    Emit(job->sink, StartOf(*scene, 0));
    Emit(job->sink, DeltaEvent{0, text});
    Result<store::Message> stored = StorePart(s, *scene, plan, text, 0, false, s.clock.NowMillis(), job->sink);
    if (!stored.ok()) return job->finish(stored.status());
    return EndTurn(s, scene, *job, TurnOutcome{{*stored}, {}, {}, false});
  }
  if (stage == nullptr || !stage->opens_conversation) return EndTurn(s, scene, *job, TurnOutcome{});
  Plan plan;
  plan.metadata["opening"] = true;
  plan.closing_instruction = "Open the conversation: write {{char}}'s first message to {{user}}, who has just arrived.";
  GenerateReply(s, scene, std::move(plan), job->options, job->sink, job->control,
                [&s, scene, job](Result<Generated> generated) {
                  if (!generated.ok()) return job->finish(generated.status());
                  EndTurn(s, scene, *job,
                          TurnOutcome{std::move(generated->messages), {}, generated->usage, generated->incomplete});
                });
}

// A turn cancelled before it ran: nothing generated, the conversation as it stands.
void SkipTurn(TurnContext& s, int64_t conversation_id, internal::TurnJob& job) {
  if (job.posted) Account(s, *job.posted);  // the message was stored: it counts even unanswered
  Result<store::Conversation> conversation = s.store.conversations().Get(conversation_id);
  if (!conversation.ok()) return job.finish(conversation.status());
  Emit(job.sink, DoneEvent{{}, *conversation, true});
  job.finish(TurnOutcome{{}, *conversation, {}, true});
}

// Waits on the calling thread for a turn started by `start`.
template <typename Start>
Result<TurnOutcome> Wait(Start start) {
  auto finished = std::make_shared<std::promise<Result<TurnOutcome>>>();
  std::future<Result<TurnOutcome>> outcome = finished->get_future();
  Result<std::shared_ptr<TurnHandle>> started =
      start([finished](Result<TurnOutcome> result) { finished->set_value(std::move(result)); });
  if (!started.ok()) return started.status();
  return outcome.get();
}

}  // namespace

namespace {

// A turn past admission, not yet queued.
struct Admitted {
  TurnQueue::Ticket ticket;
  std::shared_ptr<internal::TurnJob> job;
  std::shared_ptr<const Scene> scene;  // as admitted; the turn refreshes what may have changed
};

// `loaded`: the conversation's scene as LoadScene read it, or why it could not (passed on).
Result<Admitted> Admit(TurnContext& s, Result<Scene> loaded, TurnOptions options, TurnSink sink, TurnDone done) {
  TROUPE_ASSIGN_OR_RETURN(Scene scene, std::move(loaded));
  const int64_t conversation_id = scene.conversation.id;
  TROUPE_RETURN_IF_ERROR(TurnContext::RequireActive(scene.conversation));
  // The provider the turn will most likely use, for its limit (the flow may still move stage).
  std::string provider;
  if (const Stage* stage = s.StageOf(scene)) {
    TROUPE_ASSIGN_OR_RETURN(llm::Provider * chosen, s.ProviderFor(scene, *stage, options));
    provider = chosen->info().name;
  }
  TROUPE_ASSIGN_OR_RETURN(TurnQueue::Ticket ticket,
                          s.turns.Admit(TurnKey{conversation_id, scene.conversation.user_id, provider}));
  auto job = std::make_shared<internal::TurnJob>();
  job->control = std::make_shared<internal::TurnControl>(
      s.clock, [&s](std::function<void()> task) { s.Post(std::move(task)); }, options.cancel);
  job->options = std::move(options);
  job->sink = std::move(sink);
  job->finish = [done = std::move(done)](Result<TurnOutcome> outcome) { done(std::move(outcome)); };
  return Admitted{std::move(ticket), std::move(job), std::make_shared<const Scene>(std::move(scene))};
}

using TurnBody = std::function<void(const std::shared_ptr<internal::TurnJob>&)>;

// Queues an admitted turn: `body` runs when its time comes, unless the turn was cancelled meanwhile.
void Queue(TurnContext& s, Admitted admitted, TurnBody body) {
  std::shared_ptr<internal::TurnJob> job = std::move(admitted.job);
  const int64_t conversation_id = admitted.scene->conversation.id;
  s.Track(job->control);
  s.turns.Run(std::move(admitted.ticket), [&s, job, conversation_id,
                                           body = std::move(body)](TurnQueue::Finished finished) {
    // The queue's place is given back before the caller hears of the end (the "done" event, or the
    // outcome), so a client that sends its next message on "done" is never refused for this turn.
    job->sink = [sink = std::move(job->sink), finished](const TurnEvent& event) {
      if (std::holds_alternative<DoneEvent>(event)) finished();
      if (sink) sink(event);
    };
    job->finish = [&s, control = job->control, finish = std::move(job->finish),
                   finished = std::move(finished)](Result<TurnOutcome> outcome) {
      s.Untrack(control.get());
      finished();  // once: a no-op after a "done" event
      finish(std::move(outcome));
    };
    if (job->control->cancelled()) return SkipTurn(s, conversation_id, *job);
    body(job);
  });
}

TurnBody BodyOf(TurnContext& s, const TurnRequest& request, std::shared_ptr<const Scene> admitted) {
  switch (request.kind) {
    case TurnRequest::Kind::kOpen:
      return [&s, request](const std::shared_ptr<internal::TurnJob>& job) {
        OpenTurn(s, request.conversation_id, request.greeting, job);
      };
    case TurnRequest::Kind::kRegenerate:
      return [&s, request](const std::shared_ptr<internal::TurnJob>& job) {
        internal::Regenerate(s, request.conversation_id, request.message_id, job);
      };
    case TurnRequest::Kind::kReply:
      break;
  }
  return [&s, admitted = std::move(admitted)](const std::shared_ptr<internal::TurnJob>& job) {
    ReplyTurn(s, *admitted, job);
  };
}

}  // namespace

Result<std::shared_ptr<TurnHandle>> ChatRuntime::StartTurn(const TurnRequest& request, TurnOptions options,
                                                           TurnSink sink, TurnDone done) {
  TurnContext& s = *context_;
  Result<Scene> scene = s.LoadScene(request.conversation_id, options);
  TROUPE_ASSIGN_OR_RETURN(Admitted admitted,
                          Admit(s, std::move(scene), std::move(options), std::move(sink), std::move(done)));
  std::shared_ptr<TurnHandle> handle = admitted.job->control;
  TurnBody body = BodyOf(s, request, admitted.scene);
  Queue(s, std::move(admitted), std::move(body));
  return handle;
}

Result<PostedMessage> ChatRuntime::PostMessage(int64_t conversation_id, std::string text, TurnOptions options,
                                               TurnSink sink, TurnDone done) {
  if (TrimSpace(text).empty()) return Status(StatusCode::kInvalidArgument, "the message is empty", "content");
  TROUPE_ASSIGN_OR_RETURN(store::Conversation conversation, context_->store.conversations().Get(conversation_id));
  return PostMessage(std::move(conversation), std::move(text), std::move(options), std::move(sink), std::move(done));
}

Result<PostedMessage> ChatRuntime::PostMessage(store::Conversation conversation, std::string text,
                                               TurnOptions options, TurnSink sink, TurnDone done) {
  std::promise<Result<PostedMessage>> promise;
  std::future<Result<PostedMessage>> future = promise.get_future();
  PostMessage(std::move(conversation), std::move(text), std::move(options), std::move(sink), std::move(done),
              [&promise](Result<PostedMessage> posted) { promise.set_value(std::move(posted)); });
  return future.get();
}

namespace {

// A user's message on its way to the store, with the reply admitted after it.
struct PendingPost {
  Admitted admitted;
  std::optional<intents::RoutingDecision> routing;
  ChatRuntime::Posted posted;
};

// The message is stored: the stream's first event, then the reply behind the conversation's
// earlier turns.
PostedMessage QueueReply(TurnContext& s, PendingPost& pending, store::Message stored) {
  Admitted& admitted = pending.admitted;
  Emit(admitted.job->sink, UserMessageEvent{stored});
  PostedMessage posted{stored, admitted.job->control};
  admitted.job->posted = std::move(stored);
  const int64_t conversation_id = admitted.scene->conversation.id;
  TurnBody body = BodyOf(s, TurnRequest{TurnRequest::Kind::kReply, conversation_id, 0, 0}, admitted.scene);
  if (pending.routing && pending.routing->level == intents::RoutingLevel::kLlm) {
    // The LLM decides the intent first, when the turn's time comes, so the reply can follow it.
    body = [&s, scene = admitted.scene, first = std::move(*pending.routing),
            reply = std::move(body)](const std::shared_ptr<internal::TurnJob>& job) {
      internal::RouteWithLlm(s, scene, job, first, [reply, job] { reply(job); });
    };
  }
  Queue(s, std::move(admitted), std::move(body));
  return posted;
}

}  // namespace

void ChatRuntime::PostMessage(store::Conversation conversation, std::string text, TurnOptions options,
                              TurnSink sink, TurnDone done, Posted posted) {
  TurnContext& s = *context_;
  if (TrimSpace(text).empty()) return posted(Status(StatusCode::kInvalidArgument, "the message is empty", "content"));
  if (conversation.status == store::ConversationStatus::kHandedOff) {
    return posted(PostToAgent(s, conversation, std::move(text), sink, done));
  }
  Result<Scene> scene = s.LoadScene(std::move(conversation), options);
  Result<Admitted> admitted = Admit(s, std::move(scene), std::move(options), std::move(sink), std::move(done));
  if (!admitted.ok()) return posted(admitted.status());
  auto pending = std::make_shared<PendingPost>(PendingPost{std::move(*admitted), std::nullopt, std::move(posted)});
  store::Message message = UserMessageOf(*pending->admitted.scene, std::move(text), &pending->routing);
  // Stored with whatever other messages arrive meanwhile; the turn's place is held until then, and
  // given back with `pending` when the message could not be stored.
  s.intake.Submit(std::move(message), [&s, pending](Result<store::Message> stored) {
    if (!stored.ok()) return pending->posted(stored.status());
    pending->posted(QueueReply(s, *pending, std::move(stored).value()));
  });
}

Result<store::Message> ChatRuntime::AddUserMessage(int64_t conversation_id, std::string text) {
  TurnContext& s = *context_;
  if (TrimSpace(text).empty()) return Status(StatusCode::kInvalidArgument, "the message is empty", "content");
  TROUPE_ASSIGN_OR_RETURN(store::Conversation conversation, s.store.conversations().Get(conversation_id));
  TROUPE_RETURN_IF_ERROR(TurnContext::RequireActive(conversation));
  Scene scene;
  scene.conversation = std::move(conversation);
  // The message is stored whatever the character's state: a flow or catalog that no longer loads
  // fails the reply (which says why), never the message. Without its parts it is not routed.
  Result<store::Character> character = s.store.characters().Get(scene.conversation.character_id);
  if (character.ok()) {
    Result<internal::CharacterParts> parts = s.PartsOf(*character);
    if (parts.ok()) scene.parts = std::move(parts).value();
  }
  TROUPE_ASSIGN_OR_RETURN(store::Message stored, s.store.messages().AppendAfterLatest(UserMessageOf(scene, std::move(text))));
  TROUPE_ASSIGN_OR_RETURN(std::unique_ptr<TurnQueue::Exclusive> turn, s.turns.Acquire(conversation_id));
  Account(s, stored);
  return stored;
}

Result<TurnOutcome> ChatRuntime::Reply(int64_t conversation_id, const TurnOptions& options, const TurnSink& sink) {
  return Wait([&](TurnDone done) {
    return StartTurn(TurnRequest{TurnRequest::Kind::kReply, conversation_id, 0, 0}, options, sink, std::move(done));
  });
}

Result<TurnOutcome> ChatRuntime::Open(int64_t conversation_id, int greeting, const TurnOptions& options,
                                      const TurnSink& sink) {
  return Wait([&](TurnDone done) {
    return StartTurn(TurnRequest{TurnRequest::Kind::kOpen, conversation_id, greeting, 0}, options, sink,
                     std::move(done));
  });
}

Result<TurnOutcome> ChatRuntime::Regenerate(int64_t conversation_id, int64_t message_id, const TurnOptions& options,
                                            const TurnSink& sink) {
  return Wait([&](TurnDone done) {
    return StartTurn(TurnRequest{TurnRequest::Kind::kRegenerate, conversation_id, 0, message_id}, options, sink,
                     std::move(done));
  });
}

void ChatRuntime::Shutdown() {
  TurnContext& s = *context_;
  s.turns.Close();
  // Messages handed to the store are stored and their replies queued, so the cancel below reaches
  // them: the messages stay, their replies end at once.
  s.intake.Close();
  s.CancelAll();
  // Every turn ends promptly once cancelled (providers stop, pauses are cut); the bound only
  // keeps a provider that ignores cancellation from holding shutdown forever.
  if (!s.turns.WaitIdle(60'000)) spdlog::error("chat runtime: turns still running after 60 s; stopping anyway");
  if (s.media_workers) s.media_workers->Stop(TaskPool::StopMode::kDrain);
  s.workers.Stop(TaskPool::StopMode::kDrain);
}

Result<std::shared_ptr<void>> ChatRuntime::AdmitCall(int64_t user_id, std::string provider) {
  TROUPE_ASSIGN_OR_RETURN(TurnQueue::Ticket ticket, context_->turns.Admit(TurnKey{0, user_id, std::move(provider)}));
  return std::shared_ptr<void>(std::make_shared<TurnQueue::Ticket>(std::move(ticket)));
}

int ChatRuntime::turns_in_flight() const { return context_->turns.admitted(); }

const TurnLimits& ChatRuntime::limits() const { return context_->turns.limits(); }

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

}  // namespace troupe::chat
