// A conversation's messages, appended in order.
// Thread-safe; failures are Status values as store.h says for every repository.
#pragma once

#include <cstdint>
#include <climits>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/page.h"
#include "store/records.h"

namespace troupe::store {

struct MessagePatch {
  std::optional<std::string> content;
  std::optional<double> sentiment;
  std::optional<int> rating;
  std::optional<bool> incomplete;
  std::optional<int64_t> completion_tokens;
  std::optional<std::string> metadata_json;
};

// A user's message as the analytics lab reads it (topics over a period).
struct MessageText {
  int64_t id = 0;
  int64_t conversation_id = 0;
  int64_t created_at = 0;  // Unix milliseconds
  std::string content;
};

struct MessageTextQuery {
  int64_t from_ms = 0;                  // created at or after
  int64_t to_ms = INT64_MAX;            // created before
  std::optional<int64_t> character_id;  // only that character's conversations
};

class MessageRepository {
 public:
  virtual ~MessageRepository() = default;
  // Durably appends a message and, in the same transaction, bumps the conversation's
  // message_count and last_activity_at. Returns only after the commit.
  virtual Result<Message> Append(Message message) = 0;
  // Append, with parent_id (ignored if set) the conversation's latest message, or none for its
  // first, read in the same transaction: two messages appended at once never share a parent.
  virtual Result<Message> AppendAfterLatest(Message message) = 0;
  // AppendAfterLatest for each message in one transaction with one commit, each conversation's
  // messages in the order given: the results line up with `messages`. A message that fails (its
  // conversation is gone, a field is invalid) fails alone; a commit that fails fails every message
  // that had not.
  virtual std::vector<Result<Message>> AppendAllAfterLatest(std::vector<Message> messages) = 0;
  virtual Result<Message> Get(int64_t id) = 0;
  // Oldest first.
  virtual Result<Page<Message>> List(int64_t conversation_id, const PageRequest& page) = 0;
  // The last `count` messages, oldest first (prompt assembly reads history this way).
  virtual Result<std::vector<Message>> Latest(int64_t conversation_id, int count) = 0;
  // Users' messages (role user) created in [from_ms, to_ms), of one character's conversations when
  // `character_id` is given, oldest id first: the text the topics of a period are found in.
  // kInvalidArgument naming to_ms when the range is empty or reversed.
  virtual Result<Page<MessageText>> ListUserTexts(const MessageTextQuery& query, const PageRequest& page) = 0;
  virtual Result<Message> Patch(int64_t id, const MessagePatch& patch) = 0;
  // Full-text search of one conversation's messages (before `before_message_id` when given), best
  // match first, at most `limit` (clamped to 500). `free_text` is untrusted: it is cut into words
  // (see search_terms.h), short and stop words dropped, and a message matching any word counts;
  // matching is by stem ("runs" finds "running"), case and accents ignored on SQLite (PostgreSQL:
  // the 'english' text search configuration). No words left, or limit <= 0: an empty result.
  virtual Result<std::vector<Message>> Search(int64_t conversation_id, std::string_view free_text, int limit,
                                              std::optional<int64_t> before_message_id = std::nullopt) = 0;
};

}  // namespace troupe::store
