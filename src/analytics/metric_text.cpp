#include "analytics/metric_text.h"

#include <unicode/uchar.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <climits>
#include <cstdint>

namespace troupe::analytics {

namespace {

// The length of the character starting at `at` and its code point; an invalid byte is a
// character of length 1 with code point -1.
struct MetricTextChar {
  size_t length;
  int32_t code_point;
};

MetricTextChar MetricTextCharAt(std::string_view text, size_t at) {
  int32_t index = 0;
  UChar32 code_point = 0;
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data() + at);
  const auto remaining = static_cast<int32_t>(std::min<size_t>(text.size() - at, 4));
  U8_NEXT(bytes, index, remaining, code_point);
  if (code_point < 0) return {1, -1};
  return {static_cast<size_t>(index), code_point};
}

bool IsPythonWhitespace(int32_t c) {
  if (c < 0) return false;
  if ((c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20)) return true;
  if (c < 0x85) return false;
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

}  // namespace

std::vector<std::string_view> SplitPythonWhitespace(std::string_view text) {
  std::vector<std::string_view> pieces;
  size_t start = std::string_view::npos;
  for (size_t at = 0; at < text.size();) {
    const MetricTextChar next = MetricTextCharAt(text, at);
    if (IsPythonWhitespace(next.code_point)) {
      if (start != std::string_view::npos) pieces.push_back(text.substr(start, at - start));
      start = std::string_view::npos;
    } else if (start == std::string_view::npos) {
      start = at;
    }
    at += next.length;
  }
  if (start != std::string_view::npos) pieces.push_back(text.substr(start));
  return pieces;
}

std::string_view RstripPythonWhitespace(std::string_view text) {
  size_t end = 0;
  for (size_t at = 0; at < text.size();) {
    const MetricTextChar next = MetricTextCharAt(text, at);
    at += next.length;
    if (!IsPythonWhitespace(next.code_point)) end = at;
  }
  return text.substr(0, end);
}

std::string UnicodeLowercase(std::string_view text) {
  if (text.empty()) return {};
  UErrorCode status = U_ZERO_ERROR;
  int32_t utf16_length = 0;
  // Lengths beyond int32 are outside what a segment can be; ICU takes int32 sizes.
  const auto input_length = static_cast<int32_t>(std::min<size_t>(text.size(), INT32_MAX / 4));
  u_strFromUTF8WithSub(nullptr, 0, &utf16_length, text.data(), input_length, 0xFFFD, nullptr, &status);
  status = U_ZERO_ERROR;
  std::u16string utf16(static_cast<size_t>(utf16_length), u'\0');
  u_strFromUTF8WithSub(utf16.data(), utf16_length, nullptr, text.data(), input_length, 0xFFFD, nullptr, &status);
  if (U_FAILURE(status)) return std::string(text);
  // Full case mapping can grow a string (U+0130 becomes two code units); ask ICU for the size.
  status = U_ZERO_ERROR;
  const int32_t lower_length = u_strToLower(nullptr, 0, utf16.data(), utf16_length, "", &status);
  status = U_ZERO_ERROR;
  std::u16string lower(static_cast<size_t>(lower_length), u'\0');
  u_strToLower(lower.data(), lower_length, utf16.data(), utf16_length, "", &status);
  if (U_FAILURE(status)) return std::string(text);
  status = U_ZERO_ERROR;
  int32_t utf8_length = 0;
  u_strToUTF8(nullptr, 0, &utf8_length, lower.data(), lower_length, &status);
  status = U_ZERO_ERROR;
  std::string result(static_cast<size_t>(utf8_length), '\0');
  u_strToUTF8(result.data(), utf8_length, nullptr, lower.data(), lower_length, &status);
  if (U_FAILURE(status)) return std::string(text);
  return result;
}

std::vector<std::string_view> CodePoints(std::string_view text) {
  std::vector<std::string_view> characters;
  characters.reserve(text.size());
  for (size_t at = 0; at < text.size();) {
    const size_t length = MetricTextCharAt(text, at).length;
    characters.push_back(text.substr(at, length));
    at += length;
  }
  return characters;
}

bool IsValidUtf8(std::string_view text, size_t* error_offset) {
  for (size_t at = 0; at < text.size();) {
    const MetricTextChar next = MetricTextCharAt(text, at);
    if (next.code_point < 0) {
      if (error_offset != nullptr) *error_offset = at;
      return false;
    }
    at += next.length;
  }
  return true;
}

}  // namespace troupe::analytics
