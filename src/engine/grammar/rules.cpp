#include "engine/grammar/rules.h"

#include <algorithm>

#include "engine/error.h"
#include "engine/tokenizer/utf8.h"

namespace troupe::engine::grammar {

bool Rules::Matches(const Element& element, uint32_t code_point) const {
  bool inside = false;
  for (uint32_t i = element.ranges_begin; i < element.ranges_end && !inside; ++i) {
    inside = ranges[i].first <= code_point && code_point <= ranges[i].last;
  }
  return inside != element.negated;
}

bool Rules::MatchesAnyIn(const Element& element, uint32_t first, uint32_t last) const {
  if (!element.negated) {
    for (uint32_t i = element.ranges_begin; i < element.ranges_end; ++i) {
      if (ranges[i].first <= last && first <= ranges[i].last) return true;
    }
    return false;
  }
  // Negated: some code point of [first, last] lies outside every range. Ranges are few, so walk
  // the interval, jumping past each range that covers its current start.
  uint32_t at = first;
  for (bool moved = true; moved && at <= last;) {
    moved = false;
    for (uint32_t i = element.ranges_begin; i < element.ranges_end; ++i) {
      if (ranges[i].first <= at && at <= ranges[i].last) {
        if (ranges[i].last >= last) return false;
        at = ranges[i].last + 1;
        moved = true;
      }
    }
  }
  return at <= last;
}

Symbol Symbol::Chars(std::vector<CharRange> ranges, bool negated) {
  Symbol symbol;
  symbol.kind = ElementKind::kChars;
  symbol.ranges = std::move(ranges);
  symbol.negated = negated;
  return symbol;
}

Symbol Symbol::CodePoint(uint32_t code_point) { return Chars({{code_point, code_point}}); }

Symbol Symbol::Rule(uint32_t rule) {
  Symbol symbol;
  symbol.kind = ElementKind::kRule;
  symbol.rule = rule;
  return symbol;
}

uint32_t RulesBuilder::Named(std::string_view name) {
  const std::string key(name);
  if (auto found = by_name_.find(key); found != by_name_.end()) return found->second;
  const auto id = static_cast<uint32_t>(defs_.size());
  defs_.push_back(Definition{key, {}, false});
  by_name_.emplace(key, id);
  return id;
}

uint32_t RulesBuilder::Fresh(std::string_view base) {
  for (;;) {
    std::string name = std::string(base) + "-" + std::to_string(++fresh_counter_);
    if (!by_name_.contains(name)) return Named(name);
  }
}

void RulesBuilder::Define(uint32_t rule, std::vector<Sequence> alternatives) {
  Definition& def = defs_.at(rule);
  if (def.defined) ThrowInvalid("grammar: rule '" + def.name + "' is defined twice");
  for (const Sequence& sequence : alternatives) symbol_count_ += sequence.size() + 1;
  if (symbol_count_ > kMaxElements) {
    ThrowInvalid("grammar: more than " + std::to_string(kMaxElements) + " elements");
  }
  def.alternatives = std::move(alternatives);
  def.defined = true;
}

Sequence RulesBuilder::Repeat(const Symbol& symbol, int min, int max, std::string_view base) {
  if (min < 0 || (max >= 0 && max < min)) {
    ThrowInvalid("grammar: repetition {" + std::to_string(min) + "," + std::to_string(max) + "} is empty");
  }
  if (min > kMaxRepetition || max > kMaxRepetition) {
    ThrowInvalid("grammar: repetition bound above " + std::to_string(kMaxRepetition));
  }
  Sequence out(static_cast<size_t>(min), symbol);
  if (max < 0) {  // x* as star ::= x star | ε
    const uint32_t star = Fresh(base);
    Define(star, {{symbol, Symbol::Rule(star)}, {}});
    out.push_back(Symbol::Rule(star));
  } else if (max > min) {  // up to k more, nested: opt_k ::= x opt_{k-1} | ε
    uint32_t inner = Fresh(base);
    Define(inner, {{symbol}, {}});
    for (int i = 1; i < max - min; ++i) {
      const uint32_t outer = Fresh(base);
      Define(outer, {{symbol, Symbol::Rule(inner)}, {}});
      inner = outer;
    }
    out.push_back(Symbol::Rule(inner));
  }
  return out;
}

Symbol RulesBuilder::Group(std::vector<Sequence> alternatives, std::string_view base) {
  if (alternatives.size() == 1 && alternatives.front().size() == 1) return alternatives.front().front();
  const uint32_t rule = Fresh(base);
  Define(rule, std::move(alternatives));
  return Symbol::Rule(rule);
}

uint32_t RulesBuilder::Import(const Rules& rules, std::string_view name) {
  if (by_name_.contains(std::string(name))) ThrowInvalid("grammar: '" + std::string(name) + "' is defined twice");
  std::vector<uint32_t> mapped(rules.alternatives.size());
  for (size_t r = 0; r < rules.alternatives.size(); ++r) mapped[r] = Fresh(std::string(name) + "-" + rules.names[r]);
  for (size_t r = 0; r < rules.alternatives.size(); ++r) {
    std::vector<Sequence> alternatives;
    for (uint32_t at : rules.alternatives[r]) {
      Sequence sequence;
      for (; rules.elements[at].kind != ElementKind::kEnd; ++at) {
        const Element& element = rules.elements[at];
        if (element.kind == ElementKind::kRule) {
          sequence.push_back(Symbol::Rule(mapped[element.rule]));
        } else {
          sequence.push_back(Symbol::Chars({rules.ranges.begin() + element.ranges_begin, rules.ranges.begin() + element.ranges_end},
                                           element.negated));
        }
      }
      alternatives.push_back(std::move(sequence));
    }
    Define(mapped[r], std::move(alternatives));
  }
  by_name_.emplace(std::string(name), mapped[rules.root]);
  return mapped[rules.root];
}

Sequence RulesBuilder::Literal(std::string_view utf8) {
  Sequence out;
  while (!utf8.empty()) {
    const int length = tokenization::CompleteUtf8Prefix(utf8);
    if (length <= 0) ThrowInvalid("grammar: a literal is not valid UTF-8");
    const auto code_points = tokenization::DecodeUtf8Lenient(utf8.substr(0, static_cast<size_t>(length)));
    out.push_back(Symbol::CodePoint(code_points.front()));
    utf8.remove_prefix(static_cast<size_t>(length));
  }
  return out;
}

void RulesBuilder::CheckLeftRecursion() const {
  // Which rules can match the empty string (a fixed point: a rule is nullable once one of its
  // alternatives holds only nullable rules).
  std::vector<bool> nullable(defs_.size(), false);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t r = 0; r < defs_.size(); ++r) {
      if (nullable[r]) continue;
      for (const Sequence& sequence : defs_[r].alternatives) {
        const bool empty = std::all_of(sequence.begin(), sequence.end(), [&](const Symbol& s) {
          return s.kind == ElementKind::kRule && nullable[s.rule];
        });
        if (empty) {
          nullable[r] = changed = true;
          break;
        }
      }
    }
  }
  // Rule a leads to rule b when b can be the first thing a matches; a cycle is left recursion.
  std::vector<std::vector<uint32_t>> leads(defs_.size());
  for (size_t r = 0; r < defs_.size(); ++r) {
    for (const Sequence& sequence : defs_[r].alternatives) {
      for (const Symbol& symbol : sequence) {
        if (symbol.kind != ElementKind::kRule) break;
        leads[r].push_back(symbol.rule);
        if (!nullable[symbol.rule]) break;
      }
    }
  }
  // Depth-first, with an explicit stack: a hostile grammar may chain thousands of rules.
  enum class Mark : uint8_t { kNew, kOnPath, kDone };
  std::vector<Mark> marks(defs_.size(), Mark::kNew);
  std::vector<std::pair<uint32_t, size_t>> path;  // (rule, next lead to look at)
  for (uint32_t start = 0; start < defs_.size(); ++start) {
    if (marks[start] != Mark::kNew) continue;
    marks[start] = Mark::kOnPath;
    path.emplace_back(start, 0);
    while (!path.empty()) {
      auto& [rule, next] = path.back();
      if (next == leads[rule].size()) {
        marks[rule] = Mark::kDone;
        path.pop_back();
        continue;
      }
      const uint32_t lead = leads[rule][next++];
      if (marks[lead] == Mark::kOnPath) {
        std::string chain;
        bool on_cycle = false;
        for (const auto& [r, unused] : path) {
          on_cycle = on_cycle || r == lead;
          if (on_cycle) chain += defs_[r].name + " -> ";
        }
        ThrowInvalid("grammar: rule '" + defs_[lead].name + "' is left-recursive (" + chain + defs_[lead].name + ")");
      }
      if (marks[lead] == Mark::kNew) {
        marks[lead] = Mark::kOnPath;
        path.emplace_back(lead, 0);
      }
    }
  }
}

