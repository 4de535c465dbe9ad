// A grammar's matcher over bytes of UTF-8, built lazily as a deterministic automaton: each state
// is a set of grammar stacks (grammar/stacks.h) plus the bytes of an unfinished character, and
// each (state, byte) transition is computed once and then looked up. Checking a whole vocabulary
// of tokens against the grammar each step (token_constraint.h) then costs an array lookup per
// trie node rather than a stack computation.
//
// Bytes that are not valid UTF-8 (overlong forms, surrogates, stray continuation bytes) lead
// nowhere, and an unfinished character is kept only while some stack accepts a code point it
// could still become.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/grammar/rules.h"
#include "engine/grammar/stacks.h"

namespace troupe::engine::grammar {

class ByteAutomaton {
 public:
  static constexpr int32_t kDead = -1;

  explicit ByteAutomaton(std::shared_ptr<const Rules> rules);

  int32_t start() const { return 0; }
  // The state after `byte`, or kDead.
  int32_t Next(int32_t state, uint8_t byte) {
    const int32_t known = states_[static_cast<size_t>(state)].next[byte];
    if (known != kUnknown) return known;
    const int32_t computed = Compute(state, byte);  // may grow states_
    states_[static_cast<size_t>(state)].next[byte] = computed;
    return computed;
  }
  // The text so far is a whole match (no unfinished character).
  bool complete(int32_t state) const;
  // Some character may still follow.
  bool can_continue(int32_t state) const;

  size_t state_count() const { return states_.size(); }
  // Forgets every state but `keep`, which becomes the start of a fresh table; returns its new
  // id. Bounds memory across a long generation.
  int32_t Reset(int32_t keep);

 private:
  static constexpr int32_t kUnknown = -2;
  struct State {
    StackSet stacks;
    std::string pending;  // bytes of an unfinished character
    std::array<int32_t, 256> next;
  };

  int32_t Compute(int32_t state, uint8_t byte);
  int32_t Intern(StackSet stacks, std::string pending);

  std::shared_ptr<const Rules> rules_;
  std::vector<State> states_;
  std::unordered_map<std::string, int32_t> ids_;
};

}  // namespace troupe::engine::grammar
