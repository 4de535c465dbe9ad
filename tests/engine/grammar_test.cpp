// Grammars for constrained decoding: the text form's syntax and its errors (line and column), what
// a grammar matches (through the byte automaton the token constraint uses: UTF-8, classes,
// repetition, nesting), left recursion refused, and ToText parsing back to the same language.
#include "engine/grammar.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "engine/error.h"
#include "engine/grammar/rules.h"

namespace troupe::engine {
namespace {

// Where the text leaves the grammar: "match", "prefix" (may still become a match) or "dead".
std::string Judge(const Grammar& grammar, std::string_view text) {
  switch (grammar.Check(text)) {
    case Grammar::Match::kWhole: return "match";
    case Grammar::Match::kPrefix: return "prefix";
    case Grammar::Match::kNone: return "dead";
  }
  return "?";
}

std::string GrammarError(std::string_view text) {
  try {
    Grammar::Parse(text);
  } catch (const EngineError& error) {
    EXPECT_EQ(error.kind(), EngineError::Kind::kInvalidInput);
    return error.what();
  }
  return "parsed";
}

TEST(GrammarTest, LiteralsClassesAndAlternatives) {
  const Grammar grammar = Grammar::Parse(R"(
    root ::= greeting " " name | "bye"   # two ways
    greeting ::= "hi" | "hello"
    name ::= [A-Z] [a-z]*
  )");
  EXPECT_EQ(Judge(grammar, "hi Bob"), "match");
  EXPECT_EQ(Judge(grammar, "hello Ann"), "match");
  EXPECT_EQ(Judge(grammar, "bye"), "match");
  EXPECT_EQ(Judge(grammar, "hello "), "prefix");
  EXPECT_EQ(Judge(grammar, "hello bob"), "dead");
  EXPECT_EQ(Judge(grammar, "hey"), "dead");
  EXPECT_EQ(Judge(grammar, "bye!"), "dead");
}

TEST(GrammarTest, RepetitionBounds) {
  const Grammar grammar = Grammar::Parse(R"(root ::= "a"{2,3} "b"? ("c" "d")+ [0-9]{2} "e"{1,})");
  EXPECT_EQ(Judge(grammar, "aacd42e"), "match");
  EXPECT_EQ(Judge(grammar, "aaabcdcd00eee"), "match");
  EXPECT_EQ(Judge(grammar, "acd42e"), "dead");
  EXPECT_EQ(Judge(grammar, "aaaacd42e"), "dead");
  EXPECT_EQ(Judge(grammar, "aacd4e"), "dead");
  EXPECT_EQ(Judge(grammar, "aac"), "prefix");
  EXPECT_EQ(Judge(grammar, "aa42e"), "dead");
  const Grammar exact = Grammar::Parse(R"(root ::= [xy]{3})");
  EXPECT_EQ(Judge(exact, "xyx"), "match");
  EXPECT_EQ(Judge(exact, "xy"), "prefix");
  EXPECT_EQ(Judge(exact, "xyxy"), "dead");
}

TEST(GrammarTest, NegatedClassesAnyCharacterAndEscapes) {
  const Grammar grammar = Grammar::Parse(R"(root ::= "\"" [^"\\\n]* "\"" . "\x41\u00e9\t" [\]\-])");
  EXPECT_EQ(Judge(grammar, "\"a b\"?A\xC3\xA9\t]"), "match");
  EXPECT_EQ(Judge(grammar, "\"a b\"?A\xC3\xA9\t-"), "match");
  EXPECT_EQ(Judge(grammar, "\"a\nb\""), "dead");
  EXPECT_EQ(Judge(grammar, "\"a\\"), "dead");
}

TEST(GrammarTest, MultiByteCharactersAndInvalidUtf8) {
  const Grammar grammar = Grammar::Parse(R"(root ::= [α-ω]+ "€")");
  EXPECT_EQ(Judge(grammar, "αβγ€"), "match");
  // A character split anywhere is a prefix only while it can still become an allowed one.
  EXPECT_EQ(Judge(grammar, "α\xCE"), "prefix");
  EXPECT_EQ(Judge(grammar, "α\xE2\x82"), "prefix");
  EXPECT_EQ(Judge(grammar, "α\xE2\x83"), "dead");  // U+20C0.. is not the euro sign
  EXPECT_EQ(Judge(grammar, "a"), "dead");
  EXPECT_EQ(Judge(grammar, "\xCE"), "prefix");
  EXPECT_EQ(Judge(grammar, "\xC0\x80"), "dead");  // overlong
  EXPECT_EQ(Judge(grammar, "\x80"), "dead");      // a stray continuation byte
  const Grammar any = Grammar::Parse("root ::= .*");
  EXPECT_EQ(Judge(any, "\xED\xA0\x80"), "dead");  // a surrogate is not a character
  EXPECT_EQ(Judge(any, "\xF0\x9F\x98\x80 ok"), "match");
}

TEST(GrammarTest, NestingAndRecursionOnTheRight) {
  const Grammar grammar = Grammar::Parse(R"(
    root ::= list
    list ::= "[" (item ("," item)*)? "]"
    item ::= list | [0-9]+
  )");
  EXPECT_EQ(Judge(grammar, "[]"), "match");
  EXPECT_EQ(Judge(grammar, "[1,[2,[]],[[3]]]"), "match");
  EXPECT_EQ(Judge(grammar, "[1,[2,"), "prefix");
  EXPECT_EQ(Judge(grammar, "[1,]"), "dead");
  EXPECT_EQ(Judge(grammar, "[[1]"), "prefix");
}

TEST(GrammarTest, AnotherRootAndEmptyAlternatives) {
  const Grammar grammar = Grammar::Parse("start ::= \"x\" tail\ntail ::= \"y\" | ", "start");
  EXPECT_EQ(Judge(grammar, "x"), "match");
  EXPECT_EQ(Judge(grammar, "xy"), "match");
  EXPECT_EQ(Judge(grammar, "xyy"), "dead");
}

TEST(GrammarTest, SyntaxErrorsSayLineAndColumn) {
  EXPECT_EQ(GrammarError("root ::= \"a\"\nother ::= \"b"), "grammar line 2 column 13: unterminated string");
  EXPECT_EQ(GrammarError("root = \"a\""), "grammar line 1 column 6: expected '::=' after 'root'");
  EXPECT_EQ(GrammarError("root ::= [a-"), "grammar line 1 column 13: unterminated character class");
  EXPECT_EQ(GrammarError("root ::= [z-a]"), "grammar line 1 column 14: character range is backwards");
  EXPECT_EQ(GrammarError("root ::= (\"a\""), "grammar line 1 column 14: expected ')'");
  EXPECT_EQ(GrammarError("root ::= \"\\q\""), "grammar line 1 column 11: unknown escape '\\q'");
  EXPECT_EQ(GrammarError("root ::= \"a\"{3,2}"), "grammar line 1 column 10: repetition {3,2} is empty");
  EXPECT_EQ(GrammarError("root ::= \"a\"{99999}"), "grammar line 1 column 18: repetition bound above 10000");
  EXPECT_EQ(GrammarError("root ::= \"\\u12\""), "grammar line 1 column 15: expected 4 hex digits");
  EXPECT_EQ(GrammarError("root ::= )"), "grammar line 1 column 10: unexpected ')'");
}

TEST(GrammarTest, RuleErrorsNameTheRule) {
  EXPECT_EQ(GrammarError("root ::= thing"), "grammar: rule 'thing' is used but never defined");
  EXPECT_EQ(GrammarError("top ::= \"a\""), "grammar: there is no rule 'root' to start from");
  EXPECT_EQ(GrammarError("root ::= \"a\"\nroot ::= \"b\""), "grammar line 2 column 1: rule 'root' is defined twice");
  EXPECT_EQ(GrammarError("root ::= expr\nexpr ::= expr \"+\" [0-9] | [0-9]"),
            "grammar: rule 'expr' is left-recursive (expr -> expr)");
  // Left recursion through a rule that can match nothing.
  EXPECT_EQ(GrammarError("root ::= a\na ::= b a \"x\" | \"y\"\nb ::= \"z\"?"),
            "grammar: rule 'a' is left-recursive (a -> a)");
  EXPECT_EQ(GrammarError("root ::= a\na ::= b\nb ::= a \"x\""), "grammar: rule 'a' is left-recursive (a -> b -> a)");
}

TEST(GrammarTest, AmbiguityIsBounded) {
  // After n a's, every sequence of n closing letters is still possible: 2^n stacks.
  const Grammar grammar = Grammar::Parse("root ::= \"a\" root \"b\" | \"a\" root \"c\" | \"\"");
  EXPECT_EQ(Judge(grammar, "aaacbb"), "match");
  try {
    Judge(grammar, std::string(13, 'a'));
    FAIL() << "expected the matcher to refuse";
  } catch (const EngineError& error) {
    EXPECT_NE(std::string(error.what()).find("too ambiguous"), std::string::npos) << error.what();
  }
}

TEST(GrammarTest, ToTextParsesBackToTheSameLanguage) {
  const Grammar grammar = Grammar::Parse(R"(
    root ::= "{" [^"\\\]-]{1,3} ("x" | "y")* "\u00e9\n" . [a-c0-9]? "}"
  )");
  // The same rules, maybe in another order.
  const auto sorted_lines = [](const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  const std::string text = grammar.ToText();
  const Grammar again = Grammar::Parse(text);
  EXPECT_EQ(sorted_lines(again.ToText()), sorted_lines(text));
  for (std::string_view sample : {"{ab\xC3\xA9\n!}", "{q]xyx\xC3\xA9\nzc}", "{\xC3\xA9\n!}", "{abcd\xC3\xA9\n!}"}) {
    EXPECT_EQ(Judge(grammar, sample), Judge(again, sample)) << sample;
  }
  EXPECT_EQ(Judge(grammar, "{ab\xC3\xA9\n!}"), "match");
  EXPECT_GT(grammar.rule_count(), 1u);
}

}  // namespace
}  // namespace troupe::engine
