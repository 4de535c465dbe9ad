// The five steps of character generation (concept → background → speech → greetings → image):
// for each, the JSON Schema its reply must follow (within the subset the local engine constrains
// decoding with, engine/json_schema.h; every string and list bounded so even a tiny model ends),
// the prompt built from the brief and the earlier steps, and the reply read into a typed struct.
// A CharacterDraft holds the steps done so far; applying a step's reply (generated or edited by
// hand) marks every later step stale. Everything here is pure and thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "llm/provider.h"

namespace troupe::studio {

enum class CharacterRole { kCompanion, kAdvisor, kMascot, kSupport };
std::string_view RoleName(CharacterRole role);  // "companion", "advisor", "mascot", "support"
// kInvalidArgument naming `field` for anything but the four names above.
Result<CharacterRole> ParseRole(std::string_view text, std::string_view field);

// What the operator asks for.
struct GenerationBrief {
  std::string theme;     // "a lighthouse keeper on a stormy coast"
  std::string audience;  // "adults who like cosy mysteries"
  CharacterRole role = CharacterRole::kCompanion;
  std::vector<std::string> different_from;  // names already made in this batch: the prompt avoids them
};
inline constexpr size_t kMaxBriefTextChars = 500;
// kInvalidArgument naming "theme" or "audience" when one is blank or longer than kMaxBriefTextChars.
Status CheckBrief(const GenerationBrief& brief);

enum class CharacterStep { kConcept, kBackground, kSpeech, kGreetings, kImage };
inline constexpr std::array<CharacterStep, 5> kCharacterSteps = {CharacterStep::kConcept, CharacterStep::kBackground,
                                                                CharacterStep::kSpeech, CharacterStep::kGreetings,
                                                                CharacterStep::kImage};
std::string_view StepName(CharacterStep step);  // "concept", "background", "speech", "greetings", "image"
// kInvalidArgument naming `field` for anything but a step's name.
Result<CharacterStep> ParseStep(std::string_view text, std::string_view field);

// How long the generated texts may be. Small models with small contexts need small bounds: the
// prompt, with the earlier steps in it, and the longest reply the schema allows must both fit.
struct TextLimits {
  int short_text = 80;        // names, traits, catchphrases, one-liners (characters)
  int long_text = 700;        // backstory, personality, greetings (characters)
  int list_items = 6;         // traits, likes, catchphrases, alternate greetings
  int dialogues = 3;          // example exchanges
  int context_chars = 2400;   // of the earlier steps quoted in a prompt
};
// Bounds that fit a model's context (tokens): the defaults from 4096 up, smaller below.
TextLimits LimitsForContext(int64_t context_tokens);

struct ConceptStep {
  std::string name;
  int64_t age = 0;
  std::string role;
  std::string setting;
  std::string pitch;  // one line
  std::vector<std::string> traits;
};
struct BackgroundStep {
  std::string backstory;
  std::string personality;
  std::vector<std::string> likes;
  std::vector<std::string> dislikes;
};
struct ExampleExchange {
  std::string user;
  std::string character;
};
struct SpeechStep {
  std::vector<std::string> catchphrases;
  std::vector<std::string> vocabulary;
  std::string sentence_style;
  std::vector<ExampleExchange> example_dialogues;
};
struct GreetingsStep {
  std::string first_message;
  std::vector<std::string> alternates;
};
struct ImageStep {
  std::string prompt;
  std::string negative_prompt;
};

// A character in the making. A step's output is present once it ran (or was edited in); `stale`
// names the steps whose output predates a change to an earlier step.
struct CharacterDraft {
  GenerationBrief brief;
  std::optional<ConceptStep> concept_step;
  std::optional<BackgroundStep> background;
  std::optional<SpeechStep> speech;
  std::optional<GreetingsStep> greetings;
  std::optional<ImageStep> image;
  std::set<CharacterStep> stale;
  std::array<std::string, kCharacterSteps.size()> replies;  // each step's JSON as accepted

  bool Has(CharacterStep step) const;
  // Every step present and none stale.
  bool Complete() const;
};

// The step's JSON Schema (an object, every property required, additionalProperties false).
std::string StepSchema(CharacterStep step, const TextLimits& limits);

// The system and user messages asking for the step: the brief, and what the earlier steps made
// (quoted as JSON, cut to limits.context_chars). kFailedPrecondition naming the first earlier
// step that is missing.
Result<std::vector<llm::ChatMessage>> StepPrompt(const CharacterDraft& draft, CharacterStep step,
                                                 const TextLimits& limits);

// Reads a reply (JSON, optionally inside a ```json fence) for `step`, checks it against the
// step's schema and the rules a schema cannot say (a name that is not blank, an age 1..150),
// stores it in the draft, clears the step's stale mark and marks every later step present stale.
// kInvalidArgument with field "<step>" or "<step>.<field>" saying what is wrong; the draft is
// unchanged then.
Status ApplyStepReply(CharacterDraft& draft, CharacterStep step, std::string_view reply, const TextLimits& limits);

}  // namespace troupe::studio
