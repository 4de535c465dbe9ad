// Statements: the template body, blocks and their endings (parser_internal.h).
#include "engine/jinja/parser.h"

#include <algorithm>
#include <initializer_list>
#include <string_view>

#include "engine/error.h"
#include "engine/jinja/parser_internal.h"
#include "engine/jinja/syntax_error.h"

namespace troupe::engine::jinja {
namespace parsing {

Body Parser::ParseTemplate() {
  Body body = ParseBody({});
  return body;
}

const Token& Parser::Peek(size_t ahead) const {
  size_t index = position_ + ahead;
  return index < tokens_.size() ? tokens_[index] : tokens_.back();
}

const Token& Parser::Advance() {
  const Token& token = tokens_[position_];
  if (token.kind != TokenKind::kEnd) ++position_;
  return token;
}

bool Parser::IsOperator(std::string_view op) const {
  return Current().kind == TokenKind::kOperator && Current().text == op;
}

bool Parser::SkipOperator(std::string_view op) {
  if (!IsOperator(op)) return false;
  Advance();
  return true;
}

bool Parser::SkipName(std::string_view name) {
  if (!IsName(name)) return false;
  Advance();
  return true;
}

std::string Parser::Describe(const Token& token) {
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

[[noreturn]] void Parser::Fail(const std::string& message) const {
  ThrowSyntaxError(Current().line, Current().column, message);
}

void Parser::ExpectOperator(std::string_view op) {
  if (!SkipOperator(op)) Fail("expected '" + std::string(op) + "', found " + Describe(Current()));
}

std::string Parser::ExpectName() {
  if (Current().kind != TokenKind::kName) Fail("expected a name, found " + Describe(Current()));
  return Advance().text;
}

void Parser::ExpectBlockEnd() {
  if (Current().kind != TokenKind::kBlockEnd) Fail("expected '%}', found " + Describe(Current()));
  Advance();
}

// Statements until a block tag whose keyword is one of `end_keywords`; stops with that keyword
// as the current token. An empty list means "until the end of the template".
Body Parser::ParseBody(std::initializer_list<std::string_view> end_keywords) {
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

StmtPtr Parser::ParseStatement() {
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

void Parser::ParseFor(Stmt& stmt) {
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

void Parser::ParseIf(Stmt& stmt) {
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
AssignTarget Parser::ParseNameTarget() {
  AssignTarget target;
  bool parenthesized = SkipOperator("(");
  do {
    if (parenthesized && IsOperator(")")) break;
    target.names.push_back(ExpectName());
  } while (SkipOperator(","));
  if (parenthesized) ExpectOperator(")");
  return target;
}

void Parser::ParseSet(Stmt& stmt) {
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

void Parser::ParseParameters(std::vector<MacroParameter>& parameters) {
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

void Parser::ParseMacro(Stmt& stmt) {
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

void Parser::NoteSpecialNames(Stmt& stmt, size_t begin, size_t end) const {
  for (size_t i = begin; i < end; ++i) {
    if (tokens_[i].kind != TokenKind::kName) continue;
    stmt.uses_varargs = stmt.uses_varargs || tokens_[i].text == "varargs";
    stmt.uses_kwargs = stmt.uses_kwargs || tokens_[i].text == "kwargs";
    stmt.uses_caller = stmt.uses_caller || tokens_[i].text == "caller";
  }
}

void Parser::ParseCallBlock(Stmt& stmt) {
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

void Parser::ParseWith(Stmt& stmt) {
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

}  // namespace parsing

Body Parse(const std::vector<Token>& tokens) { return parsing::Parser(tokens).ParseTemplate(); }

}  // namespace troupe::engine::jinja
