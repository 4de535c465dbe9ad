// The turn pipeline: what happens between a user's message and the character's reply, and the
// character's other ways of speaking (the opening message, a regenerated reply, a message written
// first after a break). See "Life of a chat message" in docs/architecture.md.
//
//   store the user's message (durable before anything else) -> the flow advances (message count,
//   affinity, sentiment trend, idle time) and picks the mood -> the prompt is assembled (card,
//   stage, mood, pinned memories, the rolling summary, recalled messages, lorebook hits, examples,
//   history, trimmed by tokens) -> the stage's provider streams the reply -> it is split into
//   messages like a person's, each streamed as its own events with a typing pause -> each is
//   stored as it completes -> conversation state is written -> a summary job is enqueued when
//   enough older messages wait to be folded.
//
// A provider that fails mid-reply leaves the part already streamed stored and marked incomplete,
// and the caller gets an "error" event and the error; the conversation stays consistent (the
// user's message and every completed part are stored).
//
// Voice and pictures (chat/reply_media.h): after the reply's parts are stored, each part the
// stage's draw picks is spoken or gets a picture, on the media threads; the file is written, the
// message's metadata lists it, and a MediaEvent reports it before DoneEvent. A medium that fails
// leaves the reply as it is, its metadata saying why.
//
// Threads: a turn holds no thread while it waits. StartTurn and PostMessage admit a turn, queue it
// behind its conversation's earlier turns (turn_queue.h) and return; its steps (store reads and
// writes, prompt assembly) run on the runtime's few workers, the provider streams on its own
// threads, and typing pauses are the clock's timers. Events reach the sink from those threads, in
// order. Reply, Open and Regenerate are the blocking forms for callers that own their thread (the
// CLI, tests). Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "chat/memory.h"
#include "chat/outcome_prediction.h"
#include "chat/reply_media.h"
#include "chat/turn_events.h"
#include "chat/turn_queue.h"
#include "llm/provider.h"
#include "store/store.h"

