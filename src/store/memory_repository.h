// What a character keeps of a conversation beyond its recent messages.
// Thread-safe; failures are Status values as store.h says for every repository.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/page.h"
#include "store/records.h"

namespace troupe::store {

// What a prompt keeps of a conversation: its pinned notes (oldest first) and newest summary.
struct PromptMemories {
  std::vector<Memory> pinned;
  std::optional<Memory> summary;
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
  // The pinned notes and LatestSummary in one query (a turn reads them before its first token).
  virtual Result<PromptMemories> ForPrompt(int64_t conversation_id) = 0;
  // Full-text search of the conversation's memories, as MessageRepository::Search.
  virtual Result<std::vector<Memory>> Search(int64_t conversation_id, std::string_view free_text, int limit) = 0;
};

}  // namespace troupe::store
