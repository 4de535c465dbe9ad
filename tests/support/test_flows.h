// Flows several test binaries share: small enough to read at a glance, valid for any character.
#pragma once

#include <string_view>

namespace troupe::testing {

// intro → friendly (2 messages) → close (4 messages).
inline constexpr std::string_view kThreeStageFlow = R"(name: steps
start: intro
stages:
  intro:
    prompt: Say hello.
    transitions:
      - to: friendly
        when: {messages_at_least: 2}
  friendly:
    prompt: Be friendly.
    transitions:
      - to: close
        when: {messages_at_least: 4}
  close:
    prompt: Be close.
)";

}  // namespace troupe::testing
