#include "engine/jinja/python_text.h"

#include <algorithm>

#include "engine/jinja/template_error.h"
#include "engine/tokenizer/utf8.h"

namespace troupe::engine::jinja {
namespace {

size_t CodePointLength(std::string_view text, size_t at) {
  auto lead = static_cast<unsigned char>(text[at]);
  size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xe ? 3 : (lead >> 3) == 0x1e ? 4 : 1;
  if (at + length > text.size()) return 1;
  for (size_t i = 1; i < length; ++i) {
    if ((static_cast<unsigned char>(text[at + i]) & 0xc0) != 0x80) return 1;
  }
  return length;
}

uint32_t Decode(std::string_view piece) {
  auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(piece[i])); };
  switch (piece.size()) {
    case 2:
      return ((byte(0) & 0x1f) << 6) | (byte(1) & 0x3f);
    case 3:
      return ((byte(0) & 0x0f) << 12) | ((byte(1) & 0x3f) << 6) | (byte(2) & 0x3f);
    case 4:
      return ((byte(0) & 0x07) << 18) | ((byte(1) & 0x3f) << 12) | ((byte(2) & 0x3f) << 6) | (byte(3) & 0x3f);
    default:
      return byte(0);
  }
}

// str.isspace for one code point.
bool IsPythonSpace(uint32_t c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

// Latin Extended-A pairs upper/lower as even/odd in most blocks and odd/even in two.
bool InLatinExtendedEvenUpper(uint32_t c) {
  return (c >= 0x100 && c <= 0x12f) || (c >= 0x132 && c <= 0x137) || (c >= 0x14a && c <= 0x177);
}
bool InLatinExtendedOddUpper(uint32_t c) { return (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e); }

uint32_t ToUpper(uint32_t c) {
  if (c >= 'a' && c <= 'z') return c - 0x20;
  if (c < 0x80) return c;
  if (c >= 0xe0 && c <= 0xfe && c != 0xf7) return c - 0x20;
  if (c == 0xff) return 0x178;
  if (InLatinExtendedEvenUpper(c)) return c & ~1u;
  if (InLatinExtendedOddUpper(c) && c % 2 == 0) return c - 1;
  if ((c >= 0x3b1 && c <= 0x3c1) || (c >= 0x3c3 && c <= 0x3c9)) return c - 0x20;
  if (c == 0x3c2) return 0x3a3;
  if (c == 0x3ac) return 0x386;
  if (c >= 0x3ad && c <= 0x3af) return c - 0x25;
  if (c == 0x3cc) return 0x38c;
  if (c == 0x3cd || c == 0x3ce) return c - 0x3f;
  if (c >= 0x430 && c <= 0x44f) return c - 0x20;
  if (c >= 0x450 && c <= 0x45f) return c - 0x50;
  return c;
}

uint32_t ToLower(uint32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 0x20;
  if (c < 0x80) return c;
  if (c >= 0xc0 && c <= 0xde && c != 0xd7) return c + 0x20;
  if (c == 0x178) return 0xff;
  if (InLatinExtendedEvenUpper(c)) return c | 1u;
  if (InLatinExtendedOddUpper(c) && c % 2 == 1) return c + 1;
  if ((c >= 0x391 && c <= 0x3a1) || (c >= 0x3a3 && c <= 0x3a9)) return c + 0x20;
  if (c == 0x386) return 0x3ac;
  if (c >= 0x388 && c <= 0x38a) return c + 0x25;
  if (c == 0x38c) return 0x3cc;
  if (c == 0x38e || c == 0x38f) return c + 0x3f;
  if (c >= 0x410 && c <= 0x42f) return c + 0x20;
  if (c >= 0x400 && c <= 0x40f) return c + 0x50;
  return c;
}

bool IsCased(uint32_t c) { return ToUpper(c) != c || ToLower(c) != c || c == 0xdf; }

// Rewrites every code point with `map(code_point, index)`.
template <typename Map>
std::string MapCodePoints(std::string_view text, Map map) {
  std::string out;
  out.reserve(text.size());
  size_t index = 0;
  for (std::string_view piece : CodePoints(text)) {
    uint32_t code_point = Decode(piece);
    uint32_t mapped = map(code_point, index++);
    if (mapped == code_point) {
      out += piece;  // also keeps invalid bytes as they were
    } else {
      tokenization::AppendUtf8(mapped, out);
    }
  }
  return out;
}

}  // namespace

std::vector<std::string_view> CodePoints(std::string_view text) {
  std::vector<std::string_view> pieces;
  for (size_t at = 0; at < text.size();) {
    size_t length = CodePointLength(text, at);
    pieces.push_back(text.substr(at, length));
    at += length;
  }
  return pieces;
}

size_t CodePointCount(std::string_view text) {
  size_t count = 0;
  for (size_t at = 0; at < text.size(); at += CodePointLength(text, at)) ++count;
  return count;
}

