// Python's str operations on UTF-8 text, as templates use them through methods and filters:
// lengths and indices count code points, whitespace is Python's (str.isspace), and case mapping
// covers the one-to-one mappings of ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic (letters
// elsewhere keep their case, and ß stays ß where Python would write SS).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::engine::jinja {

// The text split into code points; a byte that is not valid UTF-8 counts as one.
std::vector<std::string_view> CodePoints(std::string_view text);
size_t CodePointCount(std::string_view text);

// str.strip / lstrip / rstrip: `chars` absent means whitespace.
std::string Strip(std::string_view text, const std::optional<std::string>& chars, bool left, bool right);

// str.split(sep, maxsplit): `separator` absent splits on whitespace runs. Throws TemplateError
// for an empty separator.
std::vector<std::string> Split(std::string_view text, const std::optional<std::string>& separator,
                               int64_t max_split);

// str.replace(old, new, count): count < 0 means all. Throws TemplateError when the result would
// exceed max_bytes.
std::string Replace(std::string_view text, std::string_view old_text, std::string_view new_text, int64_t count,
                    size_t max_bytes);

std::string UpperCase(std::string_view text);
std::string LowerCase(std::string_view text);
// str.isupper / str.islower: at least one cased letter, and all cased letters in that case.
bool IsUpperCase(std::string_view text);
bool IsLowerCase(std::string_view text);
// str.capitalize: first character upper, the rest lower.
std::string Capitalize(std::string_view text);
// str.title: a letter after a non-letter goes upper, other letters lower.
std::string PythonTitle(std::string_view text);
// Jinja's |title filter: words begin after blanks, '-', '(', '{', '[' and '<'.
std::string JinjaTitle(std::string_view text);

// str.find: the code point index of the first match, or -1.
int64_t Find(std::string_view text, std::string_view needle, bool from_right);
// str.count: non-overlapping matches (an empty needle matches between every code point).
int64_t CountOccurrences(std::string_view text, std::string_view needle);

}  // namespace troupe::engine::jinja
