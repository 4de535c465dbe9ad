// The parsed form of a template: expressions and statements, each remembering its source line
// for error messages. Immutable after parsing, so one tree serves any number of renders at once.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/jinja/value.h"

namespace troupe::engine::jinja {

struct Expr;
struct Stmt;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

// Arguments as written at a call, filter or test.
struct ArgumentExprs {
  std::vector<ExprPtr> positional;
  std::vector<std::pair<std::string, ExprPtr>> keyword;
};

// `| name(args)` or `is name(args)`.
struct FilterCall {
  std::string name;
  ArgumentExprs arguments;
  int line = 1;
};

enum class BinaryOp { kAdd, kSubtract, kMultiply, kDivide, kFloorDivide, kModulo, kPower, kConcat, kAnd, kOr };
enum class CompareOp { kEqual, kNotEqual, kLess, kLessEqual, kGreater, kGreaterEqual, kIn, kNotIn };
enum class UnaryOp { kNot, kNegate, kPlus };

struct Expr {
  enum class Kind {
    kLiteral,      // value
    kName,         // name
    kList,         // items (tuples are lists too)
    kDict,         // items: key, value, key, value...
    kAttribute,    // object.name
    kSubscript,    // object[index]
    kSlice,        // object[start:stop:step]; missing parts are null
    kCall,         // object(arguments)
    kFilter,       // object | filter
    kTest,         // object is [not] filter (negated)
    kUnary,        // unary_op object
    kBinary,       // binary_op object other
    kCompare,      // items[0] compare_ops[0] items[1] compare_ops[1] items[2]...
    kConditional,  // object if condition else other (other may be null: undefined)
  };

  Kind kind = Kind::kLiteral;
  int line = 1;
  Value value;
  std::string name;
  ExprPtr object, other, condition;  // kSlice: object[condition:other:step]
  ExprPtr step;
  std::vector<ExprPtr> items;
  std::vector<CompareOp> compare_ops;
  ArgumentExprs arguments;  // kCall
  FilterCall filter;        // kFilter, kTest
  bool negated = false;     // kTest
  bool is_tuple = false;    // kList written as a tuple: (a, b) or a, b
  int depth = 1;            // of this node's tree, bounded by kMaxExpressionDepth
  UnaryOp unary_op = UnaryOp::kNot;
  BinaryOp binary_op = BinaryOp::kAdd;
};

// Where `for` and `set` put values: one or more names, or one namespace attribute (ns.x).
struct AssignTarget {
  std::vector<std::string> names;
  std::string attribute;  // non-empty for `set ns.attribute = ...` (names then holds "ns")
};

struct MacroParameter {
  std::string name;
  ExprPtr default_value;  // null when required
};

struct Stmt {
  enum class Kind {
    kText,         // text
    kOutput,       // {{ expr }}
    kIf,           // branches: (condition, body)...; a null condition is the else branch
    kFor,          // for target in expr [if condition] body [else else_body]
    kSet,          // set target = expr
    kSetBlock,     // set target [| filters] body endset
    kMacro,        // macro name(parameters) body
    kCallBlock,    // call[(parameters)] expr body endcall: body becomes caller()
    kFilterBlock,  // filter filters body endfilter
    kWith,         // with name = value, ... body endwith (assignments)
    kBreak,
    kContinue,
  };

  Kind kind = Kind::kText;
  int line = 1;
  std::string text;
  ExprPtr expr;
  ExprPtr condition;
  AssignTarget target;
  std::vector<std::pair<ExprPtr, Body>> branches;
  Body body;
  Body else_body;
  std::string name;
  std::vector<MacroParameter> parameters;
  // Whether a macro's body mentions varargs, kwargs or caller: as in Jinja2, only then may a
  // call pass extra positional arguments, extra keywords or a call block.
  bool uses_varargs = false;
  bool uses_kwargs = false;
  bool uses_caller = false;
  std::vector<FilterCall> filters;
  std::vector<std::pair<std::string, ExprPtr>> assignments;
};

}  // namespace troupe::engine::jinja
