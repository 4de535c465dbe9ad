#include "engine/jinja/filters.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <utility>

#include "engine/jinja/arguments.h"
#include "engine/jinja/json_text.h"
#include "engine/jinja/methods.h"
#include "engine/jinja/name_table_internal.h"
#include "engine/jinja/operators.h"
#include "engine/jinja/python_numbers.h"
#include "engine/jinja/python_text.h"
#include "engine/jinja/renderer.h"
#include "engine/jinja/template_error.h"

namespace troupe::engine::jinja {
namespace {

using FilterFunction = Value (*)(const Value& value, const CallArguments& arguments, Renderer& renderer);

// ---- helpers shared by several filters ----

int64_t Length(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kString:
      return static_cast<int64_t>(CodePointCount(value.AsString()));
    case Value::Kind::kList:
      return static_cast<int64_t>(value.AsList().size());
    case Value::Kind::kDict:
      return static_cast<int64_t>(value.AsDict().size());
    case Value::Kind::kUndefined:
      return 0;
    default:
      ThrowTemplateError("object of type '" + std::string(value.TypeName()) + "' has no len()");
  }
}

ValueList Items(const Value& value, Renderer& renderer) { return renderer.IterateCharged(value); }

// Jinja's attribute paths: "a.b.0" looks up a, then b, then item 0.
Value LookupPath(const Value& item, const Value& path) {
  if (path.IsInteger()) return GetItem(item, path);
  if (!path.IsString()) ThrowTemplateError("attribute must be a string or an integer");
  Value current = item;
  const std::string& text = path.AsString();
  size_t start = 0;
  while (true) {
    size_t dot = text.find('.', start);
    std::string part = text.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (numeric && part.size() < 18) {
      current = GetItem(current, Value::Int(std::stoll(part)));
    } else {
      current = GetItem(current, Value::String(part));
    }
    if (dot == std::string::npos) return current;
    start = dot + 1;  // looking into an undefined intermediate fails, as in Jinja2
  }
}

// The key sort, unique, min and max compare: lower-cased strings unless case_sensitive.
Value SortKey(const Value& item, const Value* attribute, bool case_sensitive) {
  Value key = attribute != nullptr ? LookupPath(item, *attribute) : item;
  if (!case_sensitive && key.IsString()) return Value::String(LowerCase(key.AsString()));
  return key;
}

std::string HtmlEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

Value StringFilter(const Value& value, Renderer& renderer) {
  return Value::String(value.ToString(renderer.max_string_bytes()));
}

// ---- filters ----

Value FilterAbs(const Value& value, const CallArguments& arguments, Renderer&) {
  BoundArguments("abs", arguments, {});
  if (value.IsInteger()) {
    if (value.AsInt() == std::numeric_limits<int64_t>::min()) ThrowTemplateError("integer overflow");
    return Value::Int(value.AsInt() < 0 ? -value.AsInt() : value.AsInt());
  }
  if (value.IsNumber()) return Value::Float(std::fabs(value.AsFloat()));
  ThrowTemplateError("bad operand type for abs(): '" + std::string(value.TypeName()) + "'");
}

Value FilterAttr(const Value& value, const CallArguments& arguments, Renderer&) {
  BoundArguments bound("attr", arguments, {"name"});
  auto name = bound.OptionalString("name");
  if (!name) ThrowTemplateError("attr() needs a name");
  // Python getattr: methods and namespace attributes, never dict keys.
  if (value.kind() == Value::Kind::kNamespace) return GetAttribute(value, *name);
  if (value.IsUndefined()) return Value::Undefined("'Undefined' has no attribute '" + *name + "'");
  Value method = FindMethod(value, *name);
  if (!method.IsUndefined()) return method;
  return Value::Undefined("'" + std::string(value.TypeName()) + " object' has no attribute '" + *name + "'");
}

Value FilterBatch(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  BoundArguments bound("batch", arguments, {"linecount", "fill_with"});
  int64_t size = bound.Int("linecount", 0);
  if (size <= 0) ThrowTemplateError("batch() needs a positive line count");
  const Value* fill = bound.Find("fill_with");
  ValueList batches;
  ValueList current;
  for (Value& item : Items(value, renderer)) {
    current.push_back(std::move(item));
    if (static_cast<int64_t>(current.size()) == size) batches.push_back(Value::List(std::exchange(current, {})));
  }
  if (!current.empty()) {
    if (fill != nullptr && !fill->IsNone()) {
      while (static_cast<int64_t>(current.size()) < size) current.push_back(*fill);
    }
    batches.push_back(Value::List(std::move(current)));
  }
  return Value::List(std::move(batches));
}

Value FilterCapitalize(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  BoundArguments("capitalize", arguments, {});
  return Value::String(Capitalize(value.ToString(renderer.max_string_bytes())));
}

Value FilterCenter(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  BoundArguments bound("center", arguments, {"width"});
  std::string text = value.ToString(renderer.max_string_bytes());
  int64_t width = bound.Int("width", 80);
  auto length = static_cast<int64_t>(CodePointCount(text));
  if (width <= length) return Value::String(std::move(text));
  renderer.CheckStringSize(text.size() + static_cast<size_t>(width));
  int64_t margin = width - length;
  int64_t left = margin / 2 + (margin & width & 1);
  return Value::String(std::string(static_cast<size_t>(left), ' ') + text +
                       std::string(static_cast<size_t>(margin - left), ' '));
}

Value FilterLength(const Value& value, const CallArguments& arguments, Renderer&) {
  BoundArguments("length", arguments, {});
  return Value::Int(Length(value));
}

Value FilterDefault(const Value& value, const CallArguments& arguments, Renderer&) {
  BoundArguments bound("default", arguments, {"default_value", "boolean"});
  bool use_default = value.IsUndefined() || (bound.Bool("boolean", false) && !value.Truthy());
  return use_default ? bound.Get("default_value", Value::String("")) : value;
}

Value FilterDictsort(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  BoundArguments bound("dictsort", arguments, {"case_sensitive", "by", "reverse"});
  if (!value.IsDict()) ThrowTemplateError("dictsort() expects a mapping");
  bool case_sensitive = bound.Bool("case_sensitive", false);
  std::string by = bound.OptionalString("by").value_or("key");
  if (by != "key" && by != "value") ThrowTemplateError("dictsort(): you can only sort by either 'key' or 'value'");
  bool reverse = bound.Bool("reverse", false);
  renderer.Charge(static_cast<int64_t>(value.AsDict().size()));
  ValueEntries entries = value.AsDict();
  std::stable_sort(entries.begin(), entries.end(), [&](const auto& a, const auto& b) {
    Value key_a = SortKey(by == "key" ? a.first : a.second, nullptr, case_sensitive);
    Value key_b = SortKey(by == "key" ? b.first : b.second, nullptr, case_sensitive);
    return reverse ? Compare(key_b, key_a) < 0 : Compare(key_a, key_b) < 0;
  });
  ValueList pairs;
  for (auto& [key, item] : entries) pairs.push_back(Value::Tuple({key, item}));
  return Value::List(std::move(pairs));
}

Value FilterEscape(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  BoundArguments("escape", arguments, {});
  return Value::String(HtmlEscape(value.ToString(renderer.max_string_bytes())));
}

Value FilterFirst(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  BoundArguments("first", arguments, {});
  if (value.IsList()) {
    return value.AsList().empty() ? Value::Undefined("No first item, sequence was empty.") : value.AsList().front();
  }
  ValueList items = Items(value, renderer);
  return items.empty() ? Value::Undefined("No first item, sequence was empty.") : items.front();
}

Value FilterLast(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  BoundArguments("last", arguments, {});
  if (value.IsList()) {
    return value.AsList().empty() ? Value::Undefined("No last item, sequence was empty.") : value.AsList().back();
  }
  ValueList items = Items(value, renderer);
  return items.empty() ? Value::Undefined("No last item, sequence was empty.") : items.back();
}

Value FilterFloat(const Value& value, const CallArguments& arguments, Renderer&) {
  BoundArguments bound("float", arguments, {"default"});
  Value fallback = bound.Get("default", Value::Float(0.0));
  if (value.IsNumber()) return Value::Float(value.AsFloat());
  if (value.IsString()) {
    if (auto parsed = ParseFloat(value.AsString())) return Value::Float(*parsed);
  }
  return fallback;
}

Value FilterInt(const Value& value, const CallArguments& arguments, Renderer&) {
  BoundArguments bound("int", arguments, {"default", "base"});
  Value fallback = bound.Get("default", Value::Int(0));
  if (value.IsInteger()) return Value::Int(value.AsInt());
  auto from_float = [&](double number) {
    if (!std::isfinite(number) || std::fabs(number) >= 9.2e18) return fallback;
    return Value::Int(static_cast<int64_t>(number));
  };
  if (value.IsNumber()) return from_float(value.AsFloat());
  if (value.IsString()) {
    if (auto parsed = ParseInteger(value.AsString(), bound.Int("base", 10))) return Value::Int(*parsed);
    if (auto parsed = ParseFloat(value.AsString())) return from_float(*parsed);
  }
  return fallback;
}

Value FilterIndent(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  BoundArguments bound("indent", arguments, {"width", "first", "blank"});
  std::string indentation;
  const Value* width = bound.Find("width");
  if (width != nullptr && width->IsString()) {
    indentation = width->AsString();
  } else {
    int64_t spaces = bound.Int("width", 4);
    if (spaces > 0) {
      renderer.CheckStringSize(static_cast<size_t>(spaces));
      indentation.assign(static_cast<size_t>(spaces), ' ');
    }
  }
  std::string text = value.ToString(renderer.max_string_bytes()) + "\n";
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find_first_of("\r\n", start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + (text.compare(end, 2, "\r\n") == 0 ? 2 : 1);
  }
  renderer.CheckStringSize(text.size() + lines.size() * indentation.size());
  std::string out;
  bool blank = bound.Bool("blank", false);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) {
      out += '\n';
      if (blank || !lines[i].empty()) out += indentation;
    }
    out += lines[i];
  }
  if (bound.Bool("first", false)) out = indentation + out;
  return Value::String(std::move(out));
}

