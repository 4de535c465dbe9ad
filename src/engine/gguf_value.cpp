#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <type_traits>

#include "engine/gguf.h"

namespace troupe::engine {

std::string_view NameOf(GgufType type) {
  switch (type) {
    case GgufType::kUint8: return "uint8";
    case GgufType::kInt8: return "int8";
    case GgufType::kUint16: return "uint16";
    case GgufType::kInt16: return "int16";
    case GgufType::kUint32: return "uint32";
    case GgufType::kInt32: return "int32";
    case GgufType::kFloat32: return "float32";
    case GgufType::kBool: return "bool";
    case GgufType::kString: return "string";
    case GgufType::kArray: return "array";
    case GgufType::kUint64: return "uint64";
    case GgufType::kInt64: return "int64";
    case GgufType::kFloat64: return "float64";
  }
  return "unknown";
}

namespace {

template <typename T>
constexpr bool kIsIntegerAlternative =
    std::is_integral_v<T> && !std::is_same_v<T, bool>;

}  // namespace

bool GgufValue::IsInteger() const {
  return std::visit([](const auto& v) { return kIsIntegerAlternative<std::decay_t<decltype(v)>>; },
                    storage_);
}

bool GgufValue::IsNumber() const {
  return IsInteger() || type() == GgufType::kFloat32 || type() == GgufType::kFloat64;
}

std::optional<int64_t> GgufValue::AsInt() const {
  return std::visit(
      [](const auto& v) -> std::optional<int64_t> {
        using T = std::decay_t<decltype(v)>;
        if constexpr (kIsIntegerAlternative<T>) {
          if constexpr (std::is_same_v<T, uint64_t>) {
            if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
          }
          return static_cast<int64_t>(v);
        } else {
          return std::nullopt;
        }
      },
      storage_);
}

std::optional<uint64_t> GgufValue::AsUint() const {
  return std::visit(
      [](const auto& v) -> std::optional<uint64_t> {
        using T = std::decay_t<decltype(v)>;
        if constexpr (kIsIntegerAlternative<T>) {
          if constexpr (std::is_signed_v<T>) {
            if (v < 0) return std::nullopt;
          }
          return static_cast<uint64_t>(v);
        } else {
          return std::nullopt;
        }
      },
      storage_);
}

std::optional<double> GgufValue::AsDouble() const {
  return std::visit(
      [](const auto& v) -> std::optional<double> {
        using T = std::decay_t<decltype(v)>;
        if constexpr (kIsIntegerAlternative<T> || std::is_floating_point_v<T>) {
          return static_cast<double>(v);
        } else {
          return std::nullopt;
        }
      },
      storage_);
}

const std::string* GgufValue::AsString() const { return std::get_if<std::string>(&storage_); }
const bool* GgufValue::AsBool() const { return std::get_if<bool>(&storage_); }
const GgufArray* GgufValue::AsArray() const { return std::get_if<GgufArray>(&storage_); }

namespace {

std::string QuoteCut(const std::string& text, size_t max_chars) {
  std::string out = "\"";
  size_t shown = 0;
  for (size_t i = 0; i < text.size() && shown < max_chars; ++i, ++shown) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  if (text.size() > max_chars) out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

std::string FormatFloat(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", value);
  return buffer;
}

}  // namespace

std::string GgufValue::Describe(size_t max_chars) const {
  switch (type()) {
    case GgufType::kString:
      return QuoteCut(*AsString(), max_chars);
    case GgufType::kBool:
      return *AsBool() ? "true" : "false";
    case GgufType::kFloat32:
    case GgufType::kFloat64:
      return FormatFloat(*AsDouble());
    case GgufType::kArray: {
      const GgufArray& array = *AsArray();
      std::string out = "[" + std::string(NameOf(array.element_type)) + "; " +
                        std::to_string(array.items.size()) + "]";
      std::string items;
      size_t shown = 0;
      for (const GgufValue& item : array.items) {
        if (items.size() >= max_chars || shown == 8) {
          items += ", ...";
          break;
        }
        if (shown++ > 0) items += ", ";
        items += item.Describe(max_chars / 2);
      }
      if (!array.items.empty()) out += " " + items;
      return out;
    }
    default:
      if (auto as_int = AsInt()) return std::to_string(*as_int);
      return std::to_string(AsUint().value_or(0));
  }
}

bool operator==(const GgufArray& a, const GgufArray& b) {
  return a.element_type == b.element_type && a.items == b.items;
}

bool operator==(const GgufValue& a, const GgufValue& b) {
  if (a.type() != b.type()) return false;
  // Compare floats bitwise so a NaN read back equals the NaN written.
  if (a.type() == GgufType::kFloat32) {
    const float x = std::get<float>(a.storage_), y = std::get<float>(b.storage_);
    return std::memcmp(&x, &y, sizeof x) == 0;
  }
  if (a.type() == GgufType::kFloat64) {
    const double x = std::get<double>(a.storage_), y = std::get<double>(b.storage_);
    return std::memcmp(&x, &y, sizeof x) == 0;
  }
  return a.storage_ == b.storage_;
}

}  // namespace troupe::engine
