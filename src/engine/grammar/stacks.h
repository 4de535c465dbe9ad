// Matching a grammar one code point at a time, the way a pushdown automaton does: the state is a
// set of stacks of grammar positions (offsets into Rules::elements), each top a set of code
// points that may come next. An empty stack means the text so far is a whole match.
//
// The grammar must be free of left recursion (RulesBuilder::Finish checks), so expanding a stack
// always ends. Ambiguous grammars can still multiply stacks; past kMaxStacks the step throws
// EngineError(kInvalidInput) instead of growing without bound.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/grammar/rules.h"

namespace troupe::engine::grammar {

using Stack = std::vector<uint32_t>;  // top at the back
using StackSet = std::vector<Stack>;  // sorted, without duplicates

inline constexpr size_t kMaxStacks = 4'096;

// The stacks before any character: the root rule's alternatives, expanded.
StackSet StartStacks(const Rules& rules);
// The stacks after `code_point`; empty when no stack accepts it.
StackSet Advance(const Rules& rules, const StackSet& stacks, uint32_t code_point);
// Whether the text so far is a whole match (some stack is empty).
bool HasEmpty(const StackSet& stacks);
// Whether some stack accepts a code point in [first, last] next.
bool AcceptsAnyIn(const Rules& rules, const StackSet& stacks, uint32_t first, uint32_t last);

}  // namespace troupe::engine::grammar
