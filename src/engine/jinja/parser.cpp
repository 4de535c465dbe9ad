#include "engine/jinja/parser.h"

#include <algorithm>
#include <initializer_list>
#include <string_view>

#include "engine/error.h"
#include "engine/jinja/syntax_error.h"

namespace troupe::engine::jinja {
namespace {

ExprPtr MakeExpr(Expr::Kind kind, int line) {
  auto expr = std::make_unique<Expr>();
  expr->kind = kind;
  expr->line = line;
  return expr;
}

class Parser {
 public:
  explicit Parser(const std::vector<Token>& tokens) : tokens_(tokens) {}

  Body ParseTemplate() {
    Body body = ParseBody({});
    return body;
  }

 private:
  // Counts one level of nesting for as long as it lives.
  class NestingGuard {
   public:
    explicit NestingGuard(Parser& parser) : parser_(parser) {
      if (++parser_.nesting_ > kMaxNesting) {
        parser_.Fail("template nests more than " + std::to_string(kMaxNesting) + " levels deep");
      }
    }
    ~NestingGuard() { --parser_.nesting_; }
    NestingGuard(const NestingGuard&) = delete;
    NestingGuard& operator=(const NestingGuard&) = delete;

   private:
    Parser& parser_;
  };

  const Token& Current() const { return tokens_[position_]; }
  const Token& Peek(size_t ahead) const {
    size_t index = position_ + ahead;
    return index < tokens_.size() ? tokens_[index] : tokens_.back();
  }
  const Token& Advance() {
    const Token& token = tokens_[position_];
    if (token.kind != TokenKind::kEnd) ++position_;
    return token;
  }

  bool IsOperator(std::string_view op) const {
    return Current().kind == TokenKind::kOperator && Current().text == op;
  }
  bool IsName(std::string_view name) const { return Current().kind == TokenKind::kName && Current().text == name; }
  bool SkipOperator(std::string_view op) {
    if (!IsOperator(op)) return false;
    Advance();
    return true;
  }
  bool SkipName(std::string_view name) {
    if (!IsName(name)) return false;
    Advance();
    return true;
  }

  static std::string Describe(const Token& token) {
    switch (token.kind) {
      case TokenKind::kEnd:
        return "end of template";
      case TokenKind::kText:
        return "template text";
      case TokenKind::kBlockEnd:
        return "'%}'";
      case TokenKind::kVariableEnd:
        return "'}}'";
      case TokenKind::kString:
        return "string literal";
      default:
        return "'" + token.text + "'";
    }
  }

  [[noreturn]] void Fail(const std::string& message) const {
    ThrowSyntaxError(Current().line, Current().column, message);
  }

  void ExpectOperator(std::string_view op) {
    if (!SkipOperator(op)) Fail("expected '" + std::string(op) + "', found " + Describe(Current()));
  }
  std::string ExpectName() {
    if (Current().kind != TokenKind::kName) Fail("expected a name, found " + Describe(Current()));
    return Advance().text;
  }
  void ExpectBlockEnd() {
    if (Current().kind != TokenKind::kBlockEnd) Fail("expected '%}', found " + Describe(Current()));
    Advance();
  }

  // Statements until a block tag whose keyword is one of `end_keywords`; stops with that keyword
  // as the current token. An empty list means "until the end of the template".
  Body ParseBody(std::initializer_list<std::string_view> end_keywords) {
    NestingGuard guard(*this);
    Body body;
    while (true) {
      const Token& token = Current();
      switch (token.kind) {
        case TokenKind::kEnd: {
          if (end_keywords.size() == 0) return body;
          std::string expected;
          for (std::string_view keyword : end_keywords) {
            expected += (expected.empty() ? "'" : " or '") + std::string(keyword) + "'";
          }
          Fail("unexpected end of template, expected " + expected);
        }
        case TokenKind::kText: {
          auto stmt = std::make_unique<Stmt>();
          stmt->kind = Stmt::Kind::kText;
          stmt->line = token.line;
          stmt->text = token.text;
          Advance();
          body.push_back(std::move(stmt));
          break;
        }
        case TokenKind::kVariableBegin: {
          Advance();
          auto stmt = std::make_unique<Stmt>();
          stmt->kind = Stmt::Kind::kOutput;
          stmt->line = token.line;
          stmt->expr = ParseTuple(true);
          if (Current().kind != TokenKind::kVariableEnd) Fail("expected '}}', found " + Describe(Current()));
          Advance();
          body.push_back(std::move(stmt));
          break;
        }
        case TokenKind::kBlockBegin: {
          Advance();
          if (Current().kind != TokenKind::kName) Fail("expected a tag name, found " + Describe(Current()));
          for (std::string_view keyword : end_keywords) {
            if (Current().text == keyword) return body;
          }
          body.push_back(ParseStatement());
          break;
        }
        default:
          Fail("unexpected " + Describe(token));
      }
    }
  }

