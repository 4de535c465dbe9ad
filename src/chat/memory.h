// Long-term memory of one conversation, beyond the recent messages a prompt holds verbatim:
//   - the rolling summary: the model folds older messages into a short account, written as a
//     background job once enough of them have piled up (the prompt then leaves those out);
//   - recall: earlier messages and model-kept facts that share words with the user's latest
//     message, found by the store's full-text search and quoted in the prompt;
//   - pinned memories: notes an end user or operator keeps (written through the API).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "llm/provider.h"
#include "store/store.h"

namespace troupe::chat {

inline constexpr std::string_view kSummarizeJob = "chat.summarize";

struct SummaryPolicy {
  // A summary is written once this many messages could be folded (0: never).
  int threshold = 40;
  // The most recent messages are never folded: the prompt always holds them verbatim.
  int keep_recent = 20;
  // Most messages one job reads (the newest unsummarised ones beyond it stay for the next job).
  int max_messages = 400;
  int max_summary_tokens = 300;
};

// The messages a new summary would fold: those after `covered_until` (all when nullopt), except
// the last `keep_recent` and any superseded by a regenerated reply. `history` is oldest first.
std::vector<store::Message> FoldableMessages(const std::vector<store::Message>& history,
                                             std::optional<int64_t> covered_until, int keep_recent);

// The conversation's history as the summariser reads it: "Name: text" lines.
std::string Transcript(const std::vector<store::Message>& messages, const std::string& char_name,
                       const std::string& user_name);

// Folds `messages` into `previous` (may be empty) with the provider, in as many calls as the
// provider's context needs; each call's result becomes the next call's previous summary.
// `progress` gets the fraction done after each call and returns false to stop
// (kFailedPrecondition, "cancelled").
// The model's own chat template and stop strings apply; its reply, trimmed, is the summary.
// kFailedPrecondition when the model wrote nothing.
Result<std::string> WriteSummary(llm::Provider& provider, const std::string& char_name, const std::string& user_name,
                                 const std::string& previous, const std::vector<store::Message>& messages,
                                 const SummaryPolicy& policy, const std::function<bool(double)>& progress);

// What a turn recalls for the prompt: earlier messages (before `before_message_id`, so nothing the
// prompt already shows) and fact memories sharing words with `query`, best first, at most `limit`
// of each, as plain lines ("Name: text" for messages). Search failures are not fatal to a turn:
// they yield nothing.
std::vector<std::string> Recall(store::Store& store, int64_t conversation_id, const std::string& query,
                                std::optional<int64_t> before_message_id, int limit, const std::string& char_name,
                                const std::string& user_name);

}  // namespace troupe::chat
