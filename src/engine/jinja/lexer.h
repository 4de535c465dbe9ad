// Splits template source into tokens the way Jinja2's lexer does with the Hugging Face settings:
// trim_blocks (the newline after a block or comment tag is dropped), lstrip_blocks (blanks before
// a block or comment tag at the start of a line are dropped), `-` and `+` whitespace control,
// {% raw %}, one trailing newline dropped, and \r\n / \r read as \n. Template text comes out with
// all of that already applied, so the parser never thinks about whitespace.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::engine::jinja {

enum class TokenKind {
  kText,           // literal template text, whitespace control applied
  kVariableBegin,  // {{
  kVariableEnd,    // }}
  kBlockBegin,     // {%
  kBlockEnd,       // %}
  kName,
  kString,   // text holds the decoded value
  kInteger,  // integer holds the value
  kFloat,    // floating holds the value
  kOperator,
  kEnd,  // end of the template
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;
  int64_t integer = 0;
  double floating = 0.0;
  int line = 1;
  int column = 1;
};

// Throws EngineError(kInvalidInput) "chat template line L, column C: ..." on malformed input
// (an unclosed tag, comment or string, a bad escape, an unknown character).
std::vector<Token> Tokenize(std::string_view source);

}  // namespace troupe::engine::jinja
