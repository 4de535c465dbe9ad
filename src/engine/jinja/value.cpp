#include "engine/jinja/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "engine/jinja/template_error.h"

namespace troupe::engine::jinja {
namespace {

int DeepestItem(const ValueList& items) {
  int deepest = 0;
  for (const Value& item : items) deepest = std::max(deepest, item.Depth());
  return deepest;
}

void CheckDepth(int depth) {
  if (depth > kMaxValueDepth) {
    ThrowTemplateError("value nested more than " + std::to_string(kMaxValueDepth) + " levels deep");
  }
}

// Python's repr() of a str: single quotes unless the text holds a ' and no ".
std::string ReprString(const std::string& text) {
  char quote = '\'';
  if (text.find('\'') != std::string::npos && text.find('"') == std::string::npos) quote = '"';
  std::string out(1, quote);
  for (size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    char buffer[8];
    if (byte == '\\') {
      out += "\\\\";
    } else if (byte == static_cast<unsigned char>(quote)) {
      out += '\\';
      out += quote;
    } else if (byte == '\n') {
      out += "\\n";
    } else if (byte == '\r') {
      out += "\\r";
    } else if (byte == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      std::snprintf(buffer, sizeof buffer, "\\x%02x", byte);
      out += buffer;
    } else if (byte == 0xc2 && i + 1 < text.size() &&
               (static_cast<unsigned char>(text[i + 1]) <= 0xa0 || static_cast<unsigned char>(text[i + 1]) == 0xad)) {
      // U+0080..U+00A0 and U+00AD are not printable in Python, so repr escapes them.
      std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<unsigned char>(text[i + 1]));
      out += buffer;
      ++i;
    } else {
      out += static_cast<char>(byte);
    }
  }
  out += quote;
  return out;
}

}  // namespace

Value Value::Undefined(std::string hint) {
  Value value;
  value.data_ = UndefinedData{std::move(hint)};
  return value;
}

Value Value::None() {
  Value value;
  value.data_ = nullptr;
  return value;
}

Value Value::Bool(bool flag) {
  Value value;
  value.data_ = flag;
  return value;
}

Value Value::Int(int64_t number) {
  Value value;
  value.data_ = number;
  return value;
}

Value Value::Float(double number) {
  Value value;
  value.data_ = number;
  return value;
}

Value Value::String(std::string text) {
  Value value;
  value.data_ = std::make_shared<const std::string>(std::move(text));
  return value;
}

Value Value::List(ValueList items) {
  int depth = 1 + DeepestItem(items);
  CheckDepth(depth);
  bool holds_references = false;
  for (const Value& item : items) holds_references = holds_references || item.HoldsReferences();
  Value value;
  value.data_ = std::make_shared<const ListData>(ListData{std::move(items), depth, holds_references});
  return value;
}

Value Value::Tuple(ValueList items) {
  Value value = List(std::move(items));
  const auto& data = std::get<ListHolder>(value.data_);
  value.data_ = std::make_shared<const ListData>(ListData{data->items, data->depth, data->holds_references, true});
  return value;
}

bool Value::IsTuple() const { return kind() == Kind::kList && std::get<ListHolder>(data_)->tuple; }

Value Value::Dict(ValueEntries entries) {
  int deepest = 0;
  bool holds_references = false;
  for (const auto& [key, item] : entries) {
    deepest = std::max({deepest, key.Depth(), item.Depth()});
    holds_references = holds_references || key.HoldsReferences() || item.HoldsReferences();
  }
  CheckDepth(deepest + 1);
  Value value;
  value.data_ = std::make_shared<const DictData>(DictData{std::move(entries), deepest + 1, holds_references});
  return value;
}

Value Value::Function(std::shared_ptr<const Callable> callable) {
  Value value;
  value.data_ = std::move(callable);
  return value;
}

Value Value::NewNamespace(ValueEntries attributes) {
  Value value;
  value.data_ = std::make_shared<Namespace>(Namespace{std::move(attributes)});
  return value;
}

