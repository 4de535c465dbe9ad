// Grammar::Parse: the GBNF-like text form (engine/grammar.h) by recursive descent into a
// RulesBuilder.
#include <cctype>
#include <string>

#include "engine/error.h"
#include "engine/grammar.h"
#include "engine/grammar/rules.h"
#include "engine/tokenizer/utf8.h"

namespace troupe::engine {
namespace {

using grammar::CharRange;
using grammar::RulesBuilder;
using grammar::Sequence;
using grammar::Symbol;

constexpr int kMaxNesting = 64;

bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-'; }

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  grammar::Rules Run(std::string_view root, const std::map<std::string, Grammar>& imports) {
    for (const auto& [name, imported] : imports) builder_.Import(imported.rules(), name);
    SkipSpace();
    while (!AtEnd()) {
      const size_t name_at = at_;
      const std::string name = ReadName();
      if (name.empty()) Fail("expected a rule name");
      SkipSpace();
      if (!Take("::=")) Fail("expected '::=' after '" + name + "'");
      const uint32_t rule = builder_.Named(name);
      if (builder_.defined(rule)) Fail("rule '" + name + "' is defined twice", name_at);
      builder_.Define(rule, ReadAlternatives(0));
      if (!AtEnd() && !AtRuleStart()) Fail("unexpected '" + std::string(1, Peek()) + "'");
    }
    return builder_.Finish(root);
  }

 private:
  std::vector<Sequence> ReadAlternatives(int depth) {
    if (depth > kMaxNesting) Fail("groups nested more than " + std::to_string(kMaxNesting) + " deep");
    std::vector<Sequence> alternatives;
    alternatives.push_back(ReadSequence(depth));
    while (Peek() == '|') {
      ++at_;
      alternatives.push_back(ReadSequence(depth));
    }
    return alternatives;
  }

  Sequence ReadSequence(int depth) {
    Sequence sequence;
    for (;;) {
      SkipSpace();
      if (AtEnd() || Peek() == '|' || Peek() == ')' || AtRuleStart()) return sequence;
      const size_t item_at = at_;
      ReadPostfixes(ReadPrimary(depth), item_at, sequence);
    }
  }

  // An element as alternatives: a literal or a group stays inline unless a postfix applies to it.
  std::vector<Sequence> ReadPrimary(int depth) {
    const char c = Peek();
    if (c == '"') {
      ++at_;
      Sequence literal;
      while (!AtEnd() && Peek() != '"') literal.push_back(Symbol::CodePoint(ReadCodePoint()));
      if (!Take("\"")) Fail("unterminated string");
      return {std::move(literal)};
    }
    if (c == '[') return {{ReadClass()}};
    if (c == '.') {
      ++at_;
      return {{Symbol::Chars({}, /*negated=*/true)}};
    }
    if (c == '(') {
      ++at_;
      std::vector<Sequence> alternatives = ReadAlternatives(depth + 1);
      SkipSpace();
      if (!Take(")")) Fail("expected ')'");
      return alternatives;
    }
    const std::string name = ReadName();
    if (name.empty()) Fail("unexpected '" + std::string(1, c) + "'");
    return {{Symbol::Rule(builder_.Named(name))}};
  }

  Symbol ReadClass() {
    ++at_;  // [
    const bool negated = Peek() == '^';
    if (negated) ++at_;
    std::vector<CharRange> ranges;
    while (!AtEnd() && Peek() != ']') {
      const uint32_t first = ReadCodePoint();
      uint32_t last = first;
      if (Peek() == '-' && at_ + 1 < text_.size() && text_[at_ + 1] != ']') {
        ++at_;
        last = ReadCodePoint();
        if (last < first) Fail("character range is backwards");
      }
      ranges.push_back({first, last});
    }
    if (!Take("]")) Fail("unterminated character class");
    return Symbol::Chars(std::move(ranges), negated);
  }

  void ReadPostfixes(std::vector<Sequence> primary, size_t item_at, Sequence& sequence) {
    if (!IsPostfix(Peek())) {
      if (primary.size() == 1) {
        sequence.insert(sequence.end(), primary.front().begin(), primary.front().end());
      } else {
        sequence.push_back(builder_.Group(std::move(primary), "group"));
      }
      return;
    }
    Symbol symbol = builder_.Group(std::move(primary), "group");
    for (;;) {
      const char c = Peek();
      int min = 0;
      int max = -1;
      if (c == '*') {
        ++at_;
      } else if (c == '+') {
        ++at_;
        min = 1;
      } else if (c == '?') {
        ++at_;
        max = 1;
      } else if (c == '{') {
        ReadBounds(min, max);
      } else {
        sequence.push_back(std::move(symbol));
        return;
      }
      try {
        symbol = builder_.Group({builder_.Repeat(symbol, min, max, "repeat")}, "repeat");
      } catch (const EngineError& error) {
        Fail(std::string(error.what()).substr(sizeof("grammar: ") - 1), item_at);
      }
    }
  }