Value FilterItems(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  BoundArguments("items", arguments, {});
  if (value.IsUndefined()) return Value::List({});
  if (!value.IsDict()) ThrowTemplateError("Can only get item pairs from a mapping.");
  renderer.Charge(static_cast<int64_t>(value.AsDict().size()));
  ValueList pairs;
  for (const auto& [key, item] : value.AsDict()) pairs.push_back(Value::Tuple({key, item}));
  return Value::List(std::move(pairs));
}

Value FilterJoin(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  BoundArguments bound("join", arguments, {"d", "attribute"});
  std::string separator = bound.Get("d", Value::String("")).ToString(renderer.max_string_bytes());
  const Value* attribute = bound.Find("attribute");
  std::string out;
  bool first = true;
  for (const Value& item : Items(value, renderer)) {
    if (!first) out += separator;
    first = false;
    out += (attribute != nullptr ? LookupPath(item, *attribute) : item).ToString(renderer.max_string_bytes());
    renderer.CheckStringSize(out.size());
  }
  return Value::String(std::move(out));
}

Value FilterList(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  BoundArguments("list", arguments, {});
  return Value::List(Items(value, renderer));
}

Value FilterLower(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  BoundArguments("lower", arguments, {});
  return Value::String(LowerCase(value.ToString(renderer.max_string_bytes())));
}

