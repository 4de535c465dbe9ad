// Grammars from API callers (`response_format`, tool schemas): the input is a grammar's text. When
// it parses, its ToText form must parse again, and a walk of the byte automaton over the input's
// own bytes (then over every byte from the start state) must end without crashing. Invariants:
// only EngineError escapes, and its message begins with "grammar".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/error.h"
#include "engine/grammar.h"
#include "engine/grammar/byte_automaton.h"

namespace {

using troupe::engine::EngineError;
using troupe::engine::Grammar;
using troupe::engine::grammar::ByteAutomaton;

void CheckMessage(const EngineError& error) {
  if (std::string_view(error.what()).rfind("grammar", 0) != 0) std::abort();
}

void Walk(const Grammar& grammar, std::string_view bytes) {
  ByteAutomaton automaton(grammar.shared_rules());
  int32_t state = automaton.start();
  for (char c : bytes) {
    const int32_t next = automaton.Next(state, static_cast<uint8_t>(c));
    if (next == ByteAutomaton::kDead) break;
    state = next;
  }
  for (int byte = 0; byte < 256; ++byte) automaton.Next(automaton.start(), static_cast<uint8_t>(byte));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const Grammar grammar = Grammar::Parse(text);
    const Grammar again = Grammar::Parse(grammar.ToText(), grammar.rules().names[grammar.rules().root]);
    if (again.rule_count() != grammar.rule_count()) std::abort();
    Walk(grammar, text);
  } catch (const EngineError& error) {
    CheckMessage(error);
  }
  return 0;
}
