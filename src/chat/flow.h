// Conversation flows: a YAML state machine per character that changes the prompt as a relationship
// grows (ice-breaker -> friendly -> close), with moods that vary per conversation. docs/flows.md
// is the file reference. Parsing reports the field path and the YAML line:column; validation
// rejects unknown stages, unreachable stages, transitions that can never hold, cycles the state
// would bounce around forever, and, for a character whose card marks it a minor, anything
// romantic or flirty (the safety gate). Everything here is pure and thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "chat/reply_style.h"
#include "llm/provider.h"

namespace troupe::chat {

// When a transition fires or a mood rule applies: every condition given must hold (none: always).
struct Conditions {
  std::optional<int64_t> messages_at_least;
  std::optional<double> affinity_at_least;
  std::optional<double> affinity_below;
  std::optional<double> sentiment_trend_above;
  std::optional<double> sentiment_trend_below;
  std::optional<std::string> intent;
  std::optional<int64_t> idle_minutes_at_least;

  // True when only conditions that, once true, stay true are given (the message count only grows).
  bool OnlyMonotonic() const;
  // False when the conditions contradict each other (affinity at least 0.5 and below 0.2).
  bool CanHold() const;
};

struct Transition {
  std::string to;
  Conditions when;
};

enum class Romance { kNone, kFlirty, kRomantic };

// Quiet hours as minutes of the UTC day; `to` before `from` wraps midnight ("22:00-08:00").
struct QuietHours {
  int from_minute = 0;
  int to_minute = 0;
};

// Writing first after a break.
struct ProactivePolicy {
  int64_t after_minutes = 24 * 60;  // idle time before the first nudge
  std::string prompt;               // the instruction for the message ("" = a default check-in)
  std::optional<QuietHours> quiet_hours;
  int daily_cap = 1;            // messages per UTC day (0: never)
  double backoff_factor = 2.0;  // each unanswered nudge multiplies the wait
  int max_unanswered = 3;       // then the character stops writing first (0: never)
};

// Some replies of a stage sent as voice messages (docs/flows.md, "Voice and pictures"): the text is
// spoken and kept as the transcript. Which replies: a draw per message, `share` of them.
struct StageVoice {
  double share = 0;                // 0..1: the fraction of the stage's reply messages spoken
  std::string voice;               // the speech provider's voice; "" = the card's troupe.voice, else the default
  int words_per_minute = 0;        // 80..450; 0 = the card's troupe.voice, else 175
};

// Some replies of a stage come with a picture the character sends.
struct StagePictures {
  double share = 0;     // 0..1: the fraction of the stage's reply messages with a picture
  std::string prompt;   // the picture's prompt template ({{char}}, {{user}}, {{message}}, {{conversation}});
                        // "" = the card's image prompt followed by the reply
};

struct Stage {
  std::string name;
  std::string prompt;
  Romance romance = Romance::kNone;
  bool opens_conversation = false;  // the character writes the first message when the card has none
  std::string provider;             // "" = the character's or the default provider
  llm::Sampling sampling;           // max_tokens 0 = the runtime's default
  ReplyStyle reply;
  std::optional<ProactivePolicy> proactive;
  std::optional<StageVoice> voice;        // none: replies are text only
  std::optional<StagePictures> pictures;  // none: no pictures
  std::vector<Transition> transitions;  // the first that holds is taken
};

struct Mood {
  std::string name;
  double weight = 1.0;
  std::string prompt;
};

struct MoodRule {
  Conditions when;
  std::string mood;
};

enum class MoodSelection {
  kWeighted,  // a weighted draw per stage (and per change_every_messages period)
  kRule,      // the first rule that holds picks the mood; when none holds, the weighted draw
};

// A line and column in the flow's YAML, from 1.
struct FlowPosition {
  int line = 0;
  int column = 0;
};

struct Flow {
  std::string name;
  std::string start;
  std::vector<Stage> stages;
  MoodSelection mood_selection = MoodSelection::kWeighted;
  std::vector<Mood> moods;
  std::vector<MoodRule> mood_rules;        // only with MoodSelection::kRule
  int64_t change_mood_every_messages = 0;  // 0: one mood per stage visit
  // Where each field was read ("stages.close.transitions[0].to"), so validation errors can say;
  // empty for a flow built in code.
  std::map<std::string, FlowPosition> positions;