Value FilterUpper(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  BoundArguments("upper", arguments, {});
  return Value::String(UpperCase(value.ToString(renderer.max_string_bytes())));
}

Value FilterTitle(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  BoundArguments("title", arguments, {});
  return Value::String(JinjaTitle(value.ToString(renderer.max_string_bytes())));
}

// The arguments after the first positional one, which name a filter or test.
CallArguments Rest(const CallArguments& arguments, size_t skip) {
  CallArguments rest;
  for (size_t i = skip; i < arguments.positional.size(); ++i) rest.positional.push_back(arguments.positional[i]);
  rest.keyword = arguments.keyword;
  return rest;
}

Value FilterMap(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  ValueList out;
  if (arguments.positional.empty()) {
    BoundArguments bound("map", arguments, {"attribute", "default"});
    const Value& attribute = bound.Require("attribute");
    const Value* fallback = bound.Find("default");
    for (const Value& item : Items(value, renderer)) {
      Value mapped = LookupPath(item, attribute);
      out.push_back(mapped.IsUndefined() && fallback != nullptr ? *fallback : mapped);
    }
    return Value::List(std::move(out));
  }
  if (!arguments.positional[0].IsString()) ThrowTemplateError("map() needs a filter name");
  const std::string& filter = arguments.positional[0].AsString();
  if (!HasFilter(filter)) ThrowTemplateError("No filter named '" + filter + "'.");
  CallArguments rest = Rest(arguments, 1);
  for (const Value& item : Items(value, renderer)) out.push_back(ApplyFilter(filter, item, rest, renderer));
  return Value::List(std::move(out));
}

