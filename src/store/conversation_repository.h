// Conversations between an end user and a character, and their state.
// Thread-safe; failures are Status values as store.h says for every repository.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/status.h"
#include "store/page.h"
#include "store/records.h"

namespace troupe::store {

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

}  // namespace troupe::store
