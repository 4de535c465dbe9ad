// The turn pipeline: what happens between a user's message and the character's reply, and the
// character's other ways of speaking (the opening message, a regenerated reply, a message written
// first after a break). See "Life of a chat message" in docs/architecture.md.
//
//   store the user's message (durable before anything else) -> the flow advances (message count,
//   affinity, sentiment trend, idle time) and picks the mood -> the prompt is assembled (card,
//   stage, mood, summary, pinned memories, lorebook hits, recalled messages, examples, history,
//   trimmed by tokens) -> the stage's provider streams the reply -> it is split into messages
//   like a person's, each streamed as its own events with a typing pause -> each is stored as it
//   completes -> conversation state is written -> a summary job is enqueued when the history has
//   grown past the threshold.
//
// A provider that fails mid-reply leaves the part already streamed stored and marked incomplete,
// and the caller gets an "error" event and the error; the conversation stays consistent (the
// user's message and every completed part are stored).
//
// Threads: every call blocks while the model generates; run them on workers, never on an I/O
// thread. Thread-safe; turns of one conversation are serialised.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "llm/provider.h"
#include "store/store.h"

namespace troupe::chat {

// One event of a streamed turn. Types, in the order they come:
//   "typing"        {"message_index", "delay_ms"}: the next message is being written
//   "message.start" {"message_index", "role", "stage", "mood"}
//   "delta"         {"message_index", "text"}
//   "message.end"   {"message_index", "message": the stored message}
//   "error"         {"code", "message", "partial_message_id"?}
//   "done"          {"usage": {prompt_tokens, completion_tokens}, "conversation": ..., "incomplete"}
struct TurnEvent {
  std::string type;
  nlohmann::json data;
};
using TurnSink = std::function<void(const TurnEvent&)>;

// Resolves a provider by configured name; "" means the default provider.
using ProviderResolver = std::function<Result<llm::Provider*>(std::string_view name)>;

struct RuntimeOptions {
  const Clock* clock = nullptr;  // nullptr: the system clock
  int history_window = 80;       // most recent messages read for a prompt
  int64_t reply_tokens = 400;    // kept free for the reply when no stage says otherwise
  int lorebook_token_budget = 512;  // when the book states none
  int recall_results = 3;           // earlier messages recalled by full-text search
  // A summary job is enqueued when this many messages are not yet covered by the summary; the
  // newest `summary_keep_recent` messages are never summarised (they go into prompts verbatim).
  int summary_after_messages = 40;
  int summary_keep_recent = 12;
  // Proactive messages: conversations idle at least this long are examined by the scan.
  int64_t proactive_min_idle_ms = 15 * 60 * 1000;
  int proactive_scan_limit = 200;
  // Called after anything the runtime stores (replies, greetings, proactive messages), so the
  // server can tell open event streams; and after it enqueues a job. May be empty.
  std::function<void(const store::Conversation&, const store::Message&)> on_message_stored;
  std::function<void()> on_job_enqueued;
};

struct TurnOptions {
  bool typing_delays = true;  // pause before each message after the first, like a person typing
  bool split_messages = true;  // false: one message per reply whatever the stage says
  std::string user_name;       // "" = the end user's display name, else "User"
  std::optional<llm::Sampling> sampling;  // overrides the stage's settings
  std::string provider;                   // overrides the stage's and character's provider
  const std::atomic<bool>* cancel = nullptr;  // set by another thread to stop the turn
};

struct TurnOutcome {
  std::vector<store::Message> messages;  // the messages this turn stored, in order
  store::Conversation conversation;      // its state after the turn
  llm::Usage usage;
  bool incomplete = false;
};

// Job kinds the runtime enqueues; the server's job runner dispatches them back to it.
inline constexpr std::string_view kSummarizeJob = "chat.summarize";
inline constexpr std::string_view kProactiveJob = "chat.proactive";

class ChatRuntime {
 public:
  ChatRuntime(store::Store& store, ProviderResolver providers, RuntimeOptions options = {});
  ~ChatRuntime();
  ChatRuntime(const ChatRuntime&) = delete;
  ChatRuntime& operator=(const ChatRuntime&) = delete;

  // Writes the character's opening message when the conversation has none: the card's first_mes
  // (or alternate greeting `greeting` 1..n), or, when the card has none and the start stage opens
  // conversations, one generated by the model. Returns an empty outcome if messages exist.
  Result<TurnOutcome> Open(int64_t conversation_id, int greeting, const TurnOptions& options,
                           const TurnSink& sink);

  // Stores a user's message durably (kFailedPrecondition for a closed or handed-off
  // conversation; kInvalidArgument for empty text). The HTTP handler calls this before it answers,
  // then runs Reply on a worker.
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

  // Memory: writes the rolling summary of the messages not yet covered (all but the newest
  // summary_keep_recent), merging the previous summary in; returns the summary memory's id, or 0
  // when there was nothing new to summarise. `progress` may be empty.
  Result<int64_t> Summarize(int64_t conversation_id, const std::function<bool(double)>& progress);

  // The job handlers for kSummarizeJob and kProactiveJob: the payload names conversation_id.
  Result<nlohmann::json> RunJob(const store::Job& job, const std::function<bool(double)>& progress);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace troupe::chat