// select / reject / selectattr / rejectattr.
Value SelectOrReject(const Value& value, const CallArguments& arguments, Renderer& renderer, bool by_attribute,
                     bool keep_matches) {
  size_t test_index = by_attribute ? 1 : 0;
  if (by_attribute && arguments.positional.empty()) ThrowTemplateError("selectattr() needs an attribute");
  std::optional<std::string> test;
  if (arguments.positional.size() > test_index) {
    const Value& name = arguments.positional[test_index];
    if (!name.IsString()) ThrowTemplateError("the test name must be a string");
    if (!HasTest(name.AsString())) ThrowTemplateError("No test named '" + name.AsString() + "'.");
    test = name.AsString();
  }
  CallArguments rest = Rest(arguments, test_index + 1);
  ValueList out;
  for (const Value& item : Items(value, renderer)) {
    Value subject = by_attribute ? LookupPath(item, arguments.positional[0]) : item;
    bool passes = test ? ApplyTest(*test, subject, rest, renderer) : subject.Truthy();
    if (passes == keep_matches) out.push_back(item);
  }
  return Value::List(std::move(out));
}

Value FilterSelect(const Value& v, const CallArguments& a, Renderer& r) { return SelectOrReject(v, a, r, false, true); }
Value FilterReject(const Value& v, const CallArguments& a, Renderer& r) { return SelectOrReject(v, a, r, false, false); }
Value FilterSelectAttr(const Value& v, const CallArguments& a, Renderer& r) { return SelectOrReject(v, a, r, true, true); }
Value FilterRejectAttr(const Value& v, const CallArguments& a, Renderer& r) { return SelectOrReject(v, a, r, true, false); }

Value MinOrMax(const Value& value, const CallArguments& arguments, Renderer& renderer, bool want_max) {
  BoundArguments bound(want_max ? "max" : "min", arguments, {"case_sensitive", "attribute"});
  bool case_sensitive = bound.Bool("case_sensitive", false);
  const Value* attribute = bound.Find("attribute");
  ValueList items = Items(value, renderer);
  if (items.empty()) return Value::Undefined("No aggregated item, sequence was empty.");
  size_t best = 0;
  for (size_t i = 1; i < items.size(); ++i) {
    int order = Compare(SortKey(items[i], attribute, case_sensitive), SortKey(items[best], attribute, case_sensitive));
    if (want_max ? order > 0 : order < 0) best = i;
  }
  return items[best];
}

Value FilterMax(const Value& v, const CallArguments& a, Renderer& r) { return MinOrMax(v, a, r, true); }
Value FilterMin(const Value& v, const CallArguments& a, Renderer& r) { return MinOrMax(v, a, r, false); }