  const Stage* FindStage(std::string_view name) const;
  const Mood* FindMood(std::string_view name) const;
};

// Whether message `message_id` of a stage gets a medium sent with `share`: a draw from SplitMix64
// of the message id and `salt` (one per medium, so voice and pictures are drawn apart), so the same
// message always gets the same answer. Share 0 never, 1 always.
bool MediaDrawn(double share, int64_t message_id, uint64_t salt);
inline constexpr uint64_t kVoiceDrawSalt = 0x766f696365ull;     // "voice"
inline constexpr uint64_t kPictureDrawSalt = 0x706963747572ull;  // "pictur"

// A single stage that talks as the card says, for characters without a flow.
Flow DefaultFlow();

// Limits on a flow (docs/flows.md, "Limits"). Flows arrive in HTTP requests, so what one costs to
// read must be bounded: YAML aliases let 1 MB of text stand for gigabytes, and yaml-cpp's tree
// takes about 0.5 KB per node (1 KB under ASan). Real flows have 3 to 20 stages with a few
// transitions each; the caps are 50 times that. The YAML limits let the largest flow the caps
// allow through with room to spare (1,000 stages of 10 transitions with two conditions each, 100
// moods, 1,000 rules: 0.83 MB, 104,000 nodes, ~60 MB to read), while the costliest text within
// them costs ~140 MB to read (measured in an optimised build).
inline constexpr int64_t kMaxFlowTextBytes = 1 << 20;    // the YAML text, 1 MiB
inline constexpr int64_t kMaxFlowYamlNodes = 200'000;    // nodes (keys included) once aliases are expanded
inline constexpr int64_t kMaxFlowScalarBytes = 4 << 20;  // bytes of all scalars once aliases are expanded, 4 MiB
inline constexpr int kMaxFlowYamlDepth = 32;             // nesting of lists and mappings (a flow uses 6)
inline constexpr size_t kMaxFlowStages = 1'000;
inline constexpr size_t kMaxFlowTransitions = 10'000;    // of all stages together
inline constexpr size_t kMaxFlowMoods = 100;             // moods.options
inline constexpr size_t kMaxFlowMoodRules = 1'000;       // moods.rules

// kInvalidArgument naming the field path and line:column for bad YAML, a wrong type or range, an
// unknown or repeated key, a missing required field, or a badly formed stage or mood name. Before
// building anything it refuses, naming the limit, YAML beyond the first four limits above (with
// the line:column where it was crossed; no field) and a stream of more than one YAML document;
// while reading, more stages, transitions, moods or mood rules than the caps (field and
// line:column of the first one too many).
Result<Flow> ParseFlow(std::string_view yaml);

// What the card says about the character that flows must respect.
struct CharacterTraits {
  bool minor = false;
};
// From a card's extensions JSON: `troupe.minor == true` or a numeric `troupe.age` under 18.
// Text that is not a JSON object states nothing.
CharacterTraits TraitsFromExtensions(std::string_view extensions_json);

// kInvalidArgument naming the field (with its line:column when the flow was parsed). In order:
// for a minor, a flirty or romantic stage, or romantic wording in a stage, mood or proactive prompt
// or in a stage or mood name (the safety gate); an unknown stage in `start` or a transition; a mood
// rule naming an unknown mood; conditions that can never hold; a cycle without exit (transitions
// whose conditions are empty or only `messages_at_least`: once they hold they hold forever); a
// stage that no transition reaches from `start`. Linear in stages and transitions (names are
// indexed once), so a flow built in code beyond the caps costs time in proportion, no more.
Status ValidateFlow(const Flow& flow, const CharacterTraits& traits);

// A character's flow (Character::flow, blank = the default) parses and validates for the traits
// its card states; errors are prefixed "flow: " and their field with "flow.".
Status CheckCharacterFlow(const std::string& flow_yaml, std::string_view extensions_json);

struct FlowState {
  std::string stage;  // "" or a stage the flow no longer has: (re)start at `start`
  std::string mood;

  bool operator==(const FlowState&) const = default;
};

struct ConversationSignals {
  int64_t message_count = 0;
  double affinity = 0;         // -1..1
  double sentiment_trend = 0;  // recent user sentiment minus earlier
  std::string last_intent;
  int64_t idle_ms = 0;  // time since the previous message
  int64_t now_ms = 0;
};

struct FlowStep {
  FlowState state;
  bool stage_changed = false;
};

// Starts the flow or follows the first matching transition of the current stage, repeatedly,
// entering each stage at most once per call. The mood is then a pure function of the flow, the
// stage, the signals and `conversation_seed`: the first mood rule that holds (selection: rule),
// otherwise a weighted draw seeded by (conversation_seed, stage, message_count /
// change_every_messages). So a conversation keeps its mood within a stage (or period), and pass the
// same seed for the whole life of a conversation (its id, say). A flow that was not validated
// never makes this fail: an unknown `start` starts at the first stage. Linear in the stages and
// transitions it passes through.
FlowStep Advance(const Flow& flow, const FlowState& state, const ConversationSignals& signals,
                 uint64_t conversation_seed);

// When the character may next write first (milliseconds since the epoch; at or before `now_ms`
// means now), or nullopt when it should not (max_unanswered reached, a daily cap of 0). The wait is
// after_minutes * backoff_factor^unanswered from the last activity; with `sent_today` at the cap it
// is not before the next UTC day; a time inside the quiet hours moves to their end, and so does a
// time already passed while `now_ms` is inside them.
std::optional<int64_t> NextProactiveAt(const ProactivePolicy& policy, int64_t last_activity_ms, int unanswered,
                                       int sent_today, int64_t now_ms);

}  // namespace troupe::chat
