// Everything the store holds about one end user, read out whole (their right of access) or removed
// whole (their right to erasure). Thread-safe; failures are Status values as store.h says for every
// repository.
//
// "Everything about a user": the user row and their customer profile; their conversations with
// every message (and so the messages' full-text index entries), memory, feedback event and
// tool-call audit row of each; the feedback events they gave elsewhere (user_id = the user); the
// campaign messages drafted for or sent to them; the API keys bound to them; and the jobs whose
// payload names one of their conversations or them (see DeleteUser). The admin audit
// log is not theirs: it records what operators did, and keeps doing so.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/campaign_repository.h"
#include "store/records.h"

namespace troupe::store {

// One conversation of the user with what hangs off it; every list oldest first (ascending id).
struct ConversationArchive {
  Conversation conversation;
  std::string character_name;  // of conversation.character_id, for a reader of the archive
  std::vector<Message> messages;
  std::vector<Memory> memories;
  std::vector<FeedbackEvent> feedback;
  std::vector<ToolCallRecord> tool_calls;
};

struct UserArchive {
  User user;
  std::string profile_json = "{}";  // the customer profile (customer_repository.h); {} when never set
  std::vector<ConversationArchive> conversations;  // oldest first
  // Feedback the user gave (user_id = the user) on conversations that are not theirs.
  std::vector<FeedbackEvent> feedback_elsewhere;
  std::vector<CampaignMessage> campaign_messages;  // oldest first
  // Keys bound to the user, revoked ones too. secret_hash is always empty: it is a credential,
  // not the user's data.
  std::vector<ApiKey> api_keys;
};

// Rows removed per kind. Only rows the deletion named directly are counted (a database cascade
// catching a row written while it ran is not).
struct DeletionReport {
  int64_t user_id = 0;
  int64_t conversations = 0;
  int64_t messages = 0;
  int64_t memories = 0;
  int64_t feedback_events = 0;
  int64_t tool_calls = 0;
  int64_t api_keys = 0;
  int64_t profiles = 0;           // 1 when the user had a customer profile
  int64_t campaign_messages = 0;
  int64_t jobs = 0;            // queued and finished jobs deleted
  int64_t jobs_cancelled = 0;  // running jobs asked to stop (their rows stay until they do)
};

class UserDataRepository {
 public:
  virtual ~UserDataRepository() = default;

  // The user's data as one consistent snapshot (one read transaction; on PostgreSQL repeatable
  // read). Held in memory whole. kNotFound naming user_id for an unknown user.
  virtual Result<UserArchive> Export(int64_t user_id) = 0;

  // Removes everything about the user in one transaction: all of it or, on any failure, none.
  // Messages leave the full-text index with their rows on both backends. Jobs: a job names the
  // user when its payload is a JSON object whose conversation_id is one of the user's
  // conversations or whose user_id is the user, at its top level or in its "data" object (the
  // chat jobs, webhook events). Queued and finished ones are deleted; running ones get
  // cancel_requested, and their handlers find the conversation gone. Nothing is written to the
  // audit log: the caller records who deleted whom. kNotFound naming user_id for an unknown (or
  // already deleted) user.
  virtual Result<DeletionReport> DeleteUser(int64_t user_id) = 0;
};

}  // namespace troupe::store
