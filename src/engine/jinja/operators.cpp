#include "engine/jinja/operators.h"

#include <cmath>
#include <limits>

#include "engine/jinja/methods.h"
#include "engine/jinja/python_text.h"
#include "engine/jinja/template_error.h"

namespace troupe::engine::jinja {
namespace {

std::string_view OperatorText(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd: return "+";
    case BinaryOp::kSubtract: return "-";
    case BinaryOp::kMultiply: return "*";
    case BinaryOp::kDivide: return "/";
    case BinaryOp::kFloorDivide: return "//";
    case BinaryOp::kModulo: return "%";
    case BinaryOp::kPower: return "**";
    case BinaryOp::kConcat: return "~";
    case BinaryOp::kAnd: return "and";
    case BinaryOp::kOr: return "or";
  }
  return "?";
}

[[noreturn]] void FailOperands(BinaryOp op, const Value& left, const Value& right) {
  if (op == BinaryOp::kAdd && left.IsString()) {
    ThrowTemplateError("can only concatenate str (not \"" + std::string(right.TypeName()) + "\") to str");
  }
  ThrowTemplateError("unsupported operand type(s) for " + std::string(OperatorText(op)) + ": '" +
                     std::string(left.TypeName()) + "' and '" + std::string(right.TypeName()) + "'");
}

[[noreturn]] void FailOverflow() { ThrowTemplateError("integer overflow (Python would use a big integer)"); }

void CheckSize(size_t size, size_t max_bytes) {
  if (size > max_bytes) ThrowTemplateError("result longer than " + std::to_string(max_bytes) + " bytes");
}

Value Repeat(const Value& sequence, int64_t times, size_t max_bytes) {
  if (times < 0) times = 0;
  auto count = static_cast<size_t>(times);
  if (sequence.IsString()) {
    const std::string& text = sequence.AsString();
    if (!text.empty() && count > max_bytes / text.size()) CheckSize(max_bytes + 1, max_bytes);
    std::string out;
    out.reserve(text.size() * count);
    for (size_t i = 0; i < count; ++i) out += text;
    return Value::String(std::move(out));
  }
  const ValueList& items = sequence.AsList();
  if (!items.empty() && count > max_bytes / items.size()) CheckSize(max_bytes + 1, max_bytes);
  ValueList out;
  out.reserve(items.size() * count);
  for (size_t i = 0; i < count; ++i) out.insert(out.end(), items.begin(), items.end());
  return sequence.IsTuple() ? Value::Tuple(std::move(out)) : Value::List(std::move(out));
}

int64_t IntegerPower(int64_t base, int64_t exponent) {
  int64_t result = 1;
  while (exponent > 0) {
    if (exponent & 1) {
      if (__builtin_mul_overflow(result, base, &result)) FailOverflow();
    }
    exponent >>= 1;
    if (exponent > 0 && __builtin_mul_overflow(base, base, &base)) FailOverflow();
  }
  return result;
}

std::optional<int64_t> NormalizeIndex(int64_t index, size_t size) {
  auto length = static_cast<int64_t>(size);
  if (index < 0) index += length;
  if (index < 0 || index >= length) return std::nullopt;
  return index;
}

}  // namespace

void FailUndefined(const Value& undefined) {
  ThrowTemplateError(undefined.UndefinedHint().empty() ? "value is undefined" : undefined.UndefinedHint());
}

