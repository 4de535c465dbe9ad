// Examples for predicting a conversation's outcome from its first messages: the features the
// first K messages give and, where it is known yet, what happened.
//
// Outcomes:
//   handoff   the conversation went to a person (handed off, or an agent wrote in it). A
//             conversation an agent joined within its first K messages is left out: its first
//             messages already say so.
//   return    the same end user started another conversation within `return_days` of this one's
//             last activity. Conversations whose window has not closed yet (last activity less
//             than `return_days` before `now_ms`) are left out: the answer is not known.
//   good_end  the end user's post-conversation rating (csat, 1 to 5) is 4 or 5; 1 or 2 is a bad
//             end; 3 and unrated conversations are left out.
// A user message's sentiment is its stored score, else base's lexicon estimate. A feature the
// first messages cannot give (a single user message for a trend, no reply for latency) is NaN,
// which the boosted trees treat as missing.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/records.h"
#include "store/store.h"

namespace troupe::analytics {

enum class Outcome { kHandoff, kReturn, kGoodEnd };
std::optional<Outcome> ParseOutcome(std::string_view name);  // "handoff", "return", "good_end"
std::string_view NameOf(Outcome outcome);

struct OutcomeOptions {
  Outcome outcome = Outcome::kHandoff;
  int first_messages = 6;
  int return_days = 7;
  int64_t now_ms = 0;  // for return's open windows
};

struct OutcomeExample {
  int64_t conversation_id = 0;
  std::vector<float> features;
  bool happened = false;
};

// The features' names, in the order OutcomeFeatures gives them.
const std::vector<std::string>& OutcomeFeatureNames();

// The features of a conversation's first messages (oldest first; the caller passes at most K).
std::vector<float> OutcomeFeatures(const store::Conversation& conversation,
                                   const std::vector<store::Message>& first_messages);

// Every stored conversation whose outcome is known, with its features. `progress(done, total)`
// is called as conversations are read; returning false stops (kUnavailable, "stopped ...").
Result<std::vector<OutcomeExample>> BuildOutcomeDataset(store::Store& store, const OutcomeOptions& options,
                                                        const std::function<bool(size_t, size_t)>& progress = {});

}  // namespace troupe::analytics
