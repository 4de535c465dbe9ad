// The parser behind Parse (parser.h), private to the jinja folder: statements are parsed in
// parser.cpp, expressions in expression_parser.cpp.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/jinja/ast.h"
#include "engine/jinja/lexer.h"
#include "engine/jinja/parser.h"

namespace troupe::engine::jinja::parsing {

inline ExprPtr MakeExpr(Expr::Kind kind, int line) {
  auto expr = std::make_unique<Expr>();
  expr->kind = kind;
  expr->line = line;
  return expr;
}

class Parser {
 public:
  explicit Parser(const std::vector<Token>& tokens) : tokens_(tokens) {}

  Body ParseTemplate();

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
  const Token& Peek(size_t ahead) const;
  const Token& Advance();

  bool IsOperator(std::string_view op) const;
  bool IsName(std::string_view name) const { return Current().kind == TokenKind::kName && Current().text == name; }
  bool SkipOperator(std::string_view op);
  bool SkipName(std::string_view name);

  static std::string Describe(const Token& token);

  [[noreturn]] void Fail(const std::string& message) const;

  void ExpectOperator(std::string_view op);
  std::string ExpectName();
  void ExpectBlockEnd();

  Body ParseBody(std::initializer_list<std::string_view> end_keywords);

  StmtPtr ParseStatement();

  void ParseFor(Stmt& stmt);

  void ParseIf(Stmt& stmt);

  AssignTarget ParseNameTarget();

  void ParseSet(Stmt& stmt);

  void ParseParameters(std::vector<MacroParameter>& parameters);

  void ParseMacro(Stmt& stmt);

  void NoteSpecialNames(Stmt& stmt, size_t begin, size_t end) const;

  void ParseCallBlock(Stmt& stmt);

  void ParseWith(Stmt& stmt);

  // ---- expressions ----

  ExprPtr Seal(ExprPtr expr);

  ExprPtr ParseTuple(bool with_conditional);

  bool StartsExpression() const;

  ExprPtr ParseConditional(bool with_conditional);

  ExprPtr MakeBinary(BinaryOp op, ExprPtr left, ExprPtr right, int line);

  ExprPtr ParseOr();

  ExprPtr ParseAnd();

  ExprPtr ParseNot();

  ExprPtr ParseCompare();

  ExprPtr ParseAdditive();

  ExprPtr ParseConcat();

  ExprPtr ParseMultiplicative();

  ExprPtr ParsePower();

  ExprPtr ParseUnary(bool with_filters);

  ExprPtr ParsePrimary();

  ExprPtr ParseParenthesized();

  ExprPtr ParseListLiteral();

  ExprPtr ParseDictLiteral();

  ExprPtr ParsePostfix(ExprPtr expr);

  ExprPtr ParseSubscript(ExprPtr object);

  ArgumentExprs ParseArguments();

  ExprPtr ParseCall(ExprPtr callee);

  FilterCall ParseFilterCall();

  ExprPtr ParseFiltersAndTests(ExprPtr expr);

  bool StartsTestArgument() const;

  const std::vector<Token>& tokens_;
  size_t position_ = 0;
  int nesting_ = 0;
  int loop_depth_ = 0;
};

}  // namespace troupe::engine::jinja::parsing
