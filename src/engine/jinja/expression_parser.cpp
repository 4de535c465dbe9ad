// Expressions, by precedence from conditionals down to primaries, then postfix calls, subscripts,
// filters and tests (parser_internal.h).
#include <string>
#include <string_view>

#include "engine/error.h"
#include "engine/jinja/parser_internal.h"
#include "engine/jinja/syntax_error.h"

namespace troupe::engine::jinja::parsing {

// Records how deep a finished node's tree is. Chains such as 1+1+1+... or a.b.c... are built
// in loops, not by recursion, so only this bounds the depth that evaluating and destroying
// the tree will recurse to.
ExprPtr Parser::Seal(ExprPtr expr) {
  int deepest = 0;
  auto note = [&](const ExprPtr& child) {
    if (child) deepest = std::max(deepest, child->depth);
  };
  note(expr->object);
  note(expr->other);
  note(expr->condition);
  note(expr->step);
  for (const ExprPtr& item : expr->items) note(item);
  for (const ArgumentExprs* arguments : {&expr->arguments, &expr->filter.arguments}) {
    for (const ExprPtr& argument : arguments->positional) note(argument);
    for (const auto& keyword : arguments->keyword) note(keyword.second);
  }
  expr->depth = deepest + 1;
  if (expr->depth > kMaxExpressionDepth) {
    Fail("expression nests more than " + std::to_string(kMaxExpressionDepth) + " levels deep");
  }
  return expr;
}

// An expression, or several separated by commas (a tuple, which is a list here).
ExprPtr Parser::ParseTuple(bool with_conditional) {
  int line = Current().line;
  ExprPtr first = ParseConditional(with_conditional);
  if (!IsOperator(",")) return first;
  auto tuple = MakeExpr(Expr::Kind::kList, line);
  tuple->is_tuple = true;
  tuple->items.push_back(std::move(first));
  while (SkipOperator(",")) {
    if (!StartsExpression()) break;
    tuple->items.push_back(ParseConditional(with_conditional));
  }
  return Seal(std::move(tuple));
}

bool Parser::StartsExpression() const {
  const Token& token = Current();
  switch (token.kind) {
    case TokenKind::kName:
    case TokenKind::kString:
    case TokenKind::kInteger:
    case TokenKind::kFloat:
      return true;
    case TokenKind::kOperator:
      return token.text == "(" || token.text == "[" || token.text == "{" || token.text == "-" || token.text == "+";
    default:
      return false;
  }
}

ExprPtr Parser::ParseConditional(bool with_conditional) {
  NestingGuard guard(*this);
  ExprPtr expr = ParseOr();
  if (!with_conditional) return expr;
  while (IsName("if")) {
    int line = Advance().line;
    auto conditional = MakeExpr(Expr::Kind::kConditional, line);
    conditional->object = std::move(expr);
    conditional->condition = ParseOr();
    if (SkipName("else")) conditional->other = ParseConditional(true);
    expr = Seal(std::move(conditional));
  }
  return expr;
}

ExprPtr Parser::MakeBinary(BinaryOp op, ExprPtr left, ExprPtr right, int line) {
  auto binary = MakeExpr(Expr::Kind::kBinary, line);
  binary->binary_op = op;
  binary->object = std::move(left);
  binary->other = std::move(right);
  return Seal(std::move(binary));
}

ExprPtr Parser::ParseOr() {
  ExprPtr left = ParseAnd();
  while (IsName("or")) {
    int line = Advance().line;
    left = MakeBinary(BinaryOp::kOr, std::move(left), ParseAnd(), line);
  }
  return left;
}

ExprPtr Parser::ParseAnd() {
  ExprPtr left = ParseNot();
  while (IsName("and")) {
    int line = Advance().line;
    left = MakeBinary(BinaryOp::kAnd, std::move(left), ParseNot(), line);
  }
  return left;
}

ExprPtr Parser::ParseNot() {
  if (IsName("not")) {
    NestingGuard guard(*this);
    auto negation = MakeExpr(Expr::Kind::kUnary, Advance().line);
    negation->unary_op = UnaryOp::kNot;
    negation->object = ParseNot();
    return Seal(std::move(negation));
  }
  return ParseCompare();
}

ExprPtr Parser::ParseCompare() {
  int line = Current().line;
  ExprPtr first = ParseAdditive();
  ExprPtr compare;
  while (true) {
    CompareOp op;
    if (SkipOperator("==")) {
      op = CompareOp::kEqual;
    } else if (SkipOperator("!=")) {
      op = CompareOp::kNotEqual;
    } else if (SkipOperator("<")) {
      op = CompareOp::kLess;
    } else if (SkipOperator("<=")) {
      op = CompareOp::kLessEqual;
    } else if (SkipOperator(">")) {
      op = CompareOp::kGreater;
    } else if (SkipOperator(">=")) {
      op = CompareOp::kGreaterEqual;
    } else if (SkipName("in")) {
      op = CompareOp::kIn;
    } else if (IsName("not") && Peek(1).kind == TokenKind::kName && Peek(1).text == "in") {
      Advance();
      Advance();
      op = CompareOp::kNotIn;
    } else {
      break;
    }
    if (!compare) {
      compare = MakeExpr(Expr::Kind::kCompare, line);
      compare->items.push_back(std::move(first));
    }
    compare->compare_ops.push_back(op);
    compare->items.push_back(ParseAdditive());
  }
  return compare ? Seal(std::move(compare)) : std::move(first);
}

ExprPtr Parser::ParseAdditive() {
  ExprPtr left = ParseConcat();
  while (IsOperator("+") || IsOperator("-")) {
    const Token& op = Advance();
    left = MakeBinary(op.text == "+" ? BinaryOp::kAdd : BinaryOp::kSubtract, std::move(left), ParseConcat(), op.line);
  }
  return left;
}

ExprPtr Parser::ParseConcat() {
  ExprPtr left = ParseMultiplicative();
  while (IsOperator("~")) {
    int line = Advance().line;
    left = MakeBinary(BinaryOp::kConcat, std::move(left), ParseMultiplicative(), line);
  }
  return left;
}

ExprPtr Parser::ParseMultiplicative() {
  ExprPtr left = ParsePower();
  while (IsOperator("*") || IsOperator("/") || IsOperator("//") || IsOperator("%")) {
    const Token& op = Advance();
    BinaryOp kind = op.text == "*"    ? BinaryOp::kMultiply
                    : op.text == "/"  ? BinaryOp::kDivide
                    : op.text == "//" ? BinaryOp::kFloorDivide
                                      : BinaryOp::kModulo;
    left = MakeBinary(kind, std::move(left), ParsePower(), op.line);
  }
  return left;
}

ExprPtr Parser::ParsePower() {
  ExprPtr left = ParseUnary(true);
  while (IsOperator("**")) {
    int line = Advance().line;
    left = MakeBinary(BinaryOp::kPower, std::move(left), ParseUnary(true), line);
  }
  return left;
}

ExprPtr Parser::ParseUnary(bool with_filters) {
  NestingGuard guard(*this);
  ExprPtr expr;
  if (IsOperator("-") || IsOperator("+")) {
    const Token& op = Advance();
    expr = MakeExpr(Expr::Kind::kUnary, op.line);
    expr->unary_op = op.text == "-" ? UnaryOp::kNegate : UnaryOp::kPlus;
    expr->object = ParseUnary(false);
    expr = Seal(std::move(expr));
  } else {
    expr = ParsePrimary();
  }
  expr = ParsePostfix(std::move(expr));
  if (with_filters) expr = ParseFiltersAndTests(std::move(expr));
  return expr;
}

ExprPtr Parser::ParsePrimary() {
  const Token& token = Current();
  int line = token.line;
  switch (token.kind) {
    case TokenKind::kName: {
      Advance();
      auto expr = MakeExpr(Expr::Kind::kLiteral, line);
      if (token.text == "true" || token.text == "True") {
        expr->value = Value::Bool(true);
      } else if (token.text == "false" || token.text == "False") {
        expr->value = Value::Bool(false);
      } else if (token.text == "none" || token.text == "None") {
        expr->value = Value::None();
      } else {
        expr->kind = Expr::Kind::kName;
        expr->name = token.text;
      }
      return expr;
    }
    case TokenKind::kString: {
      std::string text;
      while (Current().kind == TokenKind::kString) text += Advance().text;  // "a" "b" is "ab"
      auto expr = MakeExpr(Expr::Kind::kLiteral, line);
      expr->value = Value::String(std::move(text));
      return expr;
    }
    case TokenKind::kInteger: {
      auto expr = MakeExpr(Expr::Kind::kLiteral, line);
      expr->value = Value::Int(Advance().integer);
      return expr;
    }
    case TokenKind::kFloat: {
      auto expr = MakeExpr(Expr::Kind::kLiteral, line);
      expr->value = Value::Float(Advance().floating);
      return expr;
    }
    case TokenKind::kOperator:
      if (token.text == "(") return ParseParenthesized();
      if (token.text == "[") return ParseListLiteral();
      if (token.text == "{") return ParseDictLiteral();
      break;
    default:
      break;
  }
  Fail("unexpected " + Describe(token));
}

ExprPtr Parser::ParseParenthesized() {
  int line = Advance().line;
  if (SkipOperator(")")) {  // ()
    auto empty = MakeExpr(Expr::Kind::kList, line);
    empty->is_tuple = true;
    return empty;
  }
  ExprPtr first = ParseConditional(true);
  if (SkipOperator(")")) return first;
  auto tuple = MakeExpr(Expr::Kind::kList, line);
  tuple->is_tuple = true;
  tuple->items.push_back(std::move(first));
  while (SkipOperator(",")) {
    if (IsOperator(")")) break;
    tuple->items.push_back(ParseConditional(true));
  }
  ExpectOperator(")");
  return Seal(std::move(tuple));
}

ExprPtr Parser::ParseListLiteral() {
  auto list = MakeExpr(Expr::Kind::kList, Advance().line);
  while (!IsOperator("]")) {
    if (!list->items.empty()) ExpectOperator(",");
    if (IsOperator("]")) break;
    list->items.push_back(ParseConditional(true));
  }
  Advance();
  return Seal(std::move(list));
}

ExprPtr Parser::ParseDictLiteral() {
  auto dict = MakeExpr(Expr::Kind::kDict, Advance().line);
  while (!IsOperator("}")) {
    if (!dict->items.empty()) ExpectOperator(",");
    if (IsOperator("}")) break;
    dict->items.push_back(ParseConditional(true));
    ExpectOperator(":");
    dict->items.push_back(ParseConditional(true));
  }
  Advance();
  return Seal(std::move(dict));
}

ExprPtr Parser::ParsePostfix(ExprPtr expr) {
  while (true) {
    if (IsOperator(".")) {
      int line = Advance().line;
      if (Current().kind == TokenKind::kInteger) {
        auto subscript = MakeExpr(Expr::Kind::kSubscript, line);
        subscript->object = std::move(expr);
        subscript->other = MakeExpr(Expr::Kind::kLiteral, line);
        subscript->other->value = Value::Int(Advance().integer);
        expr = Seal(std::move(subscript));
      } else {
        auto attribute = MakeExpr(Expr::Kind::kAttribute, line);
        attribute->object = std::move(expr);
        attribute->name = ExpectName();
        expr = Seal(std::move(attribute));
      }
    } else if (IsOperator("[")) {
      expr = ParseSubscript(std::move(expr));
    } else if (IsOperator("(")) {
      expr = ParseCall(std::move(expr));
    } else {
      return expr;
    }
  }
}

ExprPtr Parser::ParseSubscript(ExprPtr object) {
  int line = Advance().line;
  ExprPtr start;
  if (!IsOperator(":")) {
    start = ParseTuple(true);
    if (SkipOperator("]")) {
      auto subscript = MakeExpr(Expr::Kind::kSubscript, line);
      subscript->object = std::move(object);
      subscript->other = std::move(start);
      return Seal(std::move(subscript));
    }
  }
  auto slice = MakeExpr(Expr::Kind::kSlice, line);
  slice->object = std::move(object);
  slice->condition = std::move(start);
  ExpectOperator(":");
  if (!IsOperator("]") && !IsOperator(":")) slice->other = ParseConditional(true);
  if (SkipOperator(":") && !IsOperator("]")) slice->step = ParseConditional(true);
  ExpectOperator("]");
  return Seal(std::move(slice));
}

ArgumentExprs Parser::ParseArguments() {
  ArgumentExprs arguments;
  ExpectOperator("(");
  bool first = true;
  while (!IsOperator(")")) {
    if (!first) ExpectOperator(",");
    first = false;
    if (IsOperator(")")) break;
    if (IsOperator("*") || IsOperator("**")) Fail("*args and **kwargs are not supported");
    if (arguments.positional.size() + arguments.keyword.size() >= kMaxArguments) {
      Fail("more than " + std::to_string(kMaxArguments) + " arguments in one call");
    }
    if (Current().kind == TokenKind::kName && Peek(1).kind == TokenKind::kOperator && Peek(1).text == "=") {
      std::string name = Advance().text;
      Advance();
      arguments.keyword.emplace_back(std::move(name), ParseConditional(true));
    } else {
      if (!arguments.keyword.empty()) Fail("positional argument follows keyword argument");
      arguments.positional.push_back(ParseConditional(true));
    }
  }
  Advance();
  return arguments;
}

ExprPtr Parser::ParseCall(ExprPtr callee) {
  auto call = MakeExpr(Expr::Kind::kCall, Current().line);
  call->object = std::move(callee);
  call->arguments = ParseArguments();
  return Seal(std::move(call));
}

FilterCall Parser::ParseFilterCall() {
  FilterCall filter;
  filter.line = Current().line;
  filter.name = ExpectName();
  while (IsOperator(".")) {  // dotted names are one (unknown) filter, as in Jinja2
    Advance();
    filter.name += "." + ExpectName();
  }
  if (IsOperator("(")) filter.arguments = ParseArguments();
  return filter;
}

ExprPtr Parser::ParseFiltersAndTests(ExprPtr expr) {
  while (true) {
    if (IsOperator("|")) {
      Advance();
      auto filtered = MakeExpr(Expr::Kind::kFilter, Current().line);
      filtered->object = std::move(expr);
      filtered->filter = ParseFilterCall();
      expr = Seal(std::move(filtered));
    } else if (IsName("is")) {
      int line = Advance().line;
      auto test = MakeExpr(Expr::Kind::kTest, line);
      test->object = std::move(expr);
      test->negated = SkipName("not");
      test->filter.line = line;
      test->filter.name = ExpectName();
      while (IsOperator(".")) {
        Advance();
        test->filter.name += "." + ExpectName();
      }
      if (IsOperator("(")) {
        test->filter.arguments = ParseArguments();
      } else if (StartsTestArgument()) {
        if (IsName("is")) Fail("tests cannot be chained with 'is'");
        test->filter.arguments.positional.push_back(ParsePostfix(ParsePrimary()));
      }
      expr = Seal(std::move(test));
    } else if (IsOperator("(")) {
      expr = ParseCall(std::move(expr));
    } else {
      return expr;
    }
  }
}

// `x is divisibleby 3`: a test may take one argument without parentheses.
bool Parser::StartsTestArgument() const {
  const Token& token = Current();
  if (token.kind == TokenKind::kName) return token.text != "else" && token.text != "or" && token.text != "and";
  if (token.kind == TokenKind::kString || token.kind == TokenKind::kInteger || token.kind == TokenKind::kFloat) {
    return true;
  }
  return token.kind == TokenKind::kOperator && (token.text == "[" || token.text == "{");
}

}  // namespace troupe::engine::jinja::parsing
