#include "engine/jinja/methods.h"

#include <utility>

#include "engine/jinja/arguments.h"
#include "engine/jinja/python_text.h"
#include "engine/jinja/renderer.h"
#include "engine/jinja/template_error.h"

namespace troupe::engine::jinja {
namespace {

using MethodFunction = Value (*)(const Value& self, const CallArguments& arguments, Renderer& renderer);

class BoundMethod : public Callable {
 public:
  BoundMethod(Value self, std::string name, MethodFunction function)
      : self_(std::move(self)), name_(std::move(name)), function_(function) {}
  std::string_view Name() const override { return name_; }
  Value Call(CallArguments arguments, Renderer& renderer) const override {
    return function_(self_, arguments, renderer);
  }

 private:
  Value self_;
  std::string name_;
  MethodFunction function_;
};

Value StripMethod(const Value& self, const CallArguments& arguments, bool left, bool right, const char* name) {
  BoundArguments bound(name, arguments, {"chars"});
  return Value::String(Strip(self.AsString(), bound.OptionalString("chars"), left, right));
}

Value StringList(std::vector<std::string> parts) {
  ValueList items;
  items.reserve(parts.size());
  for (std::string& part : parts) items.push_back(Value::String(std::move(part)));
  return Value::List(std::move(items));
}

// startswith/endswith take one prefix or a tuple (list) of them.
bool AffixMatches(const Value& self, const CallArguments& arguments, bool at_start, const char* name) {
  BoundArguments bound(name, arguments, {"prefix"});
  const Value& wanted = bound.Require("prefix");
  ValueList candidates = wanted.IsList() ? wanted.AsList() : ValueList{wanted};
  const std::string& text = self.AsString();
  for (const Value& candidate : candidates) {
    if (!candidate.IsString()) {
      ThrowTemplateError(std::string(name) + "() argument must be str or a tuple of str, not " +
                         std::string(candidate.TypeName()));
    }
    const std::string& affix = candidate.AsString();
    if (affix.size() > text.size()) continue;
    if (at_start ? text.compare(0, affix.size(), affix) == 0
                 : text.compare(text.size() - affix.size(), affix.size(), affix) == 0) {
      return true;
    }
  }
  return false;
}

template <typename Predicate>
Value AllCharacters(const Value& self, Predicate predicate) {
  const std::string& text = self.AsString();
  if (text.empty()) return Value::Bool(false);
  for (char c : text) {
    if (!predicate(c)) return Value::Bool(false);
  }
  return Value::Bool(true);
}

const std::pair<std::string_view, MethodFunction> kStringMethods[] = {
    {"strip", [](const Value& s, const CallArguments& a, Renderer&) { return StripMethod(s, a, true, true, "strip"); }},
    {"lstrip", [](const Value& s, const CallArguments& a, Renderer&) { return StripMethod(s, a, true, false, "lstrip"); }},
    {"rstrip", [](const Value& s, const CallArguments& a, Renderer&) { return StripMethod(s, a, false, true, "rstrip"); }},
    {"split",
     [](const Value& s, const CallArguments& a, Renderer& renderer) {
       BoundArguments bound("split", a, {"sep", "maxsplit"});
       auto parts = Split(s.AsString(), bound.OptionalString("sep"), bound.Int("maxsplit", -1));
       renderer.Charge(static_cast<int64_t>(parts.size()));
       return StringList(std::move(parts));
     }},
    {"startswith",
     [](const Value& s, const CallArguments& a, Renderer&) { return Value::Bool(AffixMatches(s, a, true, "startswith")); }},
    {"endswith",
     [](const Value& s, const CallArguments& a, Renderer&) { return Value::Bool(AffixMatches(s, a, false, "endswith")); }},
    {"upper",
     [](const Value& s, const CallArguments& a, Renderer&) {
       BoundArguments("upper", a, {});
       return Value::String(UpperCase(s.AsString()));
     }},
    {"lower",
     [](const Value& s, const CallArguments& a, Renderer&) {
       BoundArguments("lower", a, {});
       return Value::String(LowerCase(s.AsString()));
     }},
    {"title",
     [](const Value& s, const CallArguments& a, Renderer&) {
       BoundArguments("title", a, {});
       return Value::String(PythonTitle(s.AsString()));
     }},
    {"capitalize",
     [](const Value& s, const CallArguments& a, Renderer&) {
       BoundArguments("capitalize", a, {});
       return Value::String(Capitalize(s.AsString()));
     }},
    {"replace",
     [](const Value& s, const CallArguments& a, Renderer& renderer) {
       BoundArguments bound("replace", a, {"old", "new", "count"});
       const Value& old_text = bound.Require("old");
       const Value& new_text = bound.Require("new");
       if (!old_text.IsString() || !new_text.IsString()) ThrowTemplateError("replace() arguments must be str");
       return Value::String(Replace(s.AsString(), old_text.AsString(), new_text.AsString(), bound.Int("count", -1),
                                    renderer.max_string_bytes()));
     }},
    {"find",
     [](const Value& s, const CallArguments& a, Renderer&) {
       BoundArguments bound("find", a, {"sub"});
       auto needle = bound.OptionalString("sub");
       if (!needle) ThrowTemplateError("find() missing required argument 'sub'");
       return Value::Int(Find(s.AsString(), *needle, false));
     }},
    {"rfind",
     [](const Value& s, const CallArguments& a, Renderer&) {
       BoundArguments bound("rfind", a, {"sub"});
       auto needle = bound.OptionalString("sub");
       if (!needle) ThrowTemplateError("rfind() missing required argument 'sub'");
       return Value::Int(Find(s.AsString(), *needle, true));
     }},
    {"count",
     [](const Value& s, const CallArguments& a, Renderer&) {
       BoundArguments bound("count", a, {"sub"});
       auto needle = bound.OptionalString("sub");
       if (!needle) ThrowTemplateError("count() missing required argument 'sub'");
       return Value::Int(CountOccurrences(s.AsString(), *needle));
     }},
    {"join",
     [](const Value& s, const CallArguments& a, Renderer& renderer) {
       BoundArguments bound("join", a, {"iterable"});
       const Value& items = bound.Require("iterable");
       if (!items.IsList()) ThrowTemplateError("join() expects a list of strings");
       std::string out;
       bool first = true;
       for (const Value& item : items.AsList()) {
         if (!item.IsString()) ThrowTemplateError("sequence item: expected str instance, " + std::string(item.TypeName()) + " found");
         if (!first) out += s.AsString();
         first = false;
         out += item.AsString();
         renderer.CheckStringSize(out.size());
       }
       return Value::String(std::move(out));
     }},
    {"isdigit",
     [](const Value& s, const CallArguments&, Renderer&) { return AllCharacters(s, [](char c) { return c >= '0' && c <= '9'; }); }},
    {"isalpha",
     [](const Value& s, const CallArguments&, Renderer&) {
       return AllCharacters(s, [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); });
     }},
    {"isspace",
     [](const Value& s, const CallArguments&, Renderer&) {
       return AllCharacters(s, [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); });
     }},
    {"islower",
     [](const Value& s, const CallArguments&, Renderer&) {
       return Value::Bool(IsLowerCase(s.AsString()));
     }},
    {"isupper",
     [](const Value& s, const CallArguments&, Renderer&) {
       return Value::Bool(IsUpperCase(s.AsString()));
     }},
};