  static bool IsPostfix(char c) { return c == '*' || c == '+' || c == '?' || c == '{'; }

  void ReadBounds(int& min, int& max) {
    ++at_;  // {
    SkipSpace();
    min = ReadNumber();
    SkipSpace();
    max = min;
    if (Take(",")) {
      SkipSpace();
      max = std::isdigit(static_cast<unsigned char>(Peek())) != 0 ? ReadNumber() : -1;
      SkipSpace();
    }
    if (!Take("}")) Fail("expected '}' after a repetition bound");
  }

  int ReadNumber() {
    if (std::isdigit(static_cast<unsigned char>(Peek())) == 0) Fail("expected a number");
    int value = 0;
    while (std::isdigit(static_cast<unsigned char>(Peek())) != 0) {
      value = value * 10 + (Peek() - '0');
      if (value > grammar::kMaxRepetition) Fail("repetition bound above " + std::to_string(grammar::kMaxRepetition));
      ++at_;
    }
    return value;
  }

  // One character of a literal or class: an escape or one UTF-8 character.
  uint32_t ReadCodePoint() {
    if (AtEnd()) Fail("unexpected end");
    if (Peek() != '\\') {
      const std::string_view rest = text_.substr(at_);
      const int length = tokenization::CompleteUtf8Prefix(rest);
      if (length <= 0) Fail("invalid UTF-8");
      at_ += static_cast<size_t>(length);
      return tokenization::DecodeUtf8Lenient(rest.substr(0, static_cast<size_t>(length))).front();
    }
    ++at_;
    if (AtEnd()) Fail("unexpected end after '\\'");
    const char c = text_[at_++];
    switch (c) {
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case '\\': case '"': case '\'': case '[': case ']': case '-': case '^': case '/': return static_cast<uint32_t>(c);
      case 'x': return ReadHex(2);
      case 'u': return ReadHex(4);
      case 'U': return ReadHex(8);
      default: Fail("unknown escape '\\" + std::string(1, c) + "'", at_ - 2);
    }
  }

  uint32_t ReadHex(int digits) {
    uint32_t value = 0;
    for (int i = 0; i < digits; ++i) {
      const char c = Peek();
      if (std::isxdigit(static_cast<unsigned char>(c)) == 0) Fail("expected " + std::to_string(digits) + " hex digits");
      value = value * 16 + static_cast<uint32_t>(std::isdigit(static_cast<unsigned char>(c)) != 0 ? c - '0' : (c | 0x20) - 'a' + 10);
      ++at_;
    }
    if (value > grammar::kMaxCodePoint) Fail("code point above U+10FFFF");
    return value;
  }

  std::string ReadName() {
    const size_t start = at_;
    while (!AtEnd() && IsNameChar(Peek())) ++at_;
    return std::string(text_.substr(start, at_ - start));
  }

  // Whether a `name ::=` begins here: the end of the rule before it.
  bool AtRuleStart() const {
    size_t at = at_;
    while (at < text_.size() && IsNameChar(text_[at])) ++at;
    if (at == at_) return false;
    while (at < text_.size() && (text_[at] == ' ' || text_[at] == '\t' || text_[at] == '\n' || text_[at] == '\r')) ++at;
    return text_.substr(at, 3) == "::=";
  }

  void SkipSpace() {
    while (!AtEnd()) {
      const char c = Peek();
      if (c == '#') {
        while (!AtEnd() && Peek() != '\n') ++at_;
      } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++at_;
      } else {
        return;
      }
    }
  }

  bool Take(std::string_view token) {
    if (text_.substr(at_, token.size()) != token) return false;
    at_ += token.size();
    return true;
  }
  bool AtEnd() const { return at_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[at_]; }

  [[noreturn]] void Fail(const std::string& what) const { Fail(what, at_); }
  [[noreturn]] void Fail(const std::string& what, size_t at) const {
    size_t line = 1;
    size_t column = 1;
    for (size_t i = 0; i < at && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    ThrowInvalid("grammar line " + std::to_string(line) + " column " + std::to_string(column) + ": " + what);
  }

  std::string_view text_;
  size_t at_ = 0;
  RulesBuilder builder_;
};

}  // namespace

Grammar Grammar::Parse(std::string_view text, std::string_view root) { return Parse(text, root, {}); }

Grammar Grammar::Parse(std::string_view text, std::string_view root, const std::map<std::string, Grammar>& imports) {
  return Grammar(std::make_shared<const grammar::Rules>(Parser(text).Run(root, imports)));
}

}  // namespace troupe::engine