Value Value::FromJson(const nlohmann::ordered_json& json) {
  switch (json.type()) {
    case nlohmann::ordered_json::value_t::null:
      return None();
    case nlohmann::ordered_json::value_t::boolean:
      return Bool(json.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
      return Int(json.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: {
      auto number = json.get<uint64_t>();
      if (number <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Int(static_cast<int64_t>(number));
      }
      return Float(static_cast<double>(number));
    }
    case nlohmann::ordered_json::value_t::number_float:
      return Float(json.get<double>());
    case nlohmann::ordered_json::value_t::string:
      return String(json.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      ValueList items;
      items.reserve(json.size());
      for (const auto& item : json) items.push_back(FromJson(item));
      return List(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
      ValueEntries entries;
      entries.reserve(json.size());
      for (const auto& [key, item] : json.items()) entries.emplace_back(String(key), FromJson(item));
      return Dict(std::move(entries));
    }
    default:
      return None();  // binary and discarded values cannot come from parsed JSON text
  }
}

int64_t Value::AsInt() const {
  if (kind() == Kind::kBool) return AsBool() ? 1 : 0;
  return std::get<int64_t>(data_);
}

double Value::AsFloat() const {
  if (kind() == Kind::kFloat) return std::get<double>(data_);
  return static_cast<double>(AsInt());
}

int Value::Depth() const {
  if (kind() == Kind::kList) return std::get<ListHolder>(data_)->depth;
  if (kind() == Kind::kDict) return std::get<DictHolder>(data_)->depth;
  return 0;
}

bool Value::HoldsReferences() const {
  switch (kind()) {
    case Kind::kCallable:
    case Kind::kNamespace:
      return true;
    case Kind::kList:
      return std::get<ListHolder>(data_)->holds_references;
    case Kind::kDict:
      return std::get<DictHolder>(data_)->holds_references;
    default:
      return false;
  }
}

const Value* Value::Find(const Value& key) const {
  for (const auto& [entry_key, entry_value] : AsDict()) {
    if (Equals(entry_key, key)) return &entry_value;
  }
  return nullptr;
}

const Value* Value::Find(std::string_view key) const {
  for (const auto& [entry_key, entry_value] : AsDict()) {
    if (entry_key.IsString() && entry_key.AsString() == key) return &entry_value;
  }
  return nullptr;
}

bool Value::Truthy() const {
  switch (kind()) {
    case Kind::kUndefined:
    case Kind::kNone:
      return false;
    case Kind::kBool:
      return AsBool();
    case Kind::kInt:
      return AsInt() != 0;
    case Kind::kFloat:
      return AsFloat() != 0.0;
    case Kind::kString:
      return !AsString().empty();
    case Kind::kList:
      return !AsList().empty();
    case Kind::kDict:
      return !AsDict().empty();
    case Kind::kCallable:
    case Kind::kNamespace:
      return true;
  }
  return false;
}

std::string Value::ToString(size_t max_bytes) const {
  switch (kind()) {
    case Kind::kUndefined:
      return "";
    case Kind::kString:
      return AsString();
    default:
      return Repr(max_bytes);
  }
}

std::string Value::Repr(size_t max_bytes) const {
  std::string out;
  AppendRepr(out, max_bytes);
  return out;
}

void Value::AppendRepr(std::string& out, size_t max_bytes) const {
  switch (kind()) {
    case Kind::kUndefined:
      out += "Undefined";
      break;
    case Kind::kNone:
      out += "None";
      break;
    case Kind::kBool:
      out += AsBool() ? "True" : "False";
      break;
    case Kind::kInt:
      out += std::to_string(AsInt());
      break;
    case Kind::kFloat:
      out += FormatPythonFloat(AsFloat());
      break;
    case Kind::kString:
      out += ReprString(AsString());
      break;
    case Kind::kList: {
      bool tuple = IsTuple();
      out += tuple ? '(' : '[';
      bool first = true;
      for (const Value& item : AsList()) {
        if (!first) out += ", ";
        first = false;
        item.AppendRepr(out, max_bytes);
      }
      if (tuple && AsList().size() == 1) out += ',';
      out += tuple ? ')' : ']';
      break;
    }
    case Kind::kDict: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : AsDict()) {
        if (!first) out += ", ";
        first = false;
        key.AppendRepr(out, max_bytes);
        out += ": ";
        item.AppendRepr(out, max_bytes);
      }
      out += '}';
      break;
    }
    case Kind::kCallable:
      out += AsCallable().Repr();
      break;
    case Kind::kNamespace:
      out += "<Namespace ";
      Dict(AsNamespace().attributes).AppendRepr(out, max_bytes);
      out += '>';
      break;
  }
  if (out.size() > max_bytes) ThrowTemplateError("text longer than " + std::to_string(max_bytes) + " bytes");
}

std::string_view Value::TypeName() const {
  switch (kind()) {
    case Kind::kUndefined:
      return "Undefined";
    case Kind::kNone:
      return "NoneType";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kList:
      return IsTuple() ? "tuple" : "list";
    case Kind::kDict:
      return "dict";
    case Kind::kCallable:
      return "function";
    case Kind::kNamespace:
      return "Namespace";
  }
  return "object";
}

bool Equals(const Value& left, const Value& right) {
  using Kind = Value::Kind;
  if (left.IsNumber() && right.IsNumber()) {
    if (left.IsInteger() && right.IsInteger()) return left.AsInt() == right.AsInt();
    return left.AsFloat() == right.AsFloat();
  }
  if (left.kind() != right.kind()) return false;
  switch (left.kind()) {
    case Kind::kUndefined:
    case Kind::kNone:
      return true;
    case Kind::kString:
      return left.AsString() == right.AsString();
    case Kind::kList: {
      if (left.IsTuple() != right.IsTuple()) return false;
      const ValueList& a = left.AsList();
      const ValueList& b = right.AsList();
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i) {
        if (!Equals(a[i], b[i])) return false;
      }
      return true;
    }
    case Kind::kDict: {
      if (left.AsDict().size() != right.AsDict().size()) return false;
      for (const auto& [key, item] : left.AsDict()) {
        const Value* other = right.Find(key);
        if (other == nullptr || !Equals(item, *other)) return false;
      }
      return true;
    }
    case Kind::kCallable:
      return &left.AsCallable() == &right.AsCallable();
    case Kind::kNamespace:
      return &left.AsNamespace() == &right.AsNamespace();
    default:
      return false;
  }
}

