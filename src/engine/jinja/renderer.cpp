#include "engine/jinja/renderer.h"

#include "engine/jinja/filters.h"
#include "engine/jinja/operators.h"
#include "engine/jinja/template_error.h"

namespace troupe::engine::jinja {

struct Renderer::Scope {
  std::vector<std::pair<std::string, Value>> variables;
  std::shared_ptr<Scope> parent;
};

namespace {

class MacroFunction : public Callable {
 public:
  MacroFunction(const Stmt& definition, std::weak_ptr<Renderer::Scope> closure, std::string name)
      : definition_(definition), closure_(std::move(closure)), name_(std::move(name)) {}
  std::string_view Name() const override { return name_; }
  std::string Repr() const override { return "<Macro '" + name_ + "'>"; }
  Value Call(CallArguments arguments, Renderer& renderer) const override {
    return renderer.CallMacro(definition_, closure_, std::move(arguments));
  }

 private:
  const Stmt& definition_;
  std::weak_ptr<Renderer::Scope> closure_;
  std::string name_;
};

// loop.cycle('odd', 'even'): picks by the iteration number.
class LoopCycleFunction : public Callable {
 public:
  explicit LoopCycleFunction(size_t index) : index_(index) {}
  std::string_view Name() const override { return "cycle"; }
  Value Call(CallArguments arguments, Renderer&) const override {
    if (arguments.positional.empty()) ThrowTemplateError("no items for cycling given");
    return arguments.positional[index_ % arguments.positional.size()];
  }