Value Arithmetic(BinaryOp op, const Value& left, const Value& right, size_t max_bytes) {
  if (op == BinaryOp::kConcat) {
    std::string text = left.ToString(max_bytes);
    std::string tail = right.ToString(max_bytes);
    CheckSize(text.size() + tail.size(), max_bytes);
    return Value::String(text + tail);
  }
  if (left.IsUndefined()) FailUndefined(left);
  if (right.IsUndefined()) FailUndefined(right);
  bool integers = left.IsInteger() && right.IsInteger();
  bool numbers = left.IsNumber() && right.IsNumber();
  switch (op) {
    case BinaryOp::kAdd:
      if (integers) {
        int64_t sum;
        if (__builtin_add_overflow(left.AsInt(), right.AsInt(), &sum)) FailOverflow();
        return Value::Int(sum);
      }
      if (numbers) return Value::Float(left.AsFloat() + right.AsFloat());
      if (left.IsString() && right.IsString()) {
        CheckSize(left.AsString().size() + right.AsString().size(), max_bytes);
        return Value::String(left.AsString() + right.AsString());
      }
      if (left.IsList() && right.IsList() && left.IsTuple() == right.IsTuple()) {
        CheckSize(left.AsList().size() + right.AsList().size(), max_bytes);
        ValueList items = left.AsList();
        items.insert(items.end(), right.AsList().begin(), right.AsList().end());
        return left.IsTuple() ? Value::Tuple(std::move(items)) : Value::List(std::move(items));
      }
      break;
    case BinaryOp::kSubtract:
      if (integers) {
        int64_t difference;
        if (__builtin_sub_overflow(left.AsInt(), right.AsInt(), &difference)) FailOverflow();
        return Value::Int(difference);
      }
      if (numbers) return Value::Float(left.AsFloat() - right.AsFloat());
      break;
    case BinaryOp::kMultiply:
      if (integers) {
        int64_t product;
        if (__builtin_mul_overflow(left.AsInt(), right.AsInt(), &product)) FailOverflow();
        return Value::Int(product);
      }
      if (numbers) return Value::Float(left.AsFloat() * right.AsFloat());
      if ((left.IsString() || left.IsList()) && right.IsInteger()) return Repeat(left, right.AsInt(), max_bytes);
      if ((right.IsString() || right.IsList()) && left.IsInteger()) return Repeat(right, left.AsInt(), max_bytes);
      break;
    case BinaryOp::kDivide:
      if (numbers) {
        if (right.AsFloat() == 0.0) ThrowTemplateError("division by zero");
        return Value::Float(left.AsFloat() / right.AsFloat());
      }
      break;
    case BinaryOp::kFloorDivide:
      if (integers) {
        int64_t a = left.AsInt();
        int64_t b = right.AsInt();
        if (b == 0) ThrowTemplateError("integer division or modulo by zero");
        if (a == std::numeric_limits<int64_t>::min() && b == -1) FailOverflow();
        int64_t quotient = a / b;
        if (a % b != 0 && ((a < 0) != (b < 0))) --quotient;
        return Value::Int(quotient);
      }
      if (numbers) {
        if (right.AsFloat() == 0.0) ThrowTemplateError("float floor division by zero");
        return Value::Float(std::floor(left.AsFloat() / right.AsFloat()));
      }
      break;
    case BinaryOp::kModulo:
      if (integers) {
        int64_t a = left.AsInt();
        int64_t b = right.AsInt();
        if (b == 0) ThrowTemplateError("integer division or modulo by zero");
        if (b == -1) return Value::Int(0);
        int64_t remainder = a % b;
        if (remainder != 0 && ((remainder < 0) != (b < 0))) remainder += b;
        return Value::Int(remainder);
      }
      if (numbers) {
        double b = right.AsFloat();
        if (b == 0.0) ThrowTemplateError("float modulo");
        double remainder = std::fmod(left.AsFloat(), b);
        if (remainder != 0.0 && ((remainder < 0) != (b < 0))) remainder += b;
        return Value::Float(remainder);
      }
      if (left.IsString()) ThrowTemplateError("printf-style formatting with % is not supported");
      break;
    case BinaryOp::kPower:
      if (integers && right.AsInt() >= 0) return Value::Int(IntegerPower(left.AsInt(), right.AsInt()));
      if (numbers) {
        if (left.AsFloat() == 0.0 && right.AsFloat() < 0) {
          ThrowTemplateError("0.0 cannot be raised to a negative power");
        }
        return Value::Float(std::pow(left.AsFloat(), right.AsFloat()));
      }
      break;
    default:
      break;
  }
  FailOperands(op, left, right);
}

Value Negate(const Value& value) {
  if (value.IsUndefined()) FailUndefined(value);
  if (value.IsInteger()) {
    if (value.AsInt() == std::numeric_limits<int64_t>::min()) FailOverflow();
    return Value::Int(-value.AsInt());
  }
  if (value.IsNumber()) return Value::Float(-value.AsFloat());
  ThrowTemplateError("bad operand type for unary -: '" + std::string(value.TypeName()) + "'");
}

bool Contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Value::Kind::kString:
      if (!item.IsString()) {
        if (item.IsUndefined()) FailUndefined(item);
        ThrowTemplateError("'in <string>' requires string as left operand, not " + std::string(item.TypeName()));
      }
      return container.AsString().find(item.AsString()) != std::string::npos;
    case Value::Kind::kList:
      for (const Value& element : container.AsList()) {
        if (Equals(element, item)) return true;
      }
      return false;
    case Value::Kind::kDict:
      if (item.IsList() || item.IsDict()) ThrowTemplateError("unhashable type: '" + std::string(item.TypeName()) + "'");
      return container.Find(item) != nullptr;
    case Value::Kind::kUndefined:
      return false;
    default:
      ThrowTemplateError("argument of type '" + std::string(container.TypeName()) + "' is not iterable");
  }
}

