// The text handling the evaluation metrics share, written to match Python's str methods because
// sacreBLEU and rouge-score are Python: what counts as whitespace (str.split), lowercasing
// (str.lower) and characters (code points). Invalid UTF-8 never fails here: each byte that does not
// start a valid sequence counts as one character of its own.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace troupe::analytics {

// The pieces of `text` between runs of Python whitespace (ASCII \t\n\v\f\r and space, \x1c..\x1f,
// U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000), as str.split().
std::vector<std::string_view> SplitPythonWhitespace(std::string_view text);

// `text` without its trailing Python whitespace, as str.rstrip().
std::string_view RstripPythonWhitespace(std::string_view text);

// Full Unicode lowercase mapping (ICU's root locale: "İ" becomes "i̇", a final sigma "ς"), as
// str.lower(). Invalid UTF-8 bytes become U+FFFD.
std::string UnicodeLowercase(std::string_view text);

// The characters (code points, as UTF-8 slices of `text`) in order.
std::vector<std::string_view> CodePoints(std::string_view text);

// True when `text` is well-formed UTF-8; otherwise `error_offset` receives the first bad byte.
bool IsValidUtf8(std::string_view text, size_t* error_offset = nullptr);

}  // namespace troupe::analytics
