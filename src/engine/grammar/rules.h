// The compiled form of a grammar, shared by its parsers (text, JSON Schema) and its matcher: rules
// of alternatives, each a sequence of elements (a set of code points, or a reference to a rule),
// flattened into one array so a position in the grammar is one integer.
//
// RulesBuilder collects rules as the parsers read them, turns repetition into plain rules and,
// in Finish, checks what would make matching fail to terminate or be undefined: a reference to a
// rule never defined, a missing root, and left recursion (a rule that can reach itself without
// consuming a character, e.g. `a ::= a "x"` or `a ::= b* a` with b able to match nothing).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace troupe::engine::grammar {

inline constexpr uint32_t kMaxCodePoint = 0x10FFFF;

struct CharRange {
  uint32_t first = 0;
  uint32_t last = 0;  // inclusive
};

enum class ElementKind : uint8_t {
  kEnd,    // ends an alternative
  kChars,  // one code point of a set (ranges, or everything but them when negated)
  kRule,   // a reference to a rule
};

struct Element {
  ElementKind kind = ElementKind::kEnd;
  bool negated = false;
  uint32_t rule = 0;          // kRule
  uint32_t ranges_begin = 0;  // kChars: ranges[ranges_begin, ranges_end)
  uint32_t ranges_end = 0;
};

struct Rules {
  std::vector<Element> elements;                    // every alternative, each ended by kEnd
  std::vector<CharRange> ranges;                    // the code point sets of kChars elements
  std::vector<std::vector<uint32_t>> alternatives;  // per rule: where its alternatives start
  std::vector<std::string> names;                   // per rule
  uint32_t root = 0;

  bool Matches(const Element& element, uint32_t code_point) const;
  // Whether some code point in [first, last] is in the element's set.
  bool MatchesAnyIn(const Element& element, uint32_t first, uint32_t last) const;
};

// One symbol of a sequence while a grammar is being built.
struct Symbol {
  ElementKind kind = ElementKind::kChars;
  bool negated = false;
  std::vector<CharRange> ranges;
  uint32_t rule = 0;

  static Symbol Chars(std::vector<CharRange> ranges, bool negated = false);
  static Symbol CodePoint(uint32_t code_point);
  static Symbol Rule(uint32_t rule);
};
using Sequence = std::vector<Symbol>;

// Limits that keep a hostile grammar (or schema) from taking unbounded memory or time.
inline constexpr size_t kMaxElements = 200'000;
inline constexpr int kMaxRepetition = 10'000;

class RulesBuilder {
 public:
  // The rule called `name`, created (undefined) on first use.
  uint32_t Named(std::string_view name);
  // A new rule whose name starts with `base` and is used nowhere else.
  uint32_t Fresh(std::string_view base);
  // Gives a rule its alternatives; throws EngineError(kInvalidInput) when it already has some.
  void Define(uint32_t rule, std::vector<Sequence> alternatives);
  bool defined(uint32_t rule) const { return defs_[rule].defined; }

  // `symbol` repeated min..max times (max < 0: no upper bound), as a sequence that may use new
  // rules named after `base`. Throws for min > max or a bound above kMaxRepetition.
  Sequence Repeat(const Symbol& symbol, int min, int max, std::string_view base);
  // A sequence of alternatives as one symbol (a new rule unless there is one single-symbol
  // alternative).
  Symbol Group(std::vector<Sequence> alternatives, std::string_view base);
  // Copies every rule of `rules` in (renamed "<name>-<rule>"), and makes `name` refer to their
  // root. Throws when `name` is already taken.
  uint32_t Import(const Rules& rules, std::string_view name);
  // A literal string as a sequence of code points (UTF-8 in; invalid bytes throw).
  static Sequence Literal(std::string_view utf8);

  // The finished rules with `root` as the start; throws EngineError(kInvalidInput) naming the
  // first undefined rule, a missing root, left recursion or a grammar over kMaxElements.
  Rules Finish(std::string_view root) const;

 private:
  struct Definition {
    std::string name;
    std::vector<Sequence> alternatives;
    bool defined = false;
  };
  void CheckLeftRecursion() const;

  std::vector<Definition> defs_;
  std::unordered_map<std::string, uint32_t> by_name_;
  uint32_t fresh_counter_ = 0;
  size_t symbol_count_ = 0;
};

}  // namespace troupe::engine::grammar
