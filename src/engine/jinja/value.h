// The values a chat template computes with: Python's JSON-like types as Jinja2 sees them, plus
// Jinja's Undefined, callables (macros, globals, bound methods) and namespace() objects.
//
// Lists and dicts are immutable once built (the sandbox forbids mutating them), so they are held
// by shared_ptr<const ...> and copying a Value never copies a container. Namespaces are the one
// mutable kind; they are shared too, because `set ns.x = ...` must be seen through every name that
// refers to the same namespace, as in Python. Every list and dict records its nesting depth, and
// no value deeper than kMaxValueDepth can be built, so the recursive operations (printing, tojson,
// comparison) are bounded whatever a template does.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace troupe::engine::jinja {

class Value;
class Renderer;

inline constexpr int kMaxValueDepth = 256;

using ValueList = std::vector<Value>;
using ValueEntries = std::vector<std::pair<Value, Value>>;

// Arguments of a call, as written: positional first, then name=value pairs.
struct CallArguments {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

// Something a template can call: a macro, a global function, a bound method.
class Callable {
 public:
  virtual ~Callable() = default;
  virtual std::string_view Name() const = 0;
  // What printing it shows.
  virtual std::string Repr() const { return "<function " + std::string(Name()) + ">"; }
  virtual Value Call(CallArguments arguments, Renderer& renderer) const = 0;
};

// A namespace() object: the one value whose attributes a template may assign.
struct Namespace {
  ValueEntries attributes;  // keys are strings
};

class Value {
 public:
  enum class Kind { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kCallable, kNamespace };

  // Undefined; `hint` is the message Jinja would give when the undefined value is used
  // ("'foo' is undefined", "list object has no element 3").
  Value() = default;
  static Value Undefined(std::string hint);
  static Value None();
  static Value Bool(bool value);
  static Value Int(int64_t value);
  static Value Float(double value);
  static Value String(std::string value);
  // Throw EngineError when the result would nest deeper than kMaxValueDepth.
  static Value List(ValueList items);
  // A Python tuple: a list that prints with parentheses and never equals a list.
  static Value Tuple(ValueList items);
  static Value Dict(ValueEntries entries);  // keys must be unique (callers use DictBuilder)
  static Value Function(std::shared_ptr<const Callable> callable);
  static Value NewNamespace(ValueEntries attributes);

  // From JSON input (messages, tools). Object key order is kept.
  static Value FromJson(const nlohmann::ordered_json& json);

  Kind kind() const { return static_cast<Kind>(data_.index()); }
  bool IsUndefined() const { return kind() == Kind::kUndefined; }
  bool IsNone() const { return kind() == Kind::kNone; }
  bool IsString() const { return kind() == Kind::kString; }
  bool IsList() const { return kind() == Kind::kList; }  // lists and tuples
  bool IsTuple() const;
  bool IsDict() const { return kind() == Kind::kDict; }
  // bool, int or float: Python treats bool as an int.
  bool IsNumber() const { return kind() == Kind::kBool || kind() == Kind::kInt || kind() == Kind::kFloat; }
  // bool or int.
  bool IsInteger() const { return kind() == Kind::kBool || kind() == Kind::kInt; }

  bool AsBool() const { return std::get<bool>(data_); }
  int64_t AsInt() const;    // bool or int
  double AsFloat() const;   // any number
  const std::string& AsString() const { return *std::get<StringHolder>(data_); }
  const ValueList& AsList() const { return std::get<ListHolder>(data_)->items; }
  const ValueEntries& AsDict() const { return std::get<DictHolder>(data_)->entries; }
  const Callable& AsCallable() const { return *std::get<std::shared_ptr<const Callable>>(data_); }
  Namespace& AsNamespace() const { return *std::get<std::shared_ptr<Namespace>>(data_); }
  const std::string& UndefinedHint() const { return std::get<UndefinedData>(data_).hint; }

  // Nesting depth: 0 for scalars, 1 + the deepest item for lists and dicts.
  int Depth() const;
  // Whether this is, or contains, a callable or a namespace. Namespace attributes may not hold
  // such values, which keeps reference cycles (and endless printing) impossible.
  bool HoldsReferences() const;

  // The dict entry for `key`, or nullptr. Only for dicts.
  const Value* Find(const Value& key) const;
  const Value* Find(std::string_view key) const;

  // Python truthiness.
  bool Truthy() const;
  // Python str(): what {{ value }} prints. Undefined prints as "".
  std::string ToString(size_t max_bytes = kUnlimited) const;
  // Python repr(): strings quoted, as inside a printed list. Throws TemplateError when the text
  // would pass `max_bytes` (a list may hold one long string many times over).
  std::string Repr(size_t max_bytes = kUnlimited) const;
  void AppendRepr(std::string& out, size_t max_bytes) const;
  static constexpr size_t kUnlimited = static_cast<size_t>(-1);
  // Python's type name, for error messages ("str", "int", "list", "dict", "NoneType", ...).
  std::string_view TypeName() const;

 private:
  struct UndefinedData {
    std::string hint;
  };
  struct ListData {
    ValueList items;
    int depth = 1;
    bool holds_references = false;
    bool tuple = false;
  };
  struct DictData {
    ValueEntries entries;
    int depth = 1;
    bool holds_references = false;
  };
  // Strings are shared too: a list may hold one long string many times over.
  using StringHolder = std::shared_ptr<const std::string>;
  using ListHolder = std::shared_ptr<const ListData>;
  using DictHolder = std::shared_ptr<const DictData>;

  // The alternative's index is the Kind.
  std::variant<UndefinedData, std::nullptr_t, bool, int64_t, double, StringHolder, ListHolder, DictHolder,
               std::shared_ptr<const Callable>, std::shared_ptr<Namespace>>
      data_;
};

// Python ==: numbers compare by value across bool/int/float, containers element by element,
// callables and namespaces by identity; different kinds are unequal.
bool Equals(const Value& left, const Value& right);

// Python <: numbers with numbers, strings with strings (code point order), lists lexicographically.
// Returns <0, 0 or >0; throws EngineError (without a line) for other pairs.
int Compare(const Value& left, const Value& right);

// Builds a dict, replacing the value of a key given twice (Python's dict literal behaviour).
class DictBuilder {
 public:
  void Set(Value key, Value value);
  Value Build() && { return Value::Dict(std::move(entries_)); }

 private:
  ValueEntries entries_;
};

// Python's repr() of a float: the shortest text that reads back to the same double.
std::string FormatPythonFloat(double value);

}  // namespace troupe::engine::jinja
