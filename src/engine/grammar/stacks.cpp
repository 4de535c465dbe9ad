#include "engine/grammar/stacks.h"

#include <algorithm>

#include "engine/error.h"

namespace troupe::engine::grammar {
namespace {

// Expands `stack` until each resulting stack's top is a set of code points (or it is empty),
// appending them to `out`. Iterative: a grammar may chain rules deeply.
void Expand(const Rules& rules, Stack stack, StackSet& out) {
  std::vector<Stack> work;
  work.push_back(std::move(stack));
  while (!work.empty()) {
    Stack current = std::move(work.back());
    work.pop_back();
    if (current.empty() || rules.elements[current.back()].kind == ElementKind::kChars) {
      out.push_back(std::move(current));
      if (out.size() > kMaxStacks) {
        ThrowInvalid("grammar: too ambiguous (more than " + std::to_string(kMaxStacks) + " ways to match at once)");
      }
      continue;
    }
    const uint32_t at = current.back();
    current.pop_back();
    if (rules.elements[at + 1].kind != ElementKind::kEnd) current.push_back(at + 1);
    const std::vector<uint32_t>& alternatives = rules.alternatives[rules.elements[at].rule];
    for (auto alternative = alternatives.rbegin(); alternative != alternatives.rend(); ++alternative) {
      Stack next = current;
      if (rules.elements[*alternative].kind != ElementKind::kEnd) next.push_back(*alternative);
      work.push_back(std::move(next));
    }
    if (work.size() > kMaxStacks * 4) {
      ThrowInvalid("grammar: too ambiguous (more than " + std::to_string(kMaxStacks) + " ways to match at once)");
    }
  }
}

void Normalize(StackSet& stacks) {
  std::sort(stacks.begin(), stacks.end());
  stacks.erase(std::unique(stacks.begin(), stacks.end()), stacks.end());
}

}  // namespace

StackSet StartStacks(const Rules& rules) {
  StackSet out;
  for (uint32_t alternative : rules.alternatives[rules.root]) {
    Stack stack;
    if (rules.elements[alternative].kind != ElementKind::kEnd) stack.push_back(alternative);
    Expand(rules, std::move(stack), out);
  }
  Normalize(out);
  return out;
}

StackSet Advance(const Rules& rules, const StackSet& stacks, uint32_t code_point) {
  StackSet out;
  for (const Stack& stack : stacks) {
    if (stack.empty()) continue;
    const uint32_t top = stack.back();
    if (!rules.Matches(rules.elements[top], code_point)) continue;
    Stack next(stack.begin(), stack.end() - 1);
    if (rules.elements[top + 1].kind != ElementKind::kEnd) next.push_back(top + 1);
    Expand(rules, std::move(next), out);
  }
  Normalize(out);
  return out;
}

bool HasEmpty(const StackSet& stacks) { return !stacks.empty() && stacks.front().empty(); }

bool AcceptsAnyIn(const Rules& rules, const StackSet& stacks, uint32_t first, uint32_t last) {
  return std::any_of(stacks.begin(), stacks.end(), [&](const Stack& stack) {
    return !stack.empty() && rules.MatchesAnyIn(rules.elements[stack.back()], first, last);
  });
}

}  // namespace troupe::engine::grammar
