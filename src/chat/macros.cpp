#include "chat/macros.h"

#include <cctype>
#include <optional>

#include "base/text.h"

namespace troupe::chat {
namespace {

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::optional<std::string_view> ValueOf(std::string_view name, const MacroValues& values) {
  if (EqualsIgnoringCase(name, "char")) return values.char_name;
  if (EqualsIgnoringCase(name, "user")) return values.user_name;
  return std::nullopt;
}

}  // namespace

std::string ExpandMacros(std::string_view text, const MacroValues& values) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 2, "{{") == 0) {
      const size_t close = text.find("}}", i + 2);
      if (close != std::string_view::npos) {
        if (auto value = ValueOf(TrimSpace(text.substr(i + 2, close - i - 2)), values)) {
          out += *value;
          i = close + 2;
          continue;
        }
      }
    } else if (text[i] == '<') {
      if (EqualsIgnoringCase(text.substr(i, 5), "<BOT>")) {
        out += values.char_name;
        i += 5;
        continue;
      }
      if (EqualsIgnoringCase(text.substr(i, 6), "<USER>")) {
        out += values.user_name;
        i += 6;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

}  // namespace troupe::chat