namespace troupe::chat {

namespace tools {
class ToolRunner;  // chat/tools/tool_runner.h
}

namespace internal {
struct TurnContext;  // chat/turn_context.h
}

// Resolves a provider by configured name; "" means the default provider.
using ProviderResolver = std::function<Result<llm::Provider*>(std::string_view name)>;

struct RuntimeOptions {
  const Clock* clock = nullptr;  // nullptr: the system clock
  int history_window = 80;       // most recent messages read for a prompt
  int64_t reply_tokens = 400;    // kept free for the reply when no stage says otherwise
  int lorebook_token_budget = 512;  // when the book states none
  // Proactive messages: conversations idle at least this long are examined by the scan.
  int64_t proactive_min_idle_ms = 15 * 60 * 1000;
  int proactive_scan_limit = 200;
  // Long-term memory (see memory.h): when rolling summaries are written, which provider writes
  // them ("" = the conversation's own), and how many earlier messages and facts a turn recalls.
  SummaryPolicy summary;
  std::string summary_provider;
  int recall_limit = 4;
  // Called after anything the runtime stores (replies, greetings, proactive messages), and again
  // with the message when a reply's voice or picture is attached, so the server can tell open
  // event streams; and after it enqueues a job. May be empty.
  std::function<void(const store::Conversation&, const store::Message&)> on_message_stored;
  std::function<void()> on_job_enqueued;
  // Called when a reply hands its conversation to a human on its own (chat/handoff.h), with the
  // conversation as stored. May be empty.
  std::function<void(const store::Conversation&)> on_conversation_changed;
  // A conversation handed off on its own goes to the least busy available agent whose presence
  // was renewed within this long (config support.presence_timeout); none: it waits in the queue.
  int64_t agent_presence_timeout_ms = 90'000;
  // Threads for turn steps; they never wait on a model or a pause, so a few serve many turns.
  int worker_threads = 4;
  TurnLimits limits;
  // Tools a character defines (extensions.troupe.tools) run through this runner; null: tools are
  // never offered. A reply makes at most max_tool_steps rounds of calls, then must answer.
  std::shared_ptr<tools::ToolRunner> tool_runner;
  int max_tool_steps = 4;
  // Predicts whether a conversation will need a person, while its history is short enough to be
  // whole (chat/outcome_prediction.h); null: no predictions.
  std::shared_ptr<OutcomePredictor> outcome_predictor;
  // Where standalone intent catalogs live (intents/standalone_catalog.h), <data_dir>/intents;
  // empty: only catalogs inside cards.
  std::filesystem::path intent_catalogs_dir;
  // Voice messages and pictures in replies (chat/reply_media.h): a stage's `voice` and `pictures`
  // make them through `reply_media`, on `media_threads` threads of their own (synthesis and image
  // APIs block), and keep the files under `media_dir` (<data_dir>/media). Null or no directory:
  // stages' voice and pictures are ignored, with no error.
  std::shared_ptr<ReplyMedia> reply_media;
  std::filesystem::path media_dir;
  int media_threads = 2;
  // A reply to a message that matches a response template of the character's intent catalog says
  // the template, its facts kept (chat/template_reply.h); false: every reply is the model's own.
  bool response_templates = true;
};

struct TurnOptions {
  bool typing_delays = true;  // pause before each message after the first, like a person typing
  bool split_messages = true;  // false: one message per reply whatever the stage says
  std::string user_name;       // "" = the end user's display name, else "User"
  std::optional<llm::Sampling> sampling;  // overrides the stage's settings
  std::string provider;                   // overrides the stage's and character's provider
  // Set by another thread to stop the turn (the blocking forms; StartTurn returns a handle too).
  const std::atomic<bool>* cancel = nullptr;
};

// What StartTurn is asked to do.
struct TurnRequest {
  enum class Kind { kReply, kOpen, kRegenerate };
  Kind kind = Kind::kReply;
  int64_t conversation_id = 0;
  int greeting = 0;        // kOpen: the card's first_mes (0) or alternate greeting 1..n
  int64_t message_id = 0;  // kRegenerate: any message of the latest reply
};

// A turn admitted and queued or running. Cancel stops it: a queued turn ends without running, a
// running one stops its provider, skips its typing pauses and stores what was written, marked
// incomplete; either way DoneEvent and the done callback still come. Thread-safe.
class TurnHandle {
 public:
  virtual ~TurnHandle() = default;
  virtual void Cancel() = 0;
};

struct TurnOutcome {
  std::vector<store::Message> messages;  // the messages this turn stored, in order
  store::Conversation conversation;      // its state after the turn
  llm::Usage usage;
  bool incomplete = false;
};

// Job kinds the runtime enqueues; the server's job runner dispatches them back to it (with
// kSummarizeJob from memory.h).
inline constexpr std::string_view kProactiveJob = "chat.proactive";

// Called once when a turn is over: its outcome, or the error it ended with (reported before as an
// ErrorEvent when the turn had started generating).
using TurnDone = std::function<void(Result<TurnOutcome>)>;

// A response template rendered for an agent to edit and send (ChatRuntime::RenderTemplate).
struct RenderedTemplate {
  std::string text;                          // unfilled slots stay "{slot}"
  std::map<std::string, std::string> values;  // what filled the slots
  std::vector<std::string> unfilled;          // in the template's order
};

// A user's message, stored, and the reply queued after it.
struct PostedMessage {
  store::Message message;
  std::shared_ptr<TurnHandle> turn;
};

class ChatRuntime {
 public:
  ChatRuntime(store::Store& store, ProviderResolver providers, RuntimeOptions options = {});
  ~ChatRuntime();  // Shutdown()s
  ChatRuntime(const ChatRuntime&) = delete;
  ChatRuntime& operator=(const ChatRuntime&) = delete;

  // The asynchronous form of Reply, Open and Regenerate: admits the turn against the limits
  // (kResourceExhausted naming the one reached; kUnavailable while shutting down; kNotFound for an
  // unknown conversation) and queues it. `sink` and `done` run on the runtime's threads.
  Result<std::shared_ptr<TurnHandle>> StartTurn(const TurnRequest& request, TurnOptions options, TurnSink sink,
                                                TurnDone done);
  // Admits the reply, stores the user's message at once whatever the conversation is doing, and
  // queues the reply behind the conversation's earlier turns (the message moves the conversation's
  // state, affinity and proactive backoff, in that same order). Nothing is stored when the turn is
  // refused. Messages sent in a burst get one reply: a reply whose turn comes when a later message
  // already waits ends at once, with no messages, and the later message's reply answers both.
  // While the conversation is handed off the message is for the human agent: it is stored
  // (metadata.to_agent), the sink gets its UserMessageEvent, a HandoffEvent and a DoneEvent at
  // once, and no reply is written; a closed conversation still refuses (kFailedPrecondition).
  Result<PostedMessage> PostMessage(int64_t conversation_id, std::string text, TurnOptions options, TurnSink sink,
                                    TurnDone done);
  // The same, for a conversation the caller has just read (to check who may see it), which the
  // runtime then need not read again before the message is stored.
  Result<PostedMessage> PostMessage(store::Conversation conversation, std::string text, TurnOptions options,
                                    TurnSink sink, TurnDone done);
  // The same without waiting for the store: `posted` runs once, with the stored message and its
  // queued reply, or with why the message was refused or not stored (then nothing was stored and
  // `done` never runs). It runs on the calling thread when the message is refused before it is
  // stored, else on the thread that stores messages, many at once (message_intake.h), where it
  // must not block.
  using Posted = std::function<void(Result<PostedMessage>)>;
  void PostMessage(store::Conversation conversation, std::string text, TurnOptions options, TurnSink sink,
                   TurnDone done, Posted posted);

