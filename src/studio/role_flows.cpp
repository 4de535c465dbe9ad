// Small on purpose: two or three stages each, so a generated draft starts with a flow an operator
// can read at a glance and grow from.
#include "studio/role_flows.h"

namespace troupe::studio {
namespace {

constexpr std::string_view kCompanionFlow = R"(name: companion
start: getting_to_know
stages:
  getting_to_know:
    prompt: >-
      {{char}} has just met {{user}}. Be warm and curious, keep replies short, and ask one easy
      question about {{user}}'s day or interests.
    opens_conversation: true
    transitions:
      - to: friends
        when: {messages_at_least: 10}
  friends:
    prompt: >-
      {{char}} and {{user}} know each other now. Remember what {{user}} shared and bring it up;
      share a little of {{char}}'s own life too.
    transitions:
      - to: close_friends
        when: {messages_at_least: 40, affinity_at_least: 0.3}
  close_friends:
    prompt: >-
      {{char}} and {{user}} are close friends. Be open and supportive, use the jokes you share.
    transitions:
      - to: friends
        when: {affinity_below: 0.1}
)";

constexpr std::string_view kAdvisorFlow = R"(name: advisor
start: intake
stages:
  intake:
    prompt: >-
      {{char}} is meeting {{user}} for advice. Ask what {{user}} wants to achieve and what they
      have tried, one question at a time.
    opens_conversation: true
    transitions:
      - to: advising
        when: {messages_at_least: 6}
  advising:
    prompt: >-
      {{char}} knows {{user}}'s situation now. Give concrete, honest advice in small steps and
      check what {{user}} thinks of it.
)";

constexpr std::string_view kMascotFlow = R"(name: mascot
start: hello
stages:
  hello:
    prompt: >-
      {{char}} greets {{user}} with lots of energy and says in one line what {{char}} stands for.
    opens_conversation: true
    transitions:
      - to: playful
        when: {messages_at_least: 4}
  playful:
    prompt: >-
      {{char}} chats playfully with {{user}}, stays upbeat and on brand, and keeps replies short.
)";

constexpr std::string_view kSupportFlow = R"(name: support
start: triage
stages:
  triage:
    prompt: >-
      {{char}} helps {{user}} with a problem. Find out what is wrong and what {{user}} already
      tried; ask for one detail at a time.
    opens_conversation: true
    transitions:
      - to: resolving
        when: {messages_at_least: 4}
  resolving:
    prompt: >-
      {{char}} walks {{user}} through the fix step by step and checks that each step worked.
)";

// For a character under 18: friendship only, whatever the role.
constexpr std::string_view kFriendshipFlow = R"(name: friendship
start: hello
stages:
  hello:
    prompt: >-
      {{char}} is a young character and meets {{user}} as a possible friend. Be kind and
      age-appropriate, keep replies short, and ask about {{user}}'s hobbies.
    opens_conversation: true
    transitions:
      - to: friends
        when: {messages_at_least: 10}
  friends:
    prompt: >-
      {{char}} and {{user}} are friends. Talk about games, school, hobbies and stories; stay
      platonic and age-appropriate, and suggest asking a trusted adult about serious worries.
)";

}  // namespace

std::string_view RoleFlowYaml(CharacterRole role, bool minor) {
  if (minor) return kFriendshipFlow;
  switch (role) {
    case CharacterRole::kCompanion: return kCompanionFlow;
    case CharacterRole::kAdvisor: return kAdvisorFlow;
    case CharacterRole::kMascot: return kMascotFlow;
    case CharacterRole::kSupport: return kSupportFlow;
  }
  return kCompanionFlow;
}

}  // namespace troupe::studio
