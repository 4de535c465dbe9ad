// Jinja2's builtin tests (`value is name(args)`), declared in filters.h beside the filters.
#include <cmath>
#include <string>

#include "engine/jinja/arguments.h"
#include "engine/jinja/filters.h"
#include "engine/jinja/name_table_internal.h"
#include "engine/jinja/operators.h"
#include "engine/jinja/python_text.h"
#include "engine/jinja/renderer.h"
#include "engine/jinja/template_error.h"

namespace troupe::engine::jinja {
namespace {

using TestFunction = bool (*)(const Value& value, const CallArguments& arguments, Renderer& renderer);

const Value& TestArgument(const CallArguments& arguments, const char* test) {
  BoundArguments bound(test, arguments, {"other"});
  return bound.Require("other");
}

bool IsOddOrEven(const Value& value, bool want_odd) {
  if (value.IsInteger()) return ((value.AsInt() % 2) != 0) == want_odd;
  if (value.IsNumber()) return (std::fmod(std::fabs(value.AsFloat()), 2.0) == 1.0) == want_odd;
  if (value.IsUndefined()) FailUndefined(value);
  ThrowTemplateError("odd/even test needs a number, not " + std::string(value.TypeName()));
}

bool CompareTest(const Value& value, const CallArguments& arguments, const char* name, bool (*accept)(int)) {
  return accept(Compare(value, TestArgument(arguments, name)));
}

const std::pair<std::string_view, TestFunction> kTests[] = {
    {"boolean", [](const Value& v, const CallArguments&, Renderer&) { return v.kind() == Value::Kind::kBool; }},
    // Jinja's Undefined has __call__ (calling it fails), so it counts as callable.
    {"callable",
     [](const Value& v, const CallArguments&, Renderer&) { return v.kind() == Value::Kind::kCallable || v.IsUndefined(); }},
    {"defined", [](const Value& v, const CallArguments&, Renderer&) { return !v.IsUndefined(); }},
    {"divisibleby",
     [](const Value& v, const CallArguments& a, Renderer&) {
       BoundArguments bound("divisibleby", a, {"num"});
       const Value& divisor = bound.Require("num");
       Value remainder = Arithmetic(BinaryOp::kModulo, v, divisor, 0);
       return remainder.AsFloat() == 0.0;
     }},
    {"eq", [](const Value& v, const CallArguments& a, Renderer&) { return Equals(v, TestArgument(a, "eq")); }},
    {"equalto", [](const Value& v, const CallArguments& a, Renderer&) { return Equals(v, TestArgument(a, "equalto")); }},
    {"==", [](const Value& v, const CallArguments& a, Renderer&) { return Equals(v, TestArgument(a, "==")); }},
    {"ne", [](const Value& v, const CallArguments& a, Renderer&) { return !Equals(v, TestArgument(a, "ne")); }},
    {"!=", [](const Value& v, const CallArguments& a, Renderer&) { return !Equals(v, TestArgument(a, "!=")); }},
    {"escaped", [](const Value&, const CallArguments&, Renderer&) { return false; }},
    {"even", [](const Value& v, const CallArguments&, Renderer&) { return IsOddOrEven(v, false); }},
    {"odd", [](const Value& v, const CallArguments&, Renderer&) { return IsOddOrEven(v, true); }},
    {"false", [](const Value& v, const CallArguments&, Renderer&) { return v.kind() == Value::Kind::kBool && !v.AsBool(); }},
    {"true", [](const Value& v, const CallArguments&, Renderer&) { return v.kind() == Value::Kind::kBool && v.AsBool(); }},
    {"filter",
     [](const Value& v, const CallArguments&, Renderer&) { return v.IsString() && HasFilter(v.AsString()); }},
    {"test", [](const Value& v, const CallArguments&, Renderer&) { return v.IsString() && HasTest(v.AsString()); }},
    {"float", [](const Value& v, const CallArguments&, Renderer&) { return v.kind() == Value::Kind::kFloat; }},
    {"integer", [](const Value& v, const CallArguments&, Renderer&) { return v.kind() == Value::Kind::kInt; }},
    {"number", [](const Value& v, const CallArguments&, Renderer&) { return v.IsNumber(); }},
    {"ge", [](const Value& v, const CallArguments& a, Renderer&) { return CompareTest(v, a, "ge", [](int c) { return c >= 0; }); }},
    {">=", [](const Value& v, const CallArguments& a, Renderer&) { return CompareTest(v, a, ">=", [](int c) { return c >= 0; }); }},
    {"gt", [](const Value& v, const CallArguments& a, Renderer&) { return CompareTest(v, a, "gt", [](int c) { return c > 0; }); }},
    {">", [](const Value& v, const CallArguments& a, Renderer&) { return CompareTest(v, a, ">", [](int c) { return c > 0; }); }},
    {"greaterthan",
     [](const Value& v, const CallArguments& a, Renderer&) { return CompareTest(v, a, "greaterthan", [](int c) { return c > 0; }); }},
    {"le", [](const Value& v, const CallArguments& a, Renderer&) { return CompareTest(v, a, "le", [](int c) { return c <= 0; }); }},
    {"<=", [](const Value& v, const CallArguments& a, Renderer&) { return CompareTest(v, a, "<=", [](int c) { return c <= 0; }); }},
    {"lt", [](const Value& v, const CallArguments& a, Renderer&) { return CompareTest(v, a, "lt", [](int c) { return c < 0; }); }},
    {"<", [](const Value& v, const CallArguments& a, Renderer&) { return CompareTest(v, a, "<", [](int c) { return c < 0; }); }},
    {"lessthan",
     [](const Value& v, const CallArguments& a, Renderer&) { return CompareTest(v, a, "lessthan", [](int c) { return c < 0; }); }},
    {"in",
     [](const Value& v, const CallArguments& a, Renderer&) {
       BoundArguments bound("in", a, {"seq"});
       return Contains(bound.Require("seq"), v);
     }},
    {"iterable",
     [](const Value& v, const CallArguments&, Renderer&) {
       return v.IsString() || v.IsList() || v.IsDict() || v.IsUndefined();
     }},
    {"sequence",
     [](const Value& v, const CallArguments&, Renderer&) {
       return v.IsString() || v.IsList() || v.IsDict() || v.IsUndefined();
     }},
    {"mapping", [](const Value& v, const CallArguments&, Renderer&) { return v.IsDict(); }},
    {"string", [](const Value& v, const CallArguments&, Renderer&) { return v.IsString(); }},
    {"none", [](const Value& v, const CallArguments&, Renderer&) { return v.IsNone(); }},
    {"undefined", [](const Value& v, const CallArguments&, Renderer&) { return v.IsUndefined(); }},
    {"lower",
     [](const Value& v, const CallArguments&, Renderer& r) {
       std::string text = v.ToString(r.max_string_bytes());
       return IsLowerCase(text);
     }},
    {"upper",
     [](const Value& v, const CallArguments&, Renderer& r) {
       std::string text = v.ToString(r.max_string_bytes());
       return IsUpperCase(text);
     }},
    {"sameas",
     [](const Value& v, const CallArguments& a, Renderer&) {
       const Value& other = TestArgument(a, "sameas");
       if (v.kind() != other.kind()) return false;
       switch (v.kind()) {
         case Value::Kind::kList:
           return &v.AsList() == &other.AsList();
         case Value::Kind::kDict:
           return &v.AsDict() == &other.AsDict();
         case Value::Kind::kString:
           return &v.AsString() == &other.AsString() || v.AsString() == other.AsString();
         default:
           return Equals(v, other);
       }
     }},
};

}  // namespace

bool HasTest(std::string_view name) { return FindIn(kTests, name) != nullptr; }

bool ApplyTest(std::string_view name, const Value& value, const CallArguments& arguments, Renderer& renderer) {
  TestFunction test = FindIn(kTests, name);
  if (test == nullptr) ThrowTemplateError("No test named '" + std::string(name) + "'.");
  Renderer::DepthGuard depth(renderer);
  renderer.Charge(1);
  return test(value, arguments, renderer);
}

}  // namespace troupe::engine::jinja
