// Grammar::ToText and rule_count: the rules back in the text form of engine/grammar.h; Check.
#include <cstdio>
#include <string>

#include "engine/grammar.h"
#include "engine/grammar/byte_automaton.h"
#include "engine/grammar/rules.h"
#include "engine/tokenizer/utf8.h"

namespace troupe::engine {
namespace {

using grammar::CharRange;
using grammar::Element;
using grammar::ElementKind;

// One code point inside "..." or [...]: printable ASCII as itself unless it means something there.
void AppendEscaped(uint32_t code_point, bool in_class, std::string& out) {
  switch (code_point) {
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    case '\\': out += "\\\\"; return;
    case '"': out += "\\\""; return;
    default: break;
  }
  if (in_class && (code_point == ']' || code_point == '[' || code_point == '-' || code_point == '^')) {
    out += '\\';
    out += static_cast<char>(code_point);
    return;
  }
  if (code_point >= 0x20 && code_point < 0x7F) {
    out += static_cast<char>(code_point);
    return;
  }
  char buffer[16];
  if (code_point <= 0xFF) {
    std::snprintf(buffer, sizeof buffer, "\\x%02X", code_point);
  } else if (code_point <= 0xFFFF) {
    std::snprintf(buffer, sizeof buffer, "\\u%04X", code_point);
  } else {
    std::snprintf(buffer, sizeof buffer, "\\U%08X", code_point);
  }
  out += buffer;
}

bool IsSingleCodePoint(const grammar::Rules& rules, const Element& element) {
  return element.kind == ElementKind::kChars && !element.negated && element.ranges_end == element.ranges_begin + 1 &&
         rules.ranges[element.ranges_begin].first == rules.ranges[element.ranges_begin].last;
}

void AppendClass(const grammar::Rules& rules, const Element& element, std::string& out) {
  if (element.negated && element.ranges_begin == element.ranges_end) {
    out += '.';
    return;
  }
  out += element.negated ? "[^" : "[";
  for (uint32_t i = element.ranges_begin; i < element.ranges_end; ++i) {
    const CharRange& range = rules.ranges[i];
    AppendEscaped(range.first, true, out);
    if (range.last != range.first) {
      out += '-';
      AppendEscaped(range.last, true, out);
    }
  }
  out += ']';
}

}  // namespace

size_t Grammar::rule_count() const { return rules_->alternatives.size(); }

Grammar::Match Grammar::Check(std::string_view text) const {
  grammar::ByteAutomaton automaton(rules_);
  int32_t state = automaton.start();
  for (char c : text) {
    state = automaton.Next(state, static_cast<uint8_t>(c));
    if (state == grammar::ByteAutomaton::kDead) return Match::kNone;
  }
  return automaton.complete(state) ? Match::kWhole : Match::kPrefix;
}

std::string Grammar::ToText() const {
  const grammar::Rules& rules = *rules_;
  std::string out;
  for (size_t r = 0; r < rules.alternatives.size(); ++r) {
    out += rules.names[r] + " ::=";
    bool first_alternative = true;
    for (uint32_t at : rules.alternatives[r]) {
      if (!first_alternative) out += " |";
      first_alternative = false;
      if (rules.elements[at].kind == ElementKind::kEnd) out += " \"\"";
      while (rules.elements[at].kind != ElementKind::kEnd) {
        const Element& element = rules.elements[at];
        out += ' ';
        if (element.kind == ElementKind::kRule) {
          out += rules.names[element.rule];
          ++at;
        } else if (IsSingleCodePoint(rules, element)) {
          out += '"';
          for (; IsSingleCodePoint(rules, rules.elements[at]); ++at) {
            AppendEscaped(rules.ranges[rules.elements[at].ranges_begin].first, false, out);
          }
          out += '"';
        } else {
          AppendClass(rules, element, out);
          ++at;
        }
      }
    }
    out += '\n';
  }
  return out;
}

}  // namespace troupe::engine