Rules RulesBuilder::Finish(std::string_view root) const {
  const auto found = by_name_.find(std::string(root));
  if (found == by_name_.end() || !defs_[found->second].defined) {
    ThrowInvalid("grammar: there is no rule '" + std::string(root) + "' to start from");
  }
  for (const Definition& def : defs_) {
    if (!def.defined) ThrowInvalid("grammar: rule '" + def.name + "' is used but never defined");
  }
  CheckLeftRecursion();
  Rules rules;
  rules.root = found->second;
  rules.alternatives.resize(defs_.size());
  for (size_t r = 0; r < defs_.size(); ++r) {
    rules.names.push_back(defs_[r].name);
    for (const Sequence& sequence : defs_[r].alternatives) {
      rules.alternatives[r].push_back(static_cast<uint32_t>(rules.elements.size()));
      for (const Symbol& symbol : sequence) {
        Element element;
        element.kind = symbol.kind;
        element.negated = symbol.negated;
        element.rule = symbol.rule;
        element.ranges_begin = static_cast<uint32_t>(rules.ranges.size());
        rules.ranges.insert(rules.ranges.end(), symbol.ranges.begin(), symbol.ranges.end());
        element.ranges_end = static_cast<uint32_t>(rules.ranges.size());
        rules.elements.push_back(element);
      }
      rules.elements.push_back(Element{});
    }
  }
  return rules;
}

}  // namespace troupe::engine::grammar
