// Internal to the chat runtime: messages a character writes first (ChatRuntime::ScanProactive and
// WriteProactive; runtime.h states what they promise), and the bookkeeping behind their backoff and
// daily cap, kept in the conversation's metadata under "proactive".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "chat/turn_context.h"

namespace troupe::chat::internal {

struct ProactiveBook {
  int unanswered = 0;  // messages written first since the user last spoke
  int sent_today = 0;
  std::string day;     // the UTC date sent_today counts
};

// "2026-12-05" for a time in milliseconds since the epoch.
std::string UtcDay(int64_t millis);
// The conversation's book (sent_today is 0 on a new UTC day).
ProactiveBook BookOf(const TurnContext& context, const store::Conversation& conversation);
// `metadata_json` with the book written in.
std::string WithBook(const std::string& metadata_json, const ProactiveBook& book);
// When the character may next write first in this scene, or nullopt when its stage says never.
std::optional<int64_t> ProactiveDueAt(TurnContext& context, const Scene& scene);

Result<int> ScanProactive(TurnContext& context);
Result<std::optional<TurnOutcome>> WriteProactive(TurnContext& context, int64_t conversation_id);

}  // namespace troupe::chat::internal
