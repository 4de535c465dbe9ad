#include "engine/grammar/byte_automaton.h"

#include <algorithm>

#include "engine/tokenizer/utf8.h"

namespace troupe::engine::grammar {
namespace {

std::string Key(const StackSet& stacks, const std::string& pending) {
  std::string key = pending;
  key.push_back('\xff');  // never a byte of an unfinished character
  for (const Stack& stack : stacks) {
    key.append(reinterpret_cast<const char*>(stack.data()), stack.size() * sizeof(uint32_t));
    key.append(4, '\xff');  // never a position (positions stay below kMaxElements)
  }
  return key;
}

// The code points an unfinished character beginning with `pending` may still become.
void PossibleCodePoints(const std::string& pending, uint32_t& first, uint32_t& last) {
  const auto lead = static_cast<unsigned char>(pending[0]);
  const size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
  uint32_t low = lead & (0x7F >> length);
  uint32_t high = low;
  for (size_t i = 1; i < length; ++i) {
    const uint32_t byte = i < pending.size() ? static_cast<unsigned char>(pending[i]) & 0x3F : 0;
    low = (low << 6) | byte;
    high = (high << 6) | (i < pending.size() ? byte : 0x3F);
  }
  static constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  first = std::max(low, kSmallest[length]);
  last = std::min(high, kMaxCodePoint);
}

}  // namespace

ByteAutomaton::ByteAutomaton(std::shared_ptr<const Rules> rules) : rules_(std::move(rules)) {
  Intern(StartStacks(*rules_), "");
}

bool ByteAutomaton::complete(int32_t state) const {
  const State& s = states_[static_cast<size_t>(state)];
  return s.pending.empty() && HasEmpty(s.stacks);
}

bool ByteAutomaton::can_continue(int32_t state) const {
  const StackSet& stacks = states_[static_cast<size_t>(state)].stacks;
  return std::any_of(stacks.begin(), stacks.end(), [](const Stack& stack) { return !stack.empty(); });
}

int32_t ByteAutomaton::Reset(int32_t keep) {
  State kept = std::move(states_[static_cast<size_t>(keep)]);
  states_.clear();
  ids_.clear();
  return Intern(std::move(kept.stacks), std::move(kept.pending));
}

int32_t ByteAutomaton::Compute(int32_t state, uint8_t byte) {
  // Copies, not references: Intern may grow states_.
  const std::string pending = states_[static_cast<size_t>(state)].pending + static_cast<char>(byte);
  const int length = tokenization::CompleteUtf8Prefix(pending);
  if (length < 0) return kDead;
  if (length > 0) {
    const uint32_t code_point = tokenization::DecodeUtf8Lenient(pending).front();
    StackSet advanced = Advance(*rules_, states_[static_cast<size_t>(state)].stacks, code_point);
    if (advanced.empty()) return kDead;
    return Intern(std::move(advanced), "");
  }
  uint32_t first = 0;
  uint32_t last = 0;
  PossibleCodePoints(pending, first, last);
  StackSet stacks = states_[static_cast<size_t>(state)].stacks;
  if (first > last || !AcceptsAnyIn(*rules_, stacks, first, last)) return kDead;
  return Intern(std::move(stacks), pending);
}

int32_t ByteAutomaton::Intern(StackSet stacks, std::string pending) {
  std::string key = Key(stacks, pending);
  if (auto found = ids_.find(key); found != ids_.end()) return found->second;
  const auto id = static_cast<int32_t>(states_.size());
  State state{std::move(stacks), std::move(pending), {}};
  state.next.fill(kUnknown);
  states_.push_back(std::move(state));
  ids_.emplace(std::move(key), id);
  return id;
}

}  // namespace troupe::engine::grammar