std::string Strip(std::string_view text, const std::optional<std::string>& chars, bool left, bool right) {
  std::vector<std::string_view> pieces = CodePoints(text);
  std::vector<std::string_view> strip_set;
  if (chars) strip_set = CodePoints(*chars);
  auto strippable = [&](std::string_view piece) {
    if (!chars) return IsPythonSpace(Decode(piece));
    return std::find(strip_set.begin(), strip_set.end(), piece) != strip_set.end();
  };
  size_t begin = 0;
  size_t end = pieces.size();
  if (left) {
    while (begin < end && strippable(pieces[begin])) ++begin;
  }
  if (right) {
    while (end > begin && strippable(pieces[end - 1])) --end;
  }
  if (begin == end) return "";
  const char* first = pieces[begin].data();
  const char* last = pieces[end - 1].data() + pieces[end - 1].size();
  return std::string(first, static_cast<size_t>(last - first));
}

std::vector<std::string> Split(std::string_view text, const std::optional<std::string>& separator,
                               int64_t max_split) {
  std::vector<std::string> parts;
  if (separator) {
    if (separator->empty()) ThrowTemplateError("empty separator");
    size_t start = 0;
    while (max_split < 0 || static_cast<int64_t>(parts.size()) < max_split) {
      size_t found = text.find(*separator, start);
      if (found == std::string_view::npos) break;
      parts.emplace_back(text.substr(start, found - start));
      start = found + separator->size();
    }
    parts.emplace_back(text.substr(start));
    return parts;
  }
  std::vector<std::string_view> pieces = CodePoints(text);
  size_t i = 0;
  auto is_space = [&](size_t index) { return IsPythonSpace(Decode(pieces[index])); };
  while (true) {
    while (i < pieces.size() && is_space(i)) ++i;
    if (i == pieces.size()) break;
    if (max_split >= 0 && static_cast<int64_t>(parts.size()) == max_split) {
      // The rest, with trailing whitespace removed, is the last part.
      std::string rest(pieces[i].data(), static_cast<size_t>(text.data() + text.size() - pieces[i].data()));
      parts.push_back(Strip(rest, std::nullopt, false, true));
      break;
    }
    std::string word;
    while (i < pieces.size() && !is_space(i)) word += pieces[i++];
    parts.push_back(std::move(word));
  }
  return parts;
}

std::string Replace(std::string_view text, std::string_view old_text, std::string_view new_text, int64_t count,
                    size_t max_bytes) {
  std::string out;
  auto append = [&](std::string_view piece) {
    if (out.size() + piece.size() > max_bytes) {
      ThrowTemplateError("replace() result longer than " + std::to_string(max_bytes) + " bytes");
    }
    out += piece;
  };
  int64_t done = 0;
  if (old_text.empty()) {
    // Python inserts the replacement before every code point and at the end.
    for (std::string_view piece : CodePoints(text)) {
      if (count < 0 || done < count) {
        append(new_text);
        ++done;
      }
      append(piece);
    }
    if (count < 0 || done < count) append(new_text);
    return out;
  }
  size_t start = 0;
  while (count < 0 || done < count) {
    size_t found = text.find(old_text, start);
    if (found == std::string_view::npos) break;
    append(text.substr(start, found - start));
    append(new_text);
    start = found + old_text.size();
    ++done;
  }
  append(text.substr(start));
  return out;
}

std::string UpperCase(std::string_view text) {
  return MapCodePoints(text, [](uint32_t c, size_t) { return ToUpper(c); });
}

std::string LowerCase(std::string_view text) {
  return MapCodePoints(text, [](uint32_t c, size_t) { return ToLower(c); });
}

bool IsUpperCase(std::string_view text) {
  bool any_cased = false;
  for (std::string_view piece : CodePoints(text)) {
    uint32_t c = Decode(piece);
    if (ToUpper(c) != c) return false;
    any_cased = any_cased || IsCased(c);
  }
  return any_cased;
}

bool IsLowerCase(std::string_view text) {
  bool any_cased = false;
  for (std::string_view piece : CodePoints(text)) {
    uint32_t c = Decode(piece);
    if (ToLower(c) != c) return false;
    any_cased = any_cased || IsCased(c);
  }
  return any_cased;
}

std::string Capitalize(std::string_view text) {
  return MapCodePoints(text, [](uint32_t c, size_t index) { return index == 0 ? ToUpper(c) : ToLower(c); });
}

std::string PythonTitle(std::string_view text) {
  bool previous_is_cased = false;
  return MapCodePoints(text, [&](uint32_t c, size_t) {
    uint32_t mapped = previous_is_cased ? ToLower(c) : ToUpper(c);
    previous_is_cased = IsCased(c);
    return mapped;
  });
}

std::string JinjaTitle(std::string_view text) {
  bool word_start = true;
  return MapCodePoints(text, [&](uint32_t c, size_t) {
    bool separator = IsPythonSpace(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
    if (separator) {
      word_start = true;
      return c;
    }
    uint32_t mapped = word_start ? ToUpper(c) : ToLower(c);
    word_start = false;
    return mapped;
  });
}

int64_t Find(std::string_view text, std::string_view needle, bool from_right) {
  size_t found = from_right ? text.rfind(needle) : text.find(needle);
  if (found == std::string_view::npos) return -1;
  return static_cast<int64_t>(CodePointCount(text.substr(0, found)));
}

int64_t CountOccurrences(std::string_view text, std::string_view needle) {
  if (needle.empty()) return static_cast<int64_t>(CodePointCount(text)) + 1;
  int64_t count = 0;
  for (size_t at = text.find(needle); at != std::string_view::npos; at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

}  // namespace troupe::engine::jinja