  // Admits a call that is no conversation's turn (a /v1 completion) against this node's, the
  // user's (0: none) and the provider's limits; its place is held until the token goes.
  Result<std::shared_ptr<void>> AdmitCall(int64_t user_id, std::string provider);

  // Stops taking turns, cancels those running or queued (each stores what it wrote, marked
  // incomplete, and reports done), waits for them and stops the workers. Idempotent.
  void Shutdown();
  // Turns admitted (running or queued).
  int turns_in_flight() const;
  const TurnLimits& limits() const;

  // Writes the character's opening message when the conversation has none: the card's first_mes
  // (or alternate greeting `greeting` 1..n), or, when the card has none and the start stage opens
  // conversations, one generated by the model. Returns an empty outcome if messages exist.
  Result<TurnOutcome> Open(int64_t conversation_id, int greeting, const TurnOptions& options,
                           const TurnSink& sink);

  // Stores a user's message durably (kFailedPrecondition for a closed or handed-off
  // conversation; kInvalidArgument for empty text) and moves the conversation's state, in turn
  // with its other turns; blocks until both are done.
  Result<store::Message> AddUserMessage(int64_t conversation_id, std::string text);

  // The character's reply to the conversation's latest message.
  Result<TurnOutcome> Reply(int64_t conversation_id, const TurnOptions& options, const TurnSink& sink);

  // A new alternative for the latest reply (`message_id` is any of its messages). The reply's
  // messages collapse into its first, whose metadata keeps every alternative:
  // {"swipes": [text, ...], "swipe": index}. Only the latest reply can be regenerated.
  Result<TurnOutcome> Regenerate(int64_t conversation_id, int64_t message_id, const TurnOptions& options,
                                 const TurnSink& sink);
  // Shows alternative `index` of a regenerated message.
  Result<store::Message> SelectSwipe(int64_t message_id, int index);
  // Replaces a message's text (the current alternative's, for a regenerated one).
  Result<store::Message> EditMessage(int64_t message_id, std::string content);

  // Proactive messages. The scan enqueues a job for each active conversation whose stage's break
  // has passed (quiet hours, daily cap and backoff respected); the job writes the message after
  // checking again, so a user who came back meanwhile gets nothing.
  Result<int> ScanProactive();
  Result<std::optional<TurnOutcome>> WriteProactive(int64_t conversation_id);

  // Folds the conversation's older messages into a new rolling summary when enough are waiting
  // (the job a turn enqueues). Returns the stored summary, or nullopt when there was too little.
  Result<std::optional<store::Memory>> Summarize(int64_t conversation_id, const std::function<bool(double)>& progress);

  // Template `name` of `intent` in the conversation's character's catalog, rendered with what
  // Troupe knows of the conversation: the customer's profile, the tool results its latest reply
  // kept ("tool_values"), and the character's model for the rest (blocking; a model that fails
  // leaves those slots unfilled). kNotFound for an unknown conversation, intent or template (a
  // character without a catalog has none).
  Result<RenderedTemplate> RenderTemplate(int64_t conversation_id, std::string_view intent, std::string_view name);

  // A voice or a picture made as a reply's would be, for no message: the studio's previews (a
  // greeting in the character's voice, a picture from its image prompt). It runs on the media
  // threads and `done` is called there, once; or at once with kUnavailable when no ReplyMedia is
  // configured or the runtime is stopping. Nothing is stored. A picture's request must not point
  // at a character: `character` is the sender it is drawn of, kept alive for the call.
  using MediaDone = std::function<void(Result<MediaContent>)>;
  void PreviewVoice(VoiceRequest request, MediaDone done);
  void PreviewPicture(PictureRequest request, store::Character character, MediaDone done);

  // The job handler for kProactiveJob and kSummarizeJob: the payload names conversation_id. A
  // conversation that no longer exists (deleted with its user) is done: {"written": false,
  // "conversation_deleted": true}, not a failure to retry.
  Result<nlohmann::json> RunJob(const store::Job& job, const std::function<bool(double)>& progress);

 private:
  std::unique_ptr<internal::TurnContext> context_;
};

}  // namespace troupe::chat