  StmtPtr ParseStatement() {
    const Token& keyword = Current();
    auto stmt = std::make_unique<Stmt>();
    stmt->line = keyword.line;
    const std::string& word = keyword.text;
    if (word == "for") {
      ParseFor(*stmt);
    } else if (word == "if") {
      ParseIf(*stmt);
    } else if (word == "set") {
      ParseSet(*stmt);
    } else if (word == "macro") {
      ParseMacro(*stmt);
    } else if (word == "call") {
      ParseCallBlock(*stmt);
    } else if (word == "filter") {
      Advance();
      stmt->kind = Stmt::Kind::kFilterBlock;
      do {
        stmt->filters.push_back(ParseFilterCall());
      } while (SkipOperator("|"));
      ExpectBlockEnd();
      stmt->body = ParseBody({"endfilter"});
      Advance();
      ExpectBlockEnd();
    } else if (word == "with") {
      ParseWith(*stmt);
    } else if (word == "break" || word == "continue") {
      if (loop_depth_ == 0) Fail("'" + word + "' outside of a loop");
      stmt->kind = word == "break" ? Stmt::Kind::kBreak : Stmt::Kind::kContinue;
      Advance();
      ExpectBlockEnd();
    } else if (word == "include" || word == "extends" || word == "import" || word == "from" || word == "block" ||
               word == "do" || word == "autoescape" || word == "trans") {
      ThrowUnsupported("chat template line " + std::to_string(keyword.line) + ", column " +
                       std::to_string(keyword.column) + ": the '" + word + "' tag is not supported");
    } else {
      Fail("unknown tag '" + word + "'");
    }
    return stmt;
  }

  void ParseFor(Stmt& stmt) {
    Advance();
    stmt.kind = Stmt::Kind::kFor;
    stmt.target = ParseNameTarget();
    if (!SkipName("in")) Fail("expected 'in', found " + Describe(Current()));
    stmt.expr = ParseTuple(false);
    if (SkipName("if")) stmt.condition = ParseConditional(true);
    if (IsName("recursive")) {
      ThrowUnsupported("chat template line " + std::to_string(Current().line) + ": recursive loops are not supported");
    }
    ExpectBlockEnd();
    ++loop_depth_;
    stmt.body = ParseBody({"endfor", "else"});
    --loop_depth_;
    if (SkipName("else")) {
      ExpectBlockEnd();
      stmt.else_body = ParseBody({"endfor"});
    }
    Advance();
    ExpectBlockEnd();
  }

  void ParseIf(Stmt& stmt) {
    Advance();
    stmt.kind = Stmt::Kind::kIf;
    while (true) {
      ExprPtr condition = ParseTuple(false);
      ExpectBlockEnd();
      Body body = ParseBody({"elif", "else", "endif"});
      stmt.branches.emplace_back(std::move(condition), std::move(body));
      if (SkipName("elif")) continue;
      if (SkipName("else")) {
        ExpectBlockEnd();
        stmt.branches.emplace_back(nullptr, ParseBody({"endif"}));
      }
      break;
    }
    Advance();  // endif
    ExpectBlockEnd();
  }

  // `a`, `a, b`, `(a, b)`: loop and set targets.
  AssignTarget ParseNameTarget() {
    AssignTarget target;
    bool parenthesized = SkipOperator("(");
    do {
      if (parenthesized && IsOperator(")")) break;
      target.names.push_back(ExpectName());
    } while (SkipOperator(","));
    if (parenthesized) ExpectOperator(")");
    return target;
  }