const std::pair<std::string_view, MethodFunction> kDictMethods[] = {
    {"items",
     [](const Value& d, const CallArguments& a, Renderer& renderer) {
       BoundArguments("items", a, {});
       renderer.Charge(static_cast<int64_t>(d.AsDict().size()));
       ValueList pairs;
       for (const auto& [key, value] : d.AsDict()) pairs.push_back(Value::Tuple({key, value}));
       return Value::List(std::move(pairs));
     }},
    {"keys",
     [](const Value& d, const CallArguments& a, Renderer& renderer) {
       BoundArguments("keys", a, {});
       renderer.Charge(static_cast<int64_t>(d.AsDict().size()));
       ValueList keys;
       for (const auto& entry : d.AsDict()) keys.push_back(entry.first);
       return Value::List(std::move(keys));
     }},
    {"values",
     [](const Value& d, const CallArguments& a, Renderer& renderer) {
       BoundArguments("values", a, {});
       renderer.Charge(static_cast<int64_t>(d.AsDict().size()));
       ValueList values;
       for (const auto& entry : d.AsDict()) values.push_back(entry.second);
       return Value::List(std::move(values));
     }},
    {"get",
     [](const Value& d, const CallArguments& a, Renderer&) {
       BoundArguments bound("get", a, {"key", "default"});
       const Value* found = d.Find(bound.Require("key"));
       return found != nullptr ? *found : bound.Get("default", Value::None());
     }},
};

const std::pair<std::string_view, MethodFunction> kListMethods[] = {
    {"count",
     [](const Value& l, const CallArguments& a, Renderer& renderer) {
       BoundArguments bound("count", a, {"value"});
       const Value& wanted = bound.Require("value");
       renderer.Charge(static_cast<int64_t>(l.AsList().size()));
       int64_t count = 0;
       for (const Value& item : l.AsList()) count += Equals(item, wanted) ? 1 : 0;
       return Value::Int(count);
     }},
    {"index",
     [](const Value& l, const CallArguments& a, Renderer& renderer) {
       BoundArguments bound("index", a, {"value"});
       const Value& wanted = bound.Require("value");
       renderer.Charge(static_cast<int64_t>(l.AsList().size()));
       for (size_t i = 0; i < l.AsList().size(); ++i) {
         if (Equals(l.AsList()[i], wanted)) return Value::Int(static_cast<int64_t>(i));
       }
       ThrowTemplateError(wanted.Repr(256) + " is not in list");
     }},
};

template <size_t N>
Value Bind(const Value& object, const std::string& name, const std::pair<std::string_view, MethodFunction> (&table)[N]) {
  for (const auto& [method_name, function] : table) {
    if (method_name == name) return Value::Function(std::make_shared<BoundMethod>(object, name, function));
  }
  return Value::Undefined("'" + std::string(object.TypeName()) + " object' has no attribute '" + name + "'");
}

}  // namespace

Value FindMethod(const Value& object, const std::string& name) {
  if (object.IsString()) return Bind(object, name, kStringMethods);
  if (object.IsDict()) return Bind(object, name, kDictMethods);
  if (object.IsList()) return Bind(object, name, kListMethods);
  return Value::Undefined("'" + std::string(object.TypeName()) + " object' has no attribute '" + name + "'");
}

}  // namespace troupe::engine::jinja
