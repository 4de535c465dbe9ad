// Persistence for Troupe: one interface, two backends chosen by URL.
//
//   sqlite://PATH, sqlite:PATH or a plain file path  -> embedded SQLite (WAL, foreign keys on,
//                                                      busy timeout), the default
//   postgres://... or postgresql://...              -> PostgreSQL through libpq
//
// Every method is thread-safe: the store keeps a pool of connections and each call borrows one.
// Calls block the calling thread for the duration of their SQL (small, indexed statements).
// Failures come back as Status values: kUnavailable when the database cannot be reached,
// kNotFound for a missing row, kConflict for a uniqueness or version clash, kInvalidArgument for
// a record that breaks a rule (the field is named), kFailedPrecondition when the schema was
// written by a newer Troupe, kInternal otherwise. No exception leaves this module.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "store/records.h"

namespace troupe::store {

// Keyset pagination: `cursor` is the opaque `next_cursor` of the previous page ("" = first page).
struct PageRequest {
  std::string cursor;
  int limit = 50;  // clamped to 1..500
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_cursor;  // "" when there are no more items
};

class UserRepository {
 public:
  virtual ~UserRepository() = default;
  // Fills id/created_at/updated_at. kConflict if external_id is taken.
  virtual Result<User> Create(User user) = 0;
  virtual Result<User> Get(int64_t id) = 0;
  virtual Result<User> GetByExternalId(std::string_view external_id) = 0;
  virtual Result<User> Update(User user) = 0;  // by id; kNotFound if absent
  virtual Result<Page<User>> List(const PageRequest& page) = 0;
};

class ApiKeyRepository {
 public:
  virtual ~ApiKeyRepository() = default;
  // Stores a key whose secret was minted with MintApiKey. kConflict if the prefix is taken.
  virtual Result<ApiKey> Create(ApiKey key) = 0;
  virtual Result<ApiKey> Get(int64_t id) = 0;
  // The key (revoked or not) with this public prefix; kNotFound if none.
  virtual Result<ApiKey> GetByPrefix(std::string_view prefix) = 0;
  virtual Result<Page<ApiKey>> List(const PageRequest& page) = 0;
  virtual Status Revoke(int64_t id) = 0;  // idempotent; kNotFound if absent
  virtual Status TouchLastUsed(int64_t id) = 0;
  virtual Result<int64_t> CountActive() = 0;  // keys not revoked
};

struct CharacterQuery {
  std::string search;  // case-insensitive substring of name, nickname, description or tags
  std::string tag;     // exact tag
  std::optional<bool> published;
  PageRequest page;
};

class CharacterRepository {
 public:
  virtual ~CharacterRepository() = default;
  // Fills id, version (1) and times. Derives the slug from the name when empty, appending -2, -3...
  // when taken; kConflict if an explicit slug is taken. kInvalidArgument for a bad *_json field.
  virtual Result<Character> Create(Character character) = 0;
  virtual Result<Character> Get(int64_t id) = 0;
  virtual Result<Character> GetBySlug(std::string_view slug) = 0;
  // Replaces every field of character.id if its stored version equals character.version, then
  // bumps the version. kConflict when someone else updated it first, kNotFound if absent.
  virtual Result<Character> Update(Character character) = 0;
  virtual Status Delete(int64_t id) = 0;  // kConflict while conversations reference it
  virtual Result<Page<Character>> List(const CharacterQuery& query) = 0;
};

// Conversations across users (the agent console, the handoff queue). Empty filters match all.
struct ConversationQuery {
  std::optional<ConversationStatus> status;
  std::optional<int64_t> character_id;
  std::optional<int64_t> user_id;
  PageRequest page;  // newest activity first
};

class ConversationRepository {
 public:
  virtual ~ConversationRepository() = default;
  // kNotFound (field user_id or character_id) when either does not exist.
  virtual Result<Conversation> Create(Conversation conversation) = 0;
  virtual Result<Conversation> Get(int64_t id) = 0;
  // Newest activity first.
  virtual Result<Page<Conversation>> ListForUser(int64_t user_id, const PageRequest& page) = 0;
  // Every conversation matching the query, newest activity first.
  virtual Result<Page<Conversation>> List(const ConversationQuery& query) = 0;
  // Conversations of this status idle since before `idle_before`, oldest activity first.
  virtual Result<std::vector<Conversation>> ListIdle(ConversationStatus status, int64_t idle_before,
                                                     int limit) = 0;
  // Writes stage, mood, affinity, title and metadata_json of conversation.id.
  virtual Result<Conversation> UpdateState(const Conversation& conversation) = 0;
  virtual Status SetStatus(int64_t id, ConversationStatus status) = 0;
  // A new conversation of the same user and character (stage, mood and affinity carried over,
  // title + " (branch)", metadata {"branched_from": {"conversation_id", "message_id"}}) holding
  // copies of the messages up to and including `up_to_message_id`, parent links remapped, and
  // of the memories that still hold there: pinned ones, and summaries and facts drawn only from
  // the copied messages (covers_until_message_id remapped). All in one transaction.
  // kNotFound naming message_id when that message is not in the conversation.
  virtual Result<Conversation> Branch(int64_t conversation_id, int64_t up_to_message_id) = 0;
};

struct MessagePatch {
  std::optional<std::string> content;
  std::optional<double> sentiment;
  std::optional<int> rating;
  std::optional<bool> incomplete;
  std::optional<int64_t> completion_tokens;
  std::optional<std::string> metadata_json;
};

class MessageRepository {
 public:
  virtual ~MessageRepository() = default;
  // Durably appends a message and, in the same transaction, bumps the conversation's
  // message_count and last_activity_at. Returns only after the commit.
  virtual Result<Message> Append(Message message) = 0;
  virtual Result<Message> Get(int64_t id) = 0;
  // Oldest first.
  virtual Result<Page<Message>> List(int64_t conversation_id, const PageRequest& page) = 0;
  // The last `count` messages, oldest first (prompt assembly reads history this way).
  virtual Result<std::vector<Message>> Latest(int64_t conversation_id, int count) = 0;
  virtual Result<Message> Patch(int64_t id, const MessagePatch& patch) = 0;
  // Full-text search of one conversation's messages (before `before_message_id` when given), best
  // match first, at most `limit` (clamped to 500). `free_text` is untrusted: it is cut into words
  // (see search_terms.h), short and stop words dropped, and a message matching any word counts;
  // matching is by stem ("runs" finds "running"), case and accents ignored on SQLite (PostgreSQL:
  // the 'english' text search configuration). No words left, or limit <= 0: an empty result.
  virtual Result<std::vector<Message>> Search(int64_t conversation_id, std::string_view free_text, int limit,
                                              std::optional<int64_t> before_message_id = std::nullopt) = 0;
};

// A conversation's memories (see Memory in records.h). Content is 1..kMaxMemoryBytes bytes of
// text that is not only whitespace.
class MemoryRepository {
 public:
  static constexpr size_t kMaxMemoryBytes = 16 * 1024;