  void ParseSet(Stmt& stmt) {
    Advance();
    if (Current().kind == TokenKind::kName && Peek(1).kind == TokenKind::kOperator && Peek(1).text == ".") {
      stmt.target.names.push_back(Advance().text);
      Advance();
      stmt.target.attribute = ExpectName();
    } else {
      stmt.target = ParseNameTarget();
    }
    if (SkipOperator("=")) {
      stmt.kind = Stmt::Kind::kSet;
      stmt.expr = ParseTuple(true);
      ExpectBlockEnd();
      return;
    }
    if (stmt.target.names.size() != 1 || !stmt.target.attribute.empty()) {
      Fail("a block set assigns exactly one name");
    }
    stmt.kind = Stmt::Kind::kSetBlock;
    while (SkipOperator("|")) stmt.filters.push_back(ParseFilterCall());
    ExpectBlockEnd();
    stmt.body = ParseBody({"endset"});
    Advance();
    ExpectBlockEnd();
  }

  void ParseParameters(std::vector<MacroParameter>& parameters) {
    ExpectOperator("(");
    while (!IsOperator(")")) {
      if (!parameters.empty()) ExpectOperator(",");
      if (IsOperator(")")) break;
      MacroParameter parameter;
      parameter.name = ExpectName();
      if (SkipOperator("=")) {
        parameter.default_value = ParseConditional(true);
      } else if (!parameters.empty() && parameters.back().default_value) {
        Fail("parameter '" + parameter.name + "' without a default follows one with a default");
      }
      parameters.push_back(std::move(parameter));
    }
    Advance();
  }

  void ParseMacro(Stmt& stmt) {
    Advance();
    stmt.kind = Stmt::Kind::kMacro;
    stmt.name = ExpectName();
    ParseParameters(stmt.parameters);
    ExpectBlockEnd();
    int saved_loop_depth = loop_depth_;
    loop_depth_ = 0;  // a loop outside the macro cannot be broken from inside it
    size_t body_start = position_;
    stmt.body = ParseBody({"endmacro"});
    loop_depth_ = saved_loop_depth;
    NoteSpecialNames(stmt, body_start, position_);
    Advance();
    if (Current().kind == TokenKind::kName) Advance();  // `endmacro name`
    ExpectBlockEnd();
  }

  void NoteSpecialNames(Stmt& stmt, size_t begin, size_t end) const {
    for (size_t i = begin; i < end; ++i) {
      if (tokens_[i].kind != TokenKind::kName) continue;
      stmt.uses_varargs = stmt.uses_varargs || tokens_[i].text == "varargs";
      stmt.uses_kwargs = stmt.uses_kwargs || tokens_[i].text == "kwargs";
      stmt.uses_caller = stmt.uses_caller || tokens_[i].text == "caller";
    }
  }

  void ParseCallBlock(Stmt& stmt) {
    Advance();
    stmt.kind = Stmt::Kind::kCallBlock;
    if (IsOperator("(")) ParseParameters(stmt.parameters);
    stmt.expr = ParseConditional(true);
    if (stmt.expr->kind != Expr::Kind::kCall) Fail("expected a call after 'call'");
    ExpectBlockEnd();
    int saved_loop_depth = loop_depth_;
    loop_depth_ = 0;
    size_t body_start = position_;
    stmt.body = ParseBody({"endcall"});
    loop_depth_ = saved_loop_depth;
    NoteSpecialNames(stmt, body_start, position_);
    Advance();
    ExpectBlockEnd();
  }

  void ParseWith(Stmt& stmt) {
    Advance();
    stmt.kind = Stmt::Kind::kWith;
    while (Current().kind != TokenKind::kBlockEnd) {
      if (!stmt.assignments.empty()) ExpectOperator(",");
      std::string name = ExpectName();
      ExpectOperator("=");
      stmt.assignments.emplace_back(std::move(name), ParseConditional(true));
    }
    ExpectBlockEnd();
    stmt.body = ParseBody({"endwith"});
    Advance();
    ExpectBlockEnd();
  }

  // ---- expressions ----

