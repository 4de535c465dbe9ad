// Runs a parsed template once. A Renderer holds everything one render changes (variables, the
// output being built, the step count), so concurrent renders of one tree each use their own.
//
// Scoping follows Jinja2: each loop iteration, macro call and `with` block gets its own scope,
// `set` writes to the innermost scope, and only namespace() attributes carry values out of a
// loop. Every statement and expression costs one step, and builtins that walk a container cost
// one step per item, so a runaway template stops at RenderLimits::max_steps.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/jinja/ast.h"
#include "engine/jinja/value.h"

namespace troupe::engine::jinja {

struct RenderLimits {
  int64_t max_steps = 0;
  size_t max_output_bytes = 0;  // also the longest string a template may build
  int max_depth = 0;  // nesting of statements, expressions and calls while rendering
};

class Renderer {
 public:
  // `globals` are the variables the template starts with.
  Renderer(const RenderLimits& limits, std::vector<std::pair<std::string, Value>> globals);
  ~Renderer();
  Renderer(const Renderer&) = delete;
  Renderer& operator=(const Renderer&) = delete;

  // Throws TemplateError (RaisedByTemplate for raise_exception); line() then says where.
  std::string Render(const Body& program);

  // The source line being executed, for error messages.
  int line() const { return line_; }

  // Charges `count` steps; throws TemplateError past the limit.
  void Charge(int64_t count);
  // Charges what walking `value` costs: one step per list or dict item, one per 64 bytes of text.
  void ChargeFor(const Value& value);
  // Throws TemplateError when a string of `bytes` would pass the size limit.
  void CheckStringSize(size_t bytes) const;
  size_t max_string_bytes() const { return limits_.max_output_bytes; }

  // Iterate() after charging one step per item, so a long string or list costs what it weighs
  // before any per-item work is done.
  ValueList IterateCharged(const Value& value);

  // Calls a callable value; throws TemplateError when `callee` is not callable.
  Value Call(const Value& callee, CallArguments arguments);

  // Runs a macro (or a call block's caller) defined by `definition` in `closure`.
  struct Scope;
  Value CallMacro(const Stmt& definition, const std::weak_ptr<Scope>& closure, CallArguments arguments);

  // Counts one level of nesting (a statement, an expression, a call) while it lives; throws
  // TemplateError past RenderLimits::max_depth. This bounds the C++ stack a render uses.
  class DepthGuard {
   public:
    explicit DepthGuard(Renderer& renderer);
    ~DepthGuard() { --renderer_.depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

   private:
    Renderer& renderer_;
  };

 private:
  enum class Flow { kNormal, kBreak, kContinue };

  Flow Execute(const Body& body);
  Flow ExecuteStatement(const Stmt& stmt);
  Flow ExecuteFor(const Stmt& stmt);
  void ExecuteSet(const Stmt& stmt, Value value);
  void ExecuteCallBlock(const Stmt& stmt);
  std::string Capture(const Body& body);
  void Append(std::string_view text);

  Value Evaluate(const Expr& expr);
  Value EvaluateBinary(const Expr& expr);
  Value EvaluateCompare(const Expr& expr);
  Value EvaluateSlice(const Expr& expr);
  CallArguments EvaluateArguments(const ArgumentExprs& arguments);
  Value ApplyFilters(Value value, const std::vector<FilterCall>& filters);

  Value Lookup(const std::string& name) const;
  void Assign(const std::string& name, Value value);
  void Bind(const AssignTarget& target, const Value& value);

  // Makes a macro (or caller) whose body runs in the current scope.
  Value DefineMacro(const Stmt& definition, std::string name);

  const RenderLimits& limits_;
  std::shared_ptr<Scope> scope_;
  // Scopes that macros were defined in. Macros refer to them weakly (a scope holds its macros, so
  // a strong reference would be a cycle); these keep them alive until the render ends.
  std::vector<std::shared_ptr<Scope>> macro_scopes_;
  std::string* out_ = nullptr;
  int64_t steps_ = 0;
  int depth_ = 0;
  int line_ = 1;
};

}  // namespace troupe::engine::jinja