  virtual ~MemoryRepository() = default;
  // Fills id and times. kNotFound naming conversation_id when the conversation does not exist;
  // kInvalidArgument naming kind (not a MemoryKind), content (empty, blank or too long) or
  // covers_until_message_id (set on a pinned memory); kNotFound naming covers_until_message_id
  // when that message is not in the conversation.
  virtual Result<Memory> Create(Memory memory) = 0;
  virtual Result<Memory> Get(int64_t id) = 0;
  // Oldest first; only memories of `kind` when given.
  virtual Result<std::vector<Memory>> ListForConversation(int64_t conversation_id,
                                                          std::optional<MemoryKind> kind = std::nullopt) = 0;
  // Writes content and covers_until_message_id of memory.id (its kind and conversation stay),
  // checked as in Create. kNotFound if absent.
  virtual Result<Memory> Update(const Memory& memory) = 0;
  virtual Status Delete(int64_t id) = 0;  // kNotFound if absent
  // The newest summary of the conversation (highest covers_until_message_id, then newest);
  // kNotFound when it has none.
  virtual Result<Memory> LatestSummary(int64_t conversation_id) = 0;
  // Full-text search of the conversation's memories, as MessageRepository::Search.
  virtual Result<std::vector<Memory>> Search(int64_t conversation_id, std::string_view free_text, int limit) = 0;
};

class FeedbackRepository {
 public:
  virtual ~FeedbackRepository() = default;
  // Stores the event; a "rating" event on a message also sets that message's rating, atomically.
  virtual Result<FeedbackEvent> Record(FeedbackEvent event) = 0;
  virtual Result<Page<FeedbackEvent>> ListForConversation(int64_t conversation_id,
                                                          const PageRequest& page) = 0;
};

struct NewJob {
  std::string kind;
  std::string payload_json = "{}";
  int max_attempts = 3;
  int priority = 0;
  int64_t run_after = 0;  // 0 = now
};

struct JobQuery {
  std::optional<JobStatus> status;
  std::string kind;  // "" = any
  PageRequest page;  // newest first
};

class JobRepository {
 public:
  virtual ~JobRepository() = default;
  virtual Result<Job> Enqueue(const NewJob& job) = 0;
  virtual Result<Job> Get(int64_t id) = 0;
  virtual Result<Page<Job>> List(const JobQuery& query) = 0;
  // Atomically takes the highest-priority, oldest queued job whose run_after has passed (of one
  // of `kinds`, or any when empty), marks it running for `worker_id` and counts an attempt.
  // Never hands one job to two workers, across threads, processes or nodes (PostgreSQL uses
  // FOR UPDATE SKIP LOCKED). nullopt when nothing is ready.
  virtual Result<std::optional<Job>> Claim(std::string_view worker_id,
                                           const std::vector<std::string>& kinds) = 0;
  // Records progress (clamped to 0..1) and a heartbeat. Returns whether a cancel was requested.
  // kConflict if the job is no longer running for this worker (its lease expired).
  virtual Result<bool> ReportProgress(int64_t id, std::string_view worker_id, double progress) = 0;
  virtual Status Complete(int64_t id, std::string_view worker_id, std::string_view result_json) = 0;
  // Requeues with run_after = now + retry_delay_ms while attempts remain, else marks failed.
  virtual Status Fail(int64_t id, std::string_view worker_id, std::string_view error,
                      int64_t retry_delay_ms) = 0;
  // A queued job becomes cancelled; a running one gets cancel_requested (its worker stops at its
  // next progress report and calls MarkCancelled). Finished jobs: kFailedPrecondition.
  virtual Result<Job> Cancel(int64_t id) = 0;
  virtual Status MarkCancelled(int64_t id, std::string_view worker_id) = 0;
  // Running jobs whose heartbeat is older than now - lease_ms go back to the queue (or fail when
  // out of attempts). Returns how many were released.
  virtual Result<int> ReleaseExpired(int64_t lease_ms) = 0;
};

class AuditLog {
 public:
  virtual ~AuditLog() = default;
  virtual Result<AuditEntry> Record(AuditEntry entry) = 0;
  virtual Result<Page<AuditEntry>> List(const PageRequest& page) = 0;  // newest first
};

// One numbered schema change. Migrations are applied in version order, each in its own
// transaction together with its row in the schema_migrations table.
struct Migration {
  int version = 0;
  std::string name;
  std::string sql;
};

struct MigrationState {
  int version = 0;
  std::string name;
  bool applied = false;
  std::optional<int64_t> applied_at;
};

struct MigrationReport {
  std::string backend;
  int current_version = 0;  // highest applied
  int latest_version = 0;   // highest this build knows
  std::vector<MigrationState> migrations;
};

struct StoreOptions {
  std::string url;  // see the top of this file
  int pool_size = 4;
  int busy_timeout_ms = 5000;             // SQLite: wait this long for a lock
  std::string sqlite_synchronous = "full";  // SQLite PRAGMA synchronous: full | normal
  int connect_timeout_seconds = 5;        // PostgreSQL
  const Clock* clock = nullptr;           // nullptr = SystemClock
  // Replaces the built-in migrations of the backend; for tests of the migrator itself.
  std::optional<std::vector<Migration>> migrations;
};

class Store {
 public:
  virtual ~Store() = default;

