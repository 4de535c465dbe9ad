// Grammars for constrained decoding: a context-free grammar over Unicode code points that the
// generated text must follow (engine/token_constraint.h applies it token by token).
//
// The text form is GBNF-like (llama.cpp's grammar files parse the same way):
//   root   ::= "{" ws pair ("," ws pair)* "}"     # a comment
//   pair   ::= string ws ":" ws [0-9]+
//   string ::= "\"" [^"\\]{1,32} "\""
//   ws     ::= [ \t\n]{0,4}
// A rule is `name ::= alternatives`, names are [A-Za-z0-9_-]+, and a rule's body runs until the
// next `name ::=`, so it may span lines. Elements: "literal", [character class] with ranges and
// ^ for negation, . for any character, (grouping), rule names; postfix *, +, ?, {m}, {m,},
// {m,n}. Escapes in literals and classes: \n \r \t \\ \" \' \[ \] \- \^ \/ \xHH \uHHHH
// \UHHHHHHHH. Matching starts at the rule named `root` (or the one given).
//
// Parse throws EngineError(kInvalidInput) with "grammar line L column C: ..." for a syntax error,
// and names the rule for a rule used but never defined, defined twice, or left-recursive (a rule
// that can reach itself without consuming a character would never finish matching). Sizes are
// bounded (200,000 elements, repetition bounds up to 10,000) so a hostile grammar is refused, not
// run out of memory.
//
// Thread safety: a Grammar is immutable; copies share its rules.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace troupe::engine {

namespace grammar {
struct Rules;
}  // namespace grammar

class Grammar {
 public:
  static Grammar Parse(std::string_view text, std::string_view root = "root");
  // The same, where each name of `imports` refers to that grammar (its root), so a text can
  // build on a compiled one: `root ::= "<tool_call>" call "</tool_call>"` with "call" imported.
  static Grammar Parse(std::string_view text, std::string_view root, const std::map<std::string, Grammar>& imports);

  enum class Match { kWhole, kPrefix, kNone };
  // Whether `text` (UTF-8) is a whole match, the beginning of one, or neither. Throws
  // EngineError(kInvalidInput) for a grammar too ambiguous to follow (see grammar/stacks.h).
  Match Check(std::string_view text) const;

  // The rules in the text form above (generated rules included), one per line; parsing it again
  // gives a grammar that matches the same strings.
  std::string ToText() const;
  size_t rule_count() const;

  // The compiled rules, for the matcher.
  const grammar::Rules& rules() const { return *rules_; }
  const std::shared_ptr<const grammar::Rules>& shared_rules() const { return rules_; }
  explicit Grammar(std::shared_ptr<const grammar::Rules> rules) : rules_(std::move(rules)) {}

 private:
  std::shared_ptr<const grammar::Rules> rules_;
};

}  // namespace troupe::engine