 private:
  size_t index_;
};

Value MakeLoopVariable(const ValueList& items, size_t index) {
  auto length = static_cast<int64_t>(items.size());
  auto position = static_cast<int64_t>(index);
  ValueEntries entries;
  entries.reserve(12);
  auto add = [&](const char* name, Value value) { entries.emplace_back(Value::String(name), std::move(value)); };
  add("index", Value::Int(position + 1));
  add("index0", Value::Int(position));
  add("revindex", Value::Int(length - position));
  add("revindex0", Value::Int(length - position - 1));
  add("first", Value::Bool(index == 0));
  add("last", Value::Bool(index + 1 == items.size()));
  add("length", Value::Int(length));
  add("depth", Value::Int(1));
  add("depth0", Value::Int(0));
  add("previtem", index > 0 ? items[index - 1] : Value::Undefined("there is no previous item"));
  add("nextitem", index + 1 < items.size() ? items[index + 1] : Value::Undefined("there is no next item"));
  add("cycle", Value::Function(std::make_shared<LoopCycleFunction>(index)));
  return Value::Dict(std::move(entries));
}

std::optional<int64_t> SliceBound(const Value& value) {
  if (value.IsNone()) return std::nullopt;
  if (!value.IsInteger()) ThrowTemplateError("slice indices must be integers or None");
  return value.AsInt();
}

}  // namespace

Renderer::DepthGuard::DepthGuard(Renderer& renderer) : renderer_(renderer) {
  if (++renderer_.depth_ > renderer_.limits_.max_depth) {
    --renderer_.depth_;
    ThrowTemplateError("template nests more than " + std::to_string(renderer_.limits_.max_depth) +
                       " levels deep while rendering (runaway recursion?)");
  }
}

Renderer::Renderer(const RenderLimits& limits, std::vector<std::pair<std::string, Value>> globals)
    : limits_(limits), scope_(std::make_shared<Scope>()) {
  scope_->variables = std::move(globals);
}

Renderer::~Renderer() = default;

std::string Renderer::Render(const Body& program) {
  std::string output;
  out_ = &output;
  Execute(program);
  out_ = nullptr;
  return output;
}

void Renderer::Charge(int64_t count) {
  steps_ += count;
  if (steps_ > limits_.max_steps) {
    ThrowTemplateError("template ran more than " + std::to_string(limits_.max_steps) + " steps");
  }
}

void Renderer::ChargeFor(const Value& value) {
  if (value.IsString()) Charge(static_cast<int64_t>(value.AsString().size() / 64));
  if (value.IsList()) Charge(static_cast<int64_t>(value.AsList().size()));
  if (value.IsDict()) Charge(static_cast<int64_t>(value.AsDict().size()));
}

ValueList Renderer::IterateCharged(const Value& value) {
  if (value.IsString()) Charge(static_cast<int64_t>(value.AsString().size()));
  if (value.IsList()) Charge(static_cast<int64_t>(value.AsList().size()));
  if (value.IsDict()) Charge(static_cast<int64_t>(value.AsDict().size()));
  return Iterate(value);
}

void Renderer::CheckStringSize(size_t bytes) const {
  if (bytes > limits_.max_output_bytes) {
    ThrowTemplateError("text longer than " + std::to_string(limits_.max_output_bytes) + " bytes");
  }
}

void Renderer::Append(std::string_view text) {
  if (out_->size() + text.size() > limits_.max_output_bytes) {
    ThrowTemplateError("output longer than " + std::to_string(limits_.max_output_bytes) + " bytes");
  }
  out_->append(text);
}

std::string Renderer::Capture(const Body& body) {
  std::string buffer;
  std::string* saved = out_;
  out_ = &buffer;
  Execute(body);
  out_ = saved;
  return buffer;
}

Renderer::Flow Renderer::Execute(const Body& body) {
  for (const StmtPtr& stmt : body) {
    Flow flow = ExecuteStatement(*stmt);
    if (flow != Flow::kNormal) return flow;
  }
  return Flow::kNormal;
}

Renderer::Flow Renderer::ExecuteStatement(const Stmt& stmt) {
  DepthGuard depth(*this);
  Charge(1);
  line_ = stmt.line;
  switch (stmt.kind) {
    case Stmt::Kind::kText:
      Append(stmt.text);
      return Flow::kNormal;
    case Stmt::Kind::kOutput: {
      Value value = Evaluate(*stmt.expr);
      Append(value.ToString(limits_.max_output_bytes));
      return Flow::kNormal;
    }
    case Stmt::Kind::kIf:
      for (const auto& [condition, body] : stmt.branches) {
        if (condition == nullptr || Evaluate(*condition).Truthy()) return Execute(body);
      }
      return Flow::kNormal;
    case Stmt::Kind::kFor:
      return ExecuteFor(stmt);
    case Stmt::Kind::kSet:
      ExecuteSet(stmt, Evaluate(*stmt.expr));
      return Flow::kNormal;
    case Stmt::Kind::kSetBlock:
      ExecuteSet(stmt, ApplyFilters(Value::String(Capture(stmt.body)), stmt.filters));
      return Flow::kNormal;
    case Stmt::Kind::kMacro:
      Assign(stmt.name, DefineMacro(stmt, stmt.name));
      return Flow::kNormal;
    case Stmt::Kind::kCallBlock:
      ExecuteCallBlock(stmt);
      return Flow::kNormal;
    case Stmt::Kind::kFilterBlock: {
      Value filtered = ApplyFilters(Value::String(Capture(stmt.body)), stmt.filters);
      Append(filtered.ToString(limits_.max_output_bytes));
      return Flow::kNormal;
    }
    case Stmt::Kind::kWith: {
      std::vector<std::pair<std::string, Value>> values;
      for (const auto& [name, expr] : stmt.assignments) values.emplace_back(name, Evaluate(*expr));
      std::shared_ptr<Scope> outer = scope_;
      scope_ = std::make_shared<Scope>();
      scope_->parent = outer;
      scope_->variables = std::move(values);
      Flow flow = Execute(stmt.body);
      scope_ = outer;
      return flow;
    }
    case Stmt::Kind::kBreak:
      return Flow::kBreak;
    case Stmt::Kind::kContinue:
      return Flow::kContinue;
  }
  return Flow::kNormal;
}

Renderer::Flow Renderer::ExecuteFor(const Stmt& stmt) {
  ValueList items = IterateCharged(Evaluate(*stmt.expr));
  std::shared_ptr<Scope> outer = scope_;
  if (stmt.condition) {
    // `for x in xs if cond` filters first, so loop.index and loop.length count kept items only.
    ValueList kept;
    for (Value& item : items) {
      scope_ = std::make_shared<Scope>();
      scope_->parent = outer;
      Bind(stmt.target, item);
      if (Evaluate(*stmt.condition).Truthy()) kept.push_back(std::move(item));
    }
    scope_ = outer;
    items = std::move(kept);
  }
  if (items.empty()) return Execute(stmt.else_body);
  for (size_t i = 0; i < items.size(); ++i) {
    // Each iteration has its own scope: a `set` in one iteration is gone in the next.
    scope_ = std::make_shared<Scope>();
    scope_->parent = outer;
    Bind(stmt.target, items[i]);
    Assign("loop", MakeLoopVariable(items, i));
    line_ = stmt.line;
    Flow flow = Execute(stmt.body);
    if (flow == Flow::kBreak) break;
  }
  scope_ = outer;
  return Flow::kNormal;
}

void Renderer::ExecuteSet(const Stmt& stmt, Value value) {
  if (stmt.target.attribute.empty()) {
    Bind(stmt.target, value);
    return;
  }
  Value target = Lookup(stmt.target.names[0]);
  if (target.kind() != Value::Kind::kNamespace) {
    ThrowTemplateError("cannot assign attribute on non-namespace object '" + stmt.target.names[0] + "'");
  }
  if (value.HoldsReferences()) {
    ThrowTemplateError("namespace attributes may hold data only, not macros, functions or namespaces");
  }
  for (auto& [key, existing] : target.AsNamespace().attributes) {
    if (key.AsString() == stmt.target.attribute) {
      existing = std::move(value);
      return;
    }
  }
  target.AsNamespace().attributes.emplace_back(Value::String(stmt.target.attribute), std::move(value));
}

void Renderer::ExecuteCallBlock(const Stmt& stmt) {
  const Expr& call = *stmt.expr;
  Value callee = Evaluate(*call.object);
  CallArguments arguments = EvaluateArguments(call.arguments);
  arguments.keyword.emplace_back("caller", DefineMacro(stmt, "caller"));
  line_ = stmt.line;
  Value result = Call(callee, std::move(arguments));
  Append(result.ToString(limits_.max_output_bytes));
}

Value Renderer::DefineMacro(const Stmt& definition, std::string name) {
  if (macro_scopes_.empty() || macro_scopes_.back() != scope_) macro_scopes_.push_back(scope_);
  return Value::Function(std::make_shared<MacroFunction>(definition, scope_, std::move(name)));
}

Value Renderer::CallMacro(const Stmt& definition, const std::weak_ptr<Scope>& closure, CallArguments arguments) {
  DepthGuard depth(*this);
  auto scope = std::make_shared<Scope>();
  scope->parent = closure.lock();  // kept alive by macro_scopes_
  std::shared_ptr<Scope> caller_scope = scope_;
  scope_ = scope;
  const auto& parameters = definition.parameters;
  const std::string& name = definition.kind == Stmt::Kind::kMacro ? definition.name : std::string("caller");
  if (arguments.positional.size() > parameters.size() && !definition.uses_varargs) {
    ThrowTemplateError("macro '" + name + "' takes not more than " + std::to_string(parameters.size()) +
                       " argument(s)");
  }
  std::vector<bool> keyword_used(arguments.keyword.size(), false);
  for (size_t i = 0; i < parameters.size(); ++i) {
    const MacroParameter& parameter = parameters[i];
    Value value;
    bool found = false;
    if (i < arguments.positional.size()) {
      value = arguments.positional[i];
      found = true;
    }
    for (size_t k = 0; k < arguments.keyword.size(); ++k) {
      if (arguments.keyword[k].first != parameter.name) continue;
      if (found) ThrowTemplateError("macro '" + name + "' got multiple values for argument '" + parameter.name + "'");
      value = arguments.keyword[k].second;
      keyword_used[k] = true;
      found = true;
    }
    if (!found) {
      value = parameter.default_value ? Evaluate(*parameter.default_value)
                                      : Value::Undefined("parameter '" + parameter.name + "' was not provided");
    }
    Assign(parameter.name, std::move(value));
  }
  ValueList extra_positional;
  for (size_t i = parameters.size(); i < arguments.positional.size(); ++i) {
    extra_positional.push_back(arguments.positional[i]);
  }
  Assign("varargs", Value::Tuple(std::move(extra_positional)));
  DictBuilder extra_keyword;
  for (size_t k = 0; k < arguments.keyword.size(); ++k) {
    if (keyword_used[k]) continue;
    const std::string& keyword = arguments.keyword[k].first;
    if (keyword == "caller" && definition.uses_caller) {
      Assign("caller", arguments.keyword[k].second);
    } else if (definition.uses_kwargs) {
      extra_keyword.Set(Value::String(keyword), arguments.keyword[k].second);
    } else {
      ThrowTemplateError("macro '" + name + "' takes no keyword argument '" + keyword + "'");
    }
  }
  Assign("kwargs", std::move(extra_keyword).Build());
  std::string output = Capture(definition.body);
  scope_ = caller_scope;
  return Value::String(std::move(output));
}

Value Renderer::Call(const Value& callee, CallArguments arguments) {
  if (callee.kind() == Value::Kind::kCallable) return callee.AsCallable().Call(std::move(arguments), *this);
  if (callee.IsUndefined()) FailUndefined(callee);
  ThrowTemplateError("'" + std::string(callee.TypeName()) + "' object is not callable");
}

Value Renderer::ApplyFilters(Value value, const std::vector<FilterCall>& filters) {
  for (const FilterCall& filter : filters) {
    CallArguments arguments = EvaluateArguments(filter.arguments);
    line_ = filter.line;
    value = ApplyFilter(filter.name, value, arguments, *this);
  }
  return value;
}

CallArguments Renderer::EvaluateArguments(const ArgumentExprs& arguments) {
  CallArguments values;
  values.positional.reserve(arguments.positional.size());
  for (const ExprPtr& expr : arguments.positional) values.positional.push_back(Evaluate(*expr));
  for (const auto& [name, expr] : arguments.keyword) values.keyword.emplace_back(name, Evaluate(*expr));
  return values;
}

Value Renderer::Lookup(const std::string& name) const {
  for (const Scope* scope = scope_.get(); scope != nullptr; scope = scope->parent.get()) {
    for (const auto& [variable, value] : scope->variables) {
      if (variable == name) return value;
    }
  }
  return Value::Undefined("'" + name + "' is undefined");
}

void Renderer::Assign(const std::string& name, Value value) {
  for (auto& [variable, existing] : scope_->variables) {
    if (variable == name) {
      existing = std::move(value);
      return;
    }
  }
  scope_->variables.emplace_back(name, std::move(value));
}

void Renderer::Bind(const AssignTarget& target, const Value& value) {
  if (target.names.size() == 1) {
    Assign(target.names[0], value);
    return;
  }
  ValueList parts = IterateCharged(value);
  if (parts.size() != target.names.size()) {
    ThrowTemplateError(parts.size() < target.names.size()
                           ? "not enough values to unpack (expected " + std::to_string(target.names.size()) +
                                 ", got " + std::to_string(parts.size()) + ")"
                           : "too many values to unpack (expected " + std::to_string(target.names.size()) + ")");
  }
  for (size_t i = 0; i < parts.size(); ++i) Assign(target.names[i], parts[i]);
}

Value Renderer::Evaluate(const Expr& expr) {
  DepthGuard depth(*this);
  Charge(1);
  line_ = expr.line;
  switch (expr.kind) {
    case Expr::Kind::kLiteral:
      return expr.value;
    case Expr::Kind::kName:
      return Lookup(expr.name);
    case Expr::Kind::kList: {
      ValueList items;
      items.reserve(expr.items.size());
      for (const ExprPtr& item : expr.items) items.push_back(Evaluate(*item));
      return expr.is_tuple ? Value::Tuple(std::move(items)) : Value::List(std::move(items));
    }
    case Expr::Kind::kDict: {
      DictBuilder builder;
      for (size_t i = 0; i + 1 < expr.items.size(); i += 2) {
        Value key = Evaluate(*expr.items[i]);
        if (key.IsList() || key.IsDict() || key.IsUndefined()) {
          line_ = expr.line;
          ThrowTemplateError("unhashable type: '" + std::string(key.TypeName()) + "'");
        }
        Charge(static_cast<int64_t>(i / 2));  // each new key is compared with the earlier ones
        builder.Set(std::move(key), Evaluate(*expr.items[i + 1]));
      }
      return std::move(builder).Build();
    }
    case Expr::Kind::kAttribute: {
      Value object = Evaluate(*expr.object);
      line_ = expr.line;
      if (object.IsDict()) ChargeFor(object);  // keys are searched one by one
      return GetAttribute(object, expr.name);
    }
    case Expr::Kind::kSubscript: {
      Value object = Evaluate(*expr.object);
      Value key = Evaluate(*expr.other);
      line_ = expr.line;
      if (object.IsDict()) ChargeFor(object);
      return GetItem(object, key);
    }
    case Expr::Kind::kSlice:
      return EvaluateSlice(expr);
    case Expr::Kind::kCall: {
      Value callee = Evaluate(*expr.object);
      CallArguments arguments = EvaluateArguments(expr.arguments);
      line_ = expr.line;
      return Call(callee, std::move(arguments));
    }
    case Expr::Kind::kFilter: {
      Value value = Evaluate(*expr.object);
      CallArguments arguments = EvaluateArguments(expr.filter.arguments);
      line_ = expr.filter.line;
      return ApplyFilter(expr.filter.name, value, arguments, *this);
    }
    case Expr::Kind::kTest: {
      Value value = Evaluate(*expr.object);
      CallArguments arguments = EvaluateArguments(expr.filter.arguments);
      line_ = expr.line;
      return Value::Bool(ApplyTest(expr.filter.name, value, arguments, *this) != expr.negated);
    }
    case Expr::Kind::kUnary: {
      Value operand = Evaluate(*expr.object);
      line_ = expr.line;
      switch (expr.unary_op) {
        case UnaryOp::kNot:
          return Value::Bool(!operand.Truthy());
        case UnaryOp::kNegate:
          return Negate(operand);
        case UnaryOp::kPlus:
          if (operand.IsUndefined()) FailUndefined(operand);
          if (!operand.IsNumber()) {
            ThrowTemplateError("bad operand type for unary +: '" + std::string(operand.TypeName()) + "'");
          }
          return operand.IsInteger() ? Value::Int(operand.AsInt()) : operand;
      }
      return operand;
    }
    case Expr::Kind::kBinary:
      return EvaluateBinary(expr);
    case Expr::Kind::kCompare:
      return EvaluateCompare(expr);
    case Expr::Kind::kConditional:
      if (Evaluate(*expr.condition).Truthy()) return Evaluate(*expr.object);
      if (expr.other) return Evaluate(*expr.other);
      return Value::Undefined("the inline if-expression on line " + std::to_string(expr.line) +
                              " evaluated to false and no else section was defined.");
  }
  return Value();
}

Value Renderer::EvaluateBinary(const Expr& expr) {
  Value left = Evaluate(*expr.object);
  if (expr.binary_op == BinaryOp::kAnd) return left.Truthy() ? Evaluate(*expr.other) : left;
  if (expr.binary_op == BinaryOp::kOr) return left.Truthy() ? left : Evaluate(*expr.other);
  Value right = Evaluate(*expr.other);
  line_ = expr.line;
  // A list result costs its length, charged before it is built: [0] * 10**9 must stop here.
  if (expr.binary_op == BinaryOp::kMultiply && (left.IsList() || right.IsList())) {
    const Value& list = left.IsList() ? left : right;
    const Value& times = left.IsList() ? right : left;
    if (times.IsInteger() && times.AsInt() > 0) {
      auto items = static_cast<int64_t>(list.AsList().size());
      Charge(items > 0 && times.AsInt() > limits_.max_steps / items ? limits_.max_steps + 1 : items * times.AsInt());
    }
  } else if (left.IsList() && right.IsList()) {
    Charge(static_cast<int64_t>(left.AsList().size() + right.AsList().size()));
  }
  return Arithmetic(expr.binary_op, left, right, limits_.max_output_bytes);
}

Value Renderer::EvaluateCompare(const Expr& expr) {
  Value left = Evaluate(*expr.items[0]);
  for (size_t i = 0; i < expr.compare_ops.size(); ++i) {
    Value right = Evaluate(*expr.items[i + 1]);
    line_ = expr.line;
    ChargeFor(left);  // `in` and == walk their operands
    ChargeFor(right);
    bool holds = false;
    switch (expr.compare_ops[i]) {
      case CompareOp::kEqual:
        holds = Equals(left, right);
        break;
      case CompareOp::kNotEqual:
        holds = !Equals(left, right);
        break;
      case CompareOp::kLess:
        holds = Compare(left, right) < 0;
        break;
      case CompareOp::kLessEqual:
        holds = Compare(left, right) <= 0;
        break;
      case CompareOp::kGreater:
        holds = Compare(left, right) > 0;
        break;
      case CompareOp::kGreaterEqual:
        holds = Compare(left, right) >= 0;
        break;
      case CompareOp::kIn:
        holds = Contains(right, left);
        break;
      case CompareOp::kNotIn:
        holds = !Contains(right, left);
        break;
    }
    if (!holds) return Value::Bool(false);
    left = std::move(right);
  }
  return Value::Bool(true);
}

Value Renderer::EvaluateSlice(const Expr& expr) {
  Value object = Evaluate(*expr.object);
  std::optional<int64_t> start, stop, step;
  if (expr.condition) start = SliceBound(Evaluate(*expr.condition));
  if (expr.other) stop = SliceBound(Evaluate(*expr.other));
  if (expr.step) step = SliceBound(Evaluate(*expr.step));
  line_ = expr.line;
  Value result = Slice(object, start, stop, step);
  if (result.IsList()) Charge(static_cast<int64_t>(result.AsList().size()));
  return result;
}

}  // namespace troupe::engine::jinja