  // Connects (creating the SQLite file and its directory if needed) but changes no schema.
  // kInvalidArgument (field store.url) for an unusable URL, kUnavailable if the database cannot
  // be reached, with the reason from the driver.
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options);

  virtual std::string_view backend() const = 0;  // "sqlite" or "postgres"
  // The URL with any password replaced by "***".
  virtual std::string redacted_url() const = 0;

  // Applies pending migrations and returns the versions applied. A failing migration is rolled
  // back and reported with its version and the database's message; kFailedPrecondition when the
  // database has a version this build does not know (written by a newer Troupe) or an applied
  // migration whose text changed. Safe to call from several nodes at once.
  virtual Result<std::vector<int>> Migrate() = 0;
  virtual Result<MigrationReport> Migrations() = 0;
  // Repository calls require an up-to-date schema: kFailedPrecondition otherwise.
  virtual Status CheckSchema() = 0;
  // A round trip to the database (for readiness checks).
  virtual Status Ping() = 0;

  virtual UserRepository& users() = 0;
  virtual ApiKeyRepository& api_keys() = 0;
  virtual CharacterRepository& characters() = 0;
  virtual ConversationRepository& conversations() = 0;
  virtual MessageRepository& messages() = 0;
  virtual MemoryRepository& memories() = 0;
  virtual FeedbackRepository& feedback() = 0;
  virtual JobRepository& jobs() = 0;
  virtual AuditLog& audit() = 0;
};

// Replaces the password of a postgres:// URL or key=value conninfo with "***".
std::string RedactDatabaseUrl(std::string_view url);

}  // namespace troupe::store
