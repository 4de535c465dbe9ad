// Keeps the full-text index of messages close behind the table where it is batched (SQLite,
// migration 0003), so that appending a message does not pay for indexing it in its own transaction
// and a search still sees every message written before it. Thread-safe; a no-op on PostgreSQL.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include "base/status.h"
#include "store/repo/common.h"

namespace troupe::store::repo {

class MessageIndex {
 public:
  // Messages appended between two catch-ups when no search asks for one sooner.
  static constexpr int kBatch = 32;

  explicit MessageIndex(const Context& context);

  // A message was appended: every kBatch appends, the calling thread indexes the backlog. A failed
  // catch-up fails nothing: the next one, or the next search, indexes the same rows.
  void Appended();

  // Before searching the messages with ids below `before_id` (every message when absent): indexes
  // the backlog unless the index is known to hold them already.
  Status ReadyFor(std::optional<int64_t> before_id);

 private:
  Status CatchUp();

  Context context_;
  const bool batched_;
  // The id the index holds every message through, as far as this process has seen. Other
  // processes only ever raise the stored one, so this is never ahead of it.
  std::atomic<int64_t> indexed_through_{0};
  std::atomic<int> appended_since_catch_up_{0};
};

}  // namespace troupe::store::repo