Value FilterReplace(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  BoundArguments bound("replace", arguments, {"old", "new", "count"});
  std::string text = value.ToString(renderer.max_string_bytes());
  std::string old_text = bound.Require("old").ToString(renderer.max_string_bytes());
  std::string new_text = bound.Require("new").ToString(renderer.max_string_bytes());
  return Value::String(Replace(text, old_text, new_text, bound.Int("count", -1), renderer.max_string_bytes()));
}

Value FilterReverse(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  BoundArguments("reverse", arguments, {});
  if (value.IsString()) {
    std::vector<std::string_view> characters = CodePoints(value.AsString());
    std::string out;
    for (auto it = characters.rbegin(); it != characters.rend(); ++it) out += *it;
    return Value::String(std::move(out));
  }
  ValueList items = Items(value, renderer);
  std::reverse(items.begin(), items.end());
  return Value::List(std::move(items));
}

Value FilterRound(const Value& value, const CallArguments& arguments, Renderer&) {
  BoundArguments bound("round", arguments, {"precision", "method"});
  int64_t precision = bound.Int("precision", 0);
  std::string method = bound.OptionalString("method").value_or("common");
  if (!value.IsNumber()) ThrowTemplateError("round() expects a number, not " + std::string(value.TypeName()));
  if (method == "common") {
    if (value.IsInteger() && precision >= 0) return Value::Int(value.AsInt());
    double rounded = RoundFloat(value.AsFloat(), precision);
    return value.IsInteger() ? Value::Int(static_cast<int64_t>(rounded)) : Value::Float(rounded);
  }
  if (method != "ceil" && method != "floor") ThrowTemplateError("method must be common, ceil or floor");
  double scale = std::pow(10.0, static_cast<double>(precision));
  double scaled = value.AsFloat() * scale;
  return Value::Float((method == "ceil" ? std::ceil(scaled) : std::floor(scaled)) / scale);
}

Value FilterSafe(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  BoundArguments("safe", arguments, {});
  return StringFilter(value, renderer);
}

Value FilterString(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  BoundArguments("string", arguments, {});
  return StringFilter(value, renderer);
}

Value FilterSort(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  BoundArguments bound("sort", arguments, {"reverse", "case_sensitive", "attribute"});
  bool reverse = bound.Bool("reverse", false);
  bool case_sensitive = bound.Bool("case_sensitive", false);
  const Value* attribute = bound.Find("attribute");
  ValueList items = Items(value, renderer);
  renderer.Charge(static_cast<int64_t>(items.size()));
  std::vector<std::pair<Value, Value>> keyed;
  for (Value& item : items) keyed.emplace_back(SortKey(item, attribute, case_sensitive), std::move(item));
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    return reverse ? Compare(b.first, a.first) < 0 : Compare(a.first, b.first) < 0;
  });
  ValueList out;
  for (auto& entry : keyed) out.push_back(std::move(entry.second));
  return Value::List(std::move(out));
}

Value FilterSum(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  BoundArguments bound("sum", arguments, {"attribute", "start"});
  const Value* attribute = bound.Find("attribute");
  Value total = bound.Get("start", Value::Int(0));
  for (const Value& item : Items(value, renderer)) {
    total = Arithmetic(BinaryOp::kAdd, total, attribute != nullptr ? LookupPath(item, *attribute) : item,
                       renderer.max_string_bytes());
  }
  return total;
}

Value FilterToJson(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  BoundArguments bound("tojson", arguments, {"ensure_ascii", "indent", "separators", "sort_keys"});
  JsonFormat format;
  format.ensure_ascii = bound.Bool("ensure_ascii", false);
  format.sort_keys = bound.Bool("sort_keys", false);
  if (const Value* indent = bound.Find("indent"); indent != nullptr && !indent->IsNone()) {
    if (indent->IsString()) {
      format.indent = indent->AsString();
    } else if (indent->IsInteger()) {
      int64_t spaces = std::clamp<int64_t>(indent->AsInt(), 0, 64);
      format.indent = std::string(static_cast<size_t>(spaces), ' ');
    } else {
      ThrowTemplateError("tojson() indent must be an integer or a string");
    }
  }
  if (const Value* separators = bound.Find("separators"); separators != nullptr && !separators->IsNone()) {
    if (!separators->IsList() || separators->AsList().size() != 2 || !separators->AsList()[0].IsString() ||
        !separators->AsList()[1].IsString()) {
      ThrowTemplateError("tojson() separators must be a pair of strings");
    }
    format.separators.emplace(separators->AsList()[0].AsString(), separators->AsList()[1].AsString());
  }
  return Value::String(ToJson(value, format, renderer.max_string_bytes()));
}

