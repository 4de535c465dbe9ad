#include "engine/jinja/json_text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "engine/jinja/python_text.h"
#include "engine/jinja/template_error.h"

namespace troupe::engine::jinja {
namespace {

class JsonWriter {
 public:
  JsonWriter(const JsonFormat& format, size_t max_bytes) : format_(format), max_bytes_(max_bytes) {
    if (format.separators) {
      item_separator_ = format.separators->first;
      key_separator_ = format.separators->second;
    } else {
      item_separator_ = format.indent ? "," : ", ";
      key_separator_ = ": ";
    }
  }

  std::string Write(const Value& value) {
    WriteValue(value, 0);
    return std::move(out_);
  }

 private:
  void CheckSize() const {
    if (out_.size() > max_bytes_) ThrowTemplateError("tojson text longer than " + std::to_string(max_bytes_) + " bytes");
  }

  void NewLine(int level) {
    if (!format_.indent) return;
    out_ += '\n';
    for (int i = 0; i < level; ++i) out_ += *format_.indent;
  }

  void WriteString(std::string_view text) {
    out_ += '"';
    char buffer[16];
    for (std::string_view piece : CodePoints(text)) {
      auto byte = static_cast<unsigned char>(piece[0]);
      if (piece.size() == 1) {
        switch (byte) {
          case '"': out_ += "\\\""; continue;
          case '\\': out_ += "\\\\"; continue;
          case '\n': out_ += "\\n"; continue;
          case '\r': out_ += "\\r"; continue;
          case '\t': out_ += "\\t"; continue;
          case '\b': out_ += "\\b"; continue;
          case '\f': out_ += "\\f"; continue;
          default: break;
        }
        if (byte < 0x20 || (format_.ensure_ascii && byte >= 0x80)) {
          std::snprintf(buffer, sizeof buffer, "\\u%04x", byte);
          out_ += buffer;
          continue;
        }
        out_ += piece;
        continue;
      }
      if (!format_.ensure_ascii) {
        out_ += piece;
        continue;
      }
      uint32_t code_point = 0;
      code_point = byte & (piece.size() == 2 ? 0x1f : piece.size() == 3 ? 0x0f : 0x07);
      for (size_t i = 1; i < piece.size(); ++i) {
        code_point = (code_point << 6) | (static_cast<unsigned char>(piece[i]) & 0x3f);
      }
      if (code_point >= 0x10000) {
        code_point -= 0x10000;
        std::snprintf(buffer, sizeof buffer, "\\u%04x\\u%04x", 0xd800 + (code_point >> 10), 0xdc00 + (code_point & 0x3ff));
      } else {
        std::snprintf(buffer, sizeof buffer, "\\u%04x", code_point);
      }
      out_ += buffer;
    }
    out_ += '"';
  }

  // json.dumps turns non-string keys into strings: true, 1, 1.5, null.
  std::string KeyText(const Value& key) const {
    switch (key.kind()) {
      case Value::Kind::kString:
        return key.AsString();
      case Value::Kind::kBool:
        return key.AsBool() ? "true" : "false";
      case Value::Kind::kNone:
        return "null";
      case Value::Kind::kInt:
      case Value::Kind::kFloat:
        return key.Repr();
      default:
        ThrowTemplateError("keys must be str, int, float, bool or None, not " + std::string(key.TypeName()));
    }
  }

  void WriteValue(const Value& value, int level) {
    switch (value.kind()) {
      case Value::Kind::kNone:
        out_ += "null";
        break;
      case Value::Kind::kBool:
        out_ += value.AsBool() ? "true" : "false";
        break;
      case Value::Kind::kInt:
        out_ += std::to_string(value.AsInt());
        break;
      case Value::Kind::kFloat: {
        double number = value.AsFloat();
        if (std::isnan(number)) {
          out_ += "NaN";
        } else if (std::isinf(number)) {
          out_ += number < 0 ? "-Infinity" : "Infinity";
        } else {
          out_ += FormatPythonFloat(number);
        }
        break;
      }
      case Value::Kind::kString:
        WriteString(value.AsString());
        break;
      case Value::Kind::kList: {
        const ValueList& items = value.AsList();
        if (items.empty()) {
          out_ += "[]";
          break;
        }
        out_ += '[';
        for (size_t i = 0; i < items.size(); ++i) {
          if (i > 0) out_ += item_separator_;
          NewLine(level + 1);
          WriteValue(items[i], level + 1);
        }
        NewLine(level);
        out_ += ']';
        break;
      }
      case Value::Kind::kDict: {
        if (value.AsDict().empty()) {
          out_ += "{}";
          break;
        }
        std::vector<std::pair<std::string, const Value*>> entries;
        for (const auto& [key, item] : value.AsDict()) entries.emplace_back(KeyText(key), &item);
        if (format_.sort_keys) {
          std::stable_sort(entries.begin(), entries.end(),
                           [](const auto& a, const auto& b) { return a.first < b.first; });
        }
        out_ += '{';
        for (size_t i = 0; i < entries.size(); ++i) {
          if (i > 0) out_ += item_separator_;
          NewLine(level + 1);
          WriteString(entries[i].first);
          out_ += key_separator_;
          WriteValue(*entries[i].second, level + 1);
        }
        NewLine(level);
        out_ += '}';
        break;
      }
      default:
        ThrowTemplateError("Object of type " + std::string(value.TypeName()) + " is not JSON serializable");
    }
    CheckSize();
  }

  const JsonFormat& format_;
  size_t max_bytes_;
  std::string item_separator_;
  std::string key_separator_;
  std::string out_;
};

}  // namespace

std::string ToJson(const Value& value, const JsonFormat& format, size_t max_bytes) {
  return JsonWriter(format, max_bytes).Write(value);
}

}  // namespace troupe::engine::jinja
