// The audit trail of tool calls: one row per call a turn made, refused or left awaiting the user's
// confirmation. Append-only. Thread-safe; failures are Status values as store.h says for every
// repository.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "store/page.h"
#include "store/records.h"

namespace troupe::store {

// Tool calls across conversations (the agent console). Empty fields match any.
struct ToolCallFilter {
  std::string tool;
  std::string outcome;
  std::optional<int64_t> since;  // created_at >= since
  std::optional<int64_t> until;  // created_at < until
};

class ToolCallRepository {
 public:
  virtual ~ToolCallRepository() = default;
  // Stores the call with created_at from the store's clock and returns it with its id. The caller
  // masks the arguments first; the store keeps arguments_json as given (PostgreSQL may normalise
  // its spacing). kInvalidArgument naming the field: tool or outcome empty, arguments_json not
  // JSON, latency_ms negative or not finite, attempts negative. kNotFound naming conversation_id
  // when the conversation does not exist, or message_id when that message is not in it.
  virtual Result<ToolCallRecord> Record(ToolCallRecord call) = 0;
  // One conversation's calls, oldest first. An unknown conversation has none.
  virtual Result<Page<ToolCallRecord>> ListForConversation(int64_t conversation_id, const PageRequest& page) = 0;
  // Calls matching `filter` across conversations, newest first.
  virtual Result<Page<ToolCallRecord>> List(const ToolCallFilter& filter, const PageRequest& page) = 0;
};

}  // namespace troupe::store