Value FilterTrim(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  BoundArguments bound("trim", arguments, {"chars"});
  return Value::String(Strip(value.ToString(renderer.max_string_bytes()), bound.OptionalString("chars"), true, true));
}

Value FilterUnique(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  BoundArguments bound("unique", arguments, {"case_sensitive", "attribute"});
  bool case_sensitive = bound.Bool("case_sensitive", false);
  const Value* attribute = bound.Find("attribute");
  ValueList items = Items(value, renderer);
  renderer.Charge(static_cast<int64_t>(items.size()));
  ValueList seen;
  ValueList out;
  for (Value& item : items) {
    Value key = SortKey(item, attribute, case_sensitive);
    bool duplicate = false;
    for (const Value& earlier : seen) {
      renderer.Charge(1);
      if (Equals(earlier, key)) {
        duplicate = true;
        break;
      }
    }
    if (duplicate) continue;
    seen.push_back(std::move(key));
    out.push_back(std::move(item));
  }
  return Value::List(std::move(out));
}

Value FilterWordcount(const Value& value, const CallArguments& arguments, Renderer& renderer) {
  BoundArguments("wordcount", arguments, {});
  std::string text = value.ToString(renderer.max_string_bytes());
  int64_t words = 0;
  bool in_word = false;
  for (char c : text) {
    bool word_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                     static_cast<unsigned char>(c) >= 0x80;
    if (word_char && !in_word) ++words;
    in_word = word_char;
  }
  return Value::Int(words);
}

const std::pair<std::string_view, FilterFunction> kFilters[] = {
    {"abs", FilterAbs},
    {"attr", FilterAttr},
    {"batch", FilterBatch},
    {"capitalize", FilterCapitalize},
    {"center", FilterCenter},
    {"count", FilterLength},
    {"d", FilterDefault},
    {"default", FilterDefault},
    {"dictsort", FilterDictsort},
    {"e", FilterEscape},
    {"escape", FilterEscape},
    {"first", FilterFirst},
    {"float", FilterFloat},
    {"indent", FilterIndent},
    {"int", FilterInt},
    {"items", FilterItems},
    {"join", FilterJoin},
    {"last", FilterLast},
    {"length", FilterLength},
    {"list", FilterList},
    {"lower", FilterLower},
    {"map", FilterMap},
    {"max", FilterMax},
    {"min", FilterMin},
    {"reject", FilterReject},
    {"rejectattr", FilterRejectAttr},
    {"replace", FilterReplace},
    {"reverse", FilterReverse},
    {"round", FilterRound},
    {"safe", FilterSafe},
    {"select", FilterSelect},
    {"selectattr", FilterSelectAttr},
    {"sort", FilterSort},
    {"string", FilterString},
    {"sum", FilterSum},
    {"title", FilterTitle},
    {"tojson", FilterToJson},
    {"trim", FilterTrim},
    {"unique", FilterUnique},
    {"upper", FilterUpper},
    {"wordcount", FilterWordcount},
};

}  // namespace

bool HasFilter(std::string_view name) { return FindIn(kFilters, name) != nullptr; }

Value ApplyFilter(std::string_view name, const Value& value, const CallArguments& arguments, Renderer& renderer) {
  FilterFunction filter = FindIn(kFilters, name);
  if (filter == nullptr) ThrowTemplateError("No filter named '" + std::string(name) + "'.");
  Renderer::DepthGuard depth(renderer);  // map('map', ...) recurses
  renderer.Charge(1);
  return filter(value, arguments, renderer);
}

}  // namespace troupe::engine::jinja
