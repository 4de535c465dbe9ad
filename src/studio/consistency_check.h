// Flags where a later step contradicts the concept, by rules a test can pin down: a character that
// introduces itself or signs with another name, an age stated in the text ("I am 25",
// "25-year-old", "25 years old", "aged 25") that is not the concept's, and (a soft warning) a
// setting none of whose words appears in any later text. Pure and thread-safe.
#pragma once

#include <string>
#include <vector>

#include "studio/character_steps.h"

namespace troupe::studio {

struct ConsistencyFinding {
  enum class Severity { kWarning, kContradiction };
  Severity severity = Severity::kContradiction;
  CharacterStep step = CharacterStep::kBackground;
  std::string field;  // "greetings.first_message", "speech.example_dialogues[1].character", ...
  std::string message;
};
std::string_view SeverityName(ConsistencyFinding::Severity severity);  // "warning", "contradiction"

// Findings in step order; none when the draft has no concept.
std::vector<ConsistencyFinding> CheckConsistency(const CharacterDraft& draft);

}  // namespace troupe::studio
