// The domain records Troupe persists. Plain values: no behaviour, no database types.
// Times are milliseconds since the Unix epoch (UTC). Fields named *_json hold a JSON document as
// text; the store checks that it parses and keeps it as given (PostgreSQL may normalise spacing
// and key order, never content).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::store {

// An end user of a chat service. `external_id` is the operator's own id for the user.
struct User {
  int64_t id = 0;
  std::string external_id;
  std::string display_name;
  std::string segment;  // customer segment for personalised engagement ("" = none)
  std::string metadata_json = "{}";
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// An API key. Only the hash of the secret is stored; `prefix` is the public, non-secret part
// used to find the row and to name the key in logs.
struct ApiKey {
  int64_t id = 0;
  std::string name;
  std::string prefix;
  std::string secret_hash;  // hex SHA-256 of the whole key
  std::vector<std::string> scopes;
  std::optional<int64_t> user_id;  // keys acting for one end user
  int64_t created_at = 0;
  std::optional<int64_t> last_used_at;
  std::optional<int64_t> revoked_at;
};

// A character: every Character Card V2 field, the V3 additions, and Troupe's own.
struct Character {
  int64_t id = 0;
  std::string slug;  // unique, URL-safe; also the model id on /v1/chat/completions

  // Character Card V2 `data` fields.
  std::string name;
  std::string description;
  std::string personality;
  std::string scenario;
  std::string first_mes;
  std::string mes_example;
  std::string creator_notes;
  std::string system_prompt;
  std::string post_history_instructions;
  std::vector<std::string> alternate_greetings;
  std::string character_book_json;  // "" when the card has no lorebook
  std::vector<std::string> tags;
  std::string creator;
  std::string character_version;
  std::string extensions_json = "{}";  // unknown keys kept intact

  // Character Card V3 additions.
  std::string nickname;
  std::string creator_notes_multilingual_json;  // "" or a JSON object
  std::vector<std::string> source;
  std::vector<std::string> group_only_greetings;
  std::string assets_json;  // "" or a JSON array
  std::optional<int64_t> creation_date;      // as the card states it, seconds since the epoch
  std::optional<int64_t> modification_date;  // likewise

  // Troupe's own.
  std::string flow;    // the conversation flow document (YAML), "" = the default flow
  std::string avatar;  // path under the data directory or URL, "" = none
  bool published = false;
  int64_t version = 1;  // incremented by every update; updates name the version they change
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

enum class ConversationStatus { kActive, kHandedOff, kClosed };
std::string_view ToString(ConversationStatus status);
std::optional<ConversationStatus> ParseConversationStatus(std::string_view text);

struct Conversation {
  int64_t id = 0;
  int64_t user_id = 0;
  int64_t character_id = 0;
  std::string title;
  std::string stage;  // current flow stage ("" before the flow first runs)
  std::string mood;
  double affinity = 0.0;
  ConversationStatus status = ConversationStatus::kActive;
  int64_t message_count = 0;
  int64_t last_activity_at = 0;
  std::string metadata_json = "{}";
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

enum class MessageRole { kSystem, kUser, kAssistant, kTool, kAgent };  // kAgent: a human agent
std::string_view ToString(MessageRole role);
std::optional<MessageRole> ParseMessageRole(std::string_view text);

struct Message {
  int64_t id = 0;
  int64_t conversation_id = 0;
  std::optional<int64_t> parent_id;  // the message this one answers or branches from
  MessageRole role = MessageRole::kUser;
  std::string content;
  std::string stage;  // flow stage when written
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t latency_ms = 0;
  std::optional<double> sentiment;  // -1..1, set by analytics
  std::optional<int> rating;        // -1, 0 or +1, set by feedback
  bool incomplete = false;          // a reply cut before it finished
  std::string metadata_json = "{}";
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// What the character keeps in mind about one conversation beyond the recent messages it sees:
// pinned notes (written by the end user or an operator), rolling summaries of older history and
// facts (both written by the model in background jobs).
enum class MemoryKind { kPinned, kSummary, kFact };
std::string_view ToString(MemoryKind kind);
std::optional<MemoryKind> ParseMemoryKind(std::string_view text);

struct Memory {
  int64_t id = 0;
  int64_t conversation_id = 0;
  MemoryKind kind = MemoryKind::kPinned;
  std::string content;
  // Summaries and facts: the last message of the conversation they were drawn from (a summary
  // covers every message up to and including it). Always empty for pinned memories.
  std::optional<int64_t> covers_until_message_id;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// Something an end user or operator said about a conversation or one message.
struct FeedbackEvent {
  int64_t id = 0;
  int64_t conversation_id = 0;
  std::optional<int64_t> message_id;
  std::optional<int64_t> user_id;
  std::string kind;  // "rating", "csat" (after the conversation), "comment", "report", ...
  std::optional<int> rating;  // -1, 0 or +1 when kind is "rating"; 1..5 when kind is "csat"
  std::string comment;
  // The comment's tone, -1..1 (base/sentiment_lexicon.h), set by FeedbackRepository::Record when
  // the comment is not empty; empty for events without text and for those recorded before scoring
  // existed (migration 12).
  std::optional<double> sentiment;
  int64_t created_at = 0;
};

// One tool call a turn made (or refused, or is waiting on the user's confirmation): what the agent
// console and the KPIs show. Arguments are stored with secrets and personal data masked.
struct ToolCallRecord {
  int64_t id = 0;
  int64_t conversation_id = 0;
  std::optional<int64_t> message_id;  // the user's message the turn answered
  std::string call_id;                // the model's id for the call ("call_...")
  std::string tool;
  std::string intent;                 // the routed intent ("" when none)
  std::string arguments_json = "{}";  // masked
  std::string method;                 // "" when refused before a request was made
  std::string url;
  int http_status = 0;                // 0: no answer
  std::string outcome;                // "ok", a status code's name ("invalid_argument", ...), "declined",
                                      // "awaiting_confirmation"
  std::string error;
  double latency_ms = 0;
  int attempts = 0;
  int64_t created_at = 0;
};

enum class JobStatus { kQueued, kRunning, kSucceeded, kFailed, kCancelled };
std::string_view ToString(JobStatus status);
std::optional<JobStatus> ParseJobStatus(std::string_view text);

struct Job {
  int64_t id = 0;
  std::string kind;
  std::string payload_json = "{}";
  JobStatus status = JobStatus::kQueued;
  double progress = 0.0;  // 0..1
  int attempts = 0;
  int max_attempts = 3;
  int priority = 0;  // higher runs first
  std::string result_json;  // "" until the job succeeds
  std::string error;        // last failure
  int64_t run_after = 0;    // not claimed before this time
  std::string locked_by;    // worker holding it while running
  int64_t heartbeat_at = 0;
  bool cancel_requested = false;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  std::optional<int64_t> finished_at;
  std::string checkpoint_json;  // what an earlier attempt saved to resume from; "" = none
};

// One administrative action, for accountability.
struct AuditEntry {
  int64_t id = 0;
  std::string actor;  // "key:<prefix>", "cli", "system"
  std::string action; // "character.create", "key.revoke", ...
  std::string target_type;
  std::string target_id;
  std::string details_json = "{}";
  int64_t created_at = 0;
};

}  // namespace troupe::store
