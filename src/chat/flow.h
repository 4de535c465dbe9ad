// Conversation flows: a YAML state machine per character that changes the prompt as a relationship
// grows (ice-breaker -> friendly -> close), with moods that vary per conversation. docs/flows.md
// is the file reference. Parsing reports the field path and the YAML line:column; validation
// rejects unknown stages, cycles the state would bounce around forever, and, for a character
// whose card marks it a minor, any romantic or flirty stage (the safety gate).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "chat/reply_style.h"
#include "llm/provider.h"

namespace troupe::chat {

// When a transition fires: every condition given must hold (none given: always).
struct Conditions {
  std::optional<int64_t> messages_at_least;
  std::optional<double> affinity_at_least;
  std::optional<double> affinity_below;
  std::optional<double> sentiment_trend_above;
  std::optional<double> sentiment_trend_below;
  std::optional<std::string> intent;
  std::optional<int64_t> idle_minutes_at_least;

  // True when only conditions that, once true, stay true are given (message count grows).
  bool OnlyMonotonic() const;
};

struct Transition {
  std::string to;
  Conditions when;
};

enum class Romance { kNone, kFlirty, kRomantic };

// Writing first after a break.
struct ProactivePolicy {
  int64_t after_minutes = 24 * 60;  // idle time before the first nudge
  std::string prompt;               // the instruction for the message ("" = a default)
  // Hours (UTC, "HH:MM-HH:MM", may wrap midnight) when nothing is sent; "" = none.
  std::string quiet_hours;
  int daily_cap = 1;            // messages per UTC day
  double backoff_factor = 2.0;  // each unanswered nudge multiplies the wait
  int max_unanswered = 3;       // then the character stops writing first
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
  std::vector<Transition> transitions;
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

struct Flow {
  std::string name;
  std::string start;
  std::vector<Stage> stages;
  std::vector<Mood> moods;
  std::vector<MoodRule> mood_rules;  // the first that holds picks the mood; else weighted random
  int64_t change_mood_every_messages = 0;  // 0: the mood is drawn when a stage is entered

  const Stage* FindStage(std::string_view name) const;
  const Mood* FindMood(std::string_view name) const;
};

// A single stage that talks as the card says, for characters without a flow.
Flow DefaultFlow();

// kInvalidArgument naming the field path and line:column for bad YAML, a wrong type, an unknown
// key or a missing required field.
Result<Flow> ParseFlow(std::string_view yaml);

// What the card says about the character that flows must respect.
struct CharacterTraits {
  bool minor = false;
};
// From a card's extensions: `troupe.minor == true` or `troupe.age < 18`.
CharacterTraits TraitsFromExtensions(std::string_view extensions_json);

// kInvalidArgument naming the stage: an unknown stage in `start` or a transition, a cycle of
// transitions whose conditions only grow true (the state would bounce forever), and for a minor
// a romantic or flirty stage, or a stage prompt with romantic wording.
Status ValidateFlow(const Flow& flow, const CharacterTraits& traits);

// A character's flow (Character::flow, "" = the default) parses and validates for the traits its
// card states; errors are prefixed "flow: " and their field with "flow.".
Status CheckCharacterFlow(const std::string& flow_yaml, std::string_view extensions_json);

struct FlowState {
  std::string stage;  // "" = not started
  std::string mood;
};

struct ConversationSignals {
  int64_t message_count = 0;
  double affinity = 0;          // -1..1
  double sentiment_trend = 0;   // recent user sentiment minus earlier
  std::string last_intent;
  int64_t idle_ms = 0;          // time since the previous message
  int64_t now_ms = 0;
};

struct FlowStep {
  FlowState state;
  bool stage_changed = false;
};

// Starts the flow or follows the first matching transition of the current stage, repeatedly (at
// most once per stage), and keeps or draws the mood. Deterministic for a seed.
FlowStep Advance(const Flow& flow, const FlowState& state, const ConversationSignals& signals, uint64_t seed);

// When the character may next write first, or nullopt when it should not (no more nudges today,
// too many unanswered). Times in milliseconds since the epoch.
std::optional<int64_t> NextProactiveAt(const ProactivePolicy& policy, int64_t last_activity_ms, int unanswered,
                                       int sent_today, int64_t now_ms);

}  // namespace troupe::chat