int Compare(const Value& left, const Value& right) {
  if (left.IsNumber() && right.IsNumber()) {
    if (left.IsInteger() && right.IsInteger()) {
      return left.AsInt() < right.AsInt() ? -1 : (left.AsInt() > right.AsInt() ? 1 : 0);
    }
    double a = left.AsFloat();
    double b = right.AsFloat();
    return a < b ? -1 : (a > b ? 1 : 0);
  }
  if (left.IsString() && right.IsString()) {
    int result = left.AsString().compare(right.AsString());
    return result < 0 ? -1 : (result > 0 ? 1 : 0);
  }
  if (left.IsList() && right.IsList()) {
    const ValueList& a = left.AsList();
    const ValueList& b = right.AsList();
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
      if (!Equals(a[i], b[i])) return Compare(a[i], b[i]);
    }
    return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
  }
  if (left.IsUndefined() || right.IsUndefined()) {
    ThrowTemplateError(left.IsUndefined() ? left.UndefinedHint() : right.UndefinedHint());
  }
  ThrowTemplateError("'<' not supported between instances of '" + std::string(left.TypeName()) + "' and '" +
                     std::string(right.TypeName()) + "'");
}

void DictBuilder::Set(Value key, Value value) {
  for (auto& [existing_key, existing_value] : entries_) {
    if (Equals(existing_key, key)) {
      existing_value = std::move(value);
      return;
    }
  }
  entries_.emplace_back(std::move(key), std::move(value));
}

std::string FormatPythonFloat(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  // The shortest round-trip digits, in scientific form: [-]d[.ddd]e[+-]xx.
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string scientific(buffer, result.ptr);
  bool negative = scientific[0] == '-';
  if (negative) scientific.erase(0, 1);
  size_t e = scientific.find('e');
  std::string digits = scientific.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  int exponent = std::stoi(scientific.substr(e + 1));
  int point = exponent + 1;  // digits before the decimal point
  std::string out = negative ? "-" : "";
  if (point > -4 && point <= 16) {
    if (point <= 0) {
      out += "0." + std::string(static_cast<size_t>(-point), '0') + digits;
    } else if (static_cast<size_t>(point) >= digits.size()) {
      out += digits + std::string(static_cast<size_t>(point) - digits.size(), '0') + ".0";
    } else {
      out += digits.substr(0, static_cast<size_t>(point)) + "." + digits.substr(static_cast<size_t>(point));
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  char exponent_text[16];
  std::snprintf(exponent_text, sizeof exponent_text, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  return out + exponent_text;
}

}  // namespace troupe::engine::jinja