Value GetAttribute(const Value& object, const std::string& name) {
  switch (object.kind()) {
    case Value::Kind::kUndefined:
      FailUndefined(object);
    case Value::Kind::kDict: {
      Value method = FindMethod(object, name);
      if (!method.IsUndefined()) return method;
      if (const Value* found = object.Find(name)) return *found;
      return Value::Undefined("'dict object' has no attribute '" + name + "'");
    }
    case Value::Kind::kNamespace:
      for (const auto& [key, value] : object.AsNamespace().attributes) {
        if (key.AsString() == name) return value;
      }
      return Value::Undefined("'Namespace' object has no attribute '" + name + "'");
    case Value::Kind::kNone:
      return Value::Undefined("'None' has no attribute '" + name + "'");
    default: {
      Value method = FindMethod(object, name);
      if (!method.IsUndefined()) return method;
      return Value::Undefined("'" + std::string(object.TypeName()) + " object' has no attribute '" + name + "'");
    }
  }
}

Value GetItem(const Value& object, const Value& key) {
  switch (object.kind()) {
    case Value::Kind::kUndefined:
      FailUndefined(object);
    case Value::Kind::kDict:
      if (const Value* found = object.Find(key)) return *found;
      if (key.IsString()) {
        Value method = FindMethod(object, key.AsString());
        if (!method.IsUndefined()) return method;
      }
      return Value::Undefined("'dict object' has no attribute " + key.Repr(256));
    case Value::Kind::kList:
    case Value::Kind::kString:
      if (key.IsInteger()) {
        bool is_list = object.IsList();
        if (is_list) {
          if (auto index = NormalizeIndex(key.AsInt(), object.AsList().size())) {
            return object.AsList()[static_cast<size_t>(*index)];
          }
        } else {
          std::vector<std::string_view> characters = CodePoints(object.AsString());
          if (auto index = NormalizeIndex(key.AsInt(), characters.size())) {
            return Value::String(std::string(characters[static_cast<size_t>(*index)]));
          }
        }
        return Value::Undefined(std::string(is_list ? "list" : "str") + " object has no element " +
                                std::to_string(key.AsInt()));
      }
      if (key.IsString()) return GetAttribute(object, key.AsString());
      return Value::Undefined("'" + std::string(object.TypeName()) + " object' has no element " + key.Repr(256));
    case Value::Kind::kNamespace:
      if (key.IsString()) return GetAttribute(object, key.AsString());
      return Value::Undefined("'Namespace' object has no element " + key.Repr(256));
    default:
      return Value::Undefined("'" + std::string(object.TypeName()) + " object' has no element " + key.Repr(256));
  }
}

Value Slice(const Value& object, const std::optional<int64_t>& start, const std::optional<int64_t>& stop,
            const std::optional<int64_t>& step) {
  if (object.IsUndefined()) FailUndefined(object);
  if (!object.IsList() && !object.IsString()) {
    ThrowTemplateError("'" + std::string(object.TypeName()) + "' object is not subscriptable");
  }
  int64_t stride = step.value_or(1);
  if (stride == 0) ThrowTemplateError("slice step cannot be zero");
  std::vector<std::string_view> characters;
  if (object.IsString()) characters = CodePoints(object.AsString());
  auto length = static_cast<int64_t>(object.IsList() ? object.AsList().size() : characters.size());
  int64_t lower = stride > 0 ? 0 : -1;
  int64_t upper = stride > 0 ? length : length - 1;
  auto clamp = [&](const std::optional<int64_t>& bound, int64_t fallback) {
    if (!bound) return fallback;
    int64_t value = *bound;
    if (value < 0) {
      value += length;
      if (value < lower) value = lower;
    } else if (value > upper) {
      value = upper;
    }
    return value;
  };
  int64_t first = clamp(start, stride > 0 ? lower : upper);
  int64_t last = clamp(stop, stride > 0 ? upper : lower);
  ValueList items;
  std::string text;
  for (int64_t i = first; stride > 0 ? i < last : i > last; i += stride) {
    if (object.IsList()) {
      items.push_back(object.AsList()[static_cast<size_t>(i)]);
    } else {
      text += characters[static_cast<size_t>(i)];
    }
    if (stride > 0 ? i > std::numeric_limits<int64_t>::max() - stride : i < std::numeric_limits<int64_t>::min() - stride) {
      break;
    }
  }
  if (object.IsTuple()) return Value::Tuple(std::move(items));
  return object.IsList() ? Value::List(std::move(items)) : Value::String(std::move(text));
}

ValueList Iterate(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kList:
      return value.AsList();
    case Value::Kind::kDict: {
      ValueList keys;
      keys.reserve(value.AsDict().size());
      for (const auto& [key, item] : value.AsDict()) keys.push_back(key);
      return keys;
    }
    case Value::Kind::kString: {
      ValueList characters;
      for (std::string_view piece : CodePoints(value.AsString())) characters.push_back(Value::String(std::string(piece)));
      return characters;
    }
    case Value::Kind::kUndefined:
      return {};
    default:
      ThrowTemplateError("'" + std::string(value.TypeName()) + "' object is not iterable");
  }
}

}  // namespace troupe::engine::jinja