  // Records how deep a finished node's tree is. Chains such as 1+1+1+... or a.b.c... are built
  // in loops, not by recursion, so only this bounds the depth that evaluating and destroying
  // the tree will recurse to.
  ExprPtr Seal(ExprPtr expr) {
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
  ExprPtr ParseTuple(bool with_conditional) {
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

  bool StartsExpression() const {
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

  ExprPtr ParseConditional(bool with_conditional) {
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

  ExprPtr MakeBinary(BinaryOp op, ExprPtr left, ExprPtr right, int line) {
    auto binary = MakeExpr(Expr::Kind::kBinary, line);
    binary->binary_op = op;
    binary->object = std::move(left);
    binary->other = std::move(right);
    return Seal(std::move(binary));
  }

  ExprPtr ParseOr() {
    ExprPtr left = ParseAnd();
    while (IsName("or")) {
      int line = Advance().line;
      left = MakeBinary(BinaryOp::kOr, std::move(left), ParseAnd(), line);
    }
    return left;
  }

  ExprPtr ParseAnd() {
    ExprPtr left = ParseNot();
    while (IsName("and")) {
      int line = Advance().line;
      left = MakeBinary(BinaryOp::kAnd, std::move(left), ParseNot(), line);
    }
    return left;
  }

  ExprPtr ParseNot() {
    if (IsName("not")) {
      NestingGuard guard(*this);
      auto negation = MakeExpr(Expr::Kind::kUnary, Advance().line);
      negation->unary_op = UnaryOp::kNot;
      negation->object = ParseNot();
      return Seal(std::move(negation));
    }
    return ParseCompare();
  }

  ExprPtr ParseCompare() {
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

  ExprPtr ParseAdditive() {
    ExprPtr left = ParseConcat();
    while (IsOperator("+") || IsOperator("-")) {
      const Token& op = Advance();
      left = MakeBinary(op.text == "+" ? BinaryOp::kAdd : BinaryOp::kSubtract, std::move(left), ParseConcat(), op.line);
    }
    return left;
  }

  ExprPtr ParseConcat() {
    ExprPtr left = ParseMultiplicative();
    while (IsOperator("~")) {
      int line = Advance().line;
      left = MakeBinary(BinaryOp::kConcat, std::move(left), ParseMultiplicative(), line);
    }
    return left;
  }

  ExprPtr ParseMultiplicative() {
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

  ExprPtr ParsePower() {
    ExprPtr left = ParseUnary(true);
    while (IsOperator("**")) {
      int line = Advance().line;
      left = MakeBinary(BinaryOp::kPower, std::move(left), ParseUnary(true), line);
    }
    return left;
  }

  ExprPtr ParseUnary(bool with_filters) {
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

  ExprPtr ParsePrimary() {
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

  ExprPtr ParseParenthesized() {
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

  ExprPtr ParseListLiteral() {
    auto list = MakeExpr(Expr::Kind::kList, Advance().line);
    while (!IsOperator("]")) {
      if (!list->items.empty()) ExpectOperator(",");
      if (IsOperator("]")) break;
      list->items.push_back(ParseConditional(true));
    }
    Advance();
    return Seal(std::move(list));
  }

  ExprPtr ParseDictLiteral() {
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

  ExprPtr ParsePostfix(ExprPtr expr) {
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

  ExprPtr ParseSubscript(ExprPtr object) {
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

  ArgumentExprs ParseArguments() {
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

  ExprPtr ParseCall(ExprPtr callee) {
    auto call = MakeExpr(Expr::Kind::kCall, Current().line);
    call->object = std::move(callee);
    call->arguments = ParseArguments();
    return Seal(std::move(call));
  }

  FilterCall ParseFilterCall() {
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

  ExprPtr ParseFiltersAndTests(ExprPtr expr) {
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
  bool StartsTestArgument() const {
    const Token& token = Current();
    if (token.kind == TokenKind::kName) return token.text != "else" && token.text != "or" && token.text != "and";
    if (token.kind == TokenKind::kString || token.kind == TokenKind::kInteger || token.kind == TokenKind::kFloat) {
      return true;
    }
    return token.kind == TokenKind::kOperator && (token.text == "[" || token.text == "{");
  }

  const std::vector<Token>& tokens_;
  size_t position_ = 0;
  int nesting_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

Body Parse(const std::vector<Token>& tokens) { return Parser(tokens).ParseTemplate(); }

}  // namespace troupe::engine::jinja
