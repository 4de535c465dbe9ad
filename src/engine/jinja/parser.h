// Builds the statement tree from tokens, following Jinja2's grammar and operator precedence
// (filters bind tighter than arithmetic, `-x ** 2` is `(-x) ** 2`, `for x in y if cond` filters
// before looping). Expressions deeper than kMaxExpressionDepth are refused too. Unknown filter and test names fail when they run, not here: like Jinja2, a
// template may guard a filter with `if 'name' is filter`. Nesting deeper than kMaxNesting (brackets, unary operators, blocks) is refused
// so a hostile template cannot exhaust the stack.
#pragma once

#include <vector>

#include "engine/jinja/ast.h"
#include "engine/jinja/lexer.h"

namespace troupe::engine::jinja {

inline constexpr int kMaxNesting = 100;
// How deep one expression's tree may be, counting chains like a + b + c or x | f | g.
inline constexpr int kMaxExpressionDepth = 300;
// Arguments in one call; builtins match keywords to parameters one by one.
inline constexpr size_t kMaxArguments = 256;

// Throws EngineError(kInvalidInput) "chat template line L, column C: ..." on a syntax error, and
// EngineError(kUnsupported) for Jinja features outside the chat-template subset (include,
// extends, import, block, recursive loops, *args).
Body Parse(const std::vector<Token>& tokens);

}  // namespace troupe::engine::jinja
