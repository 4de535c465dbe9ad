// Python's conversions between text and numbers, as the int, float and round filters use them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace troupe::engine::jinja {

// int(text, base): surrounding whitespace and digit-group underscores allowed; absent when the
// text is not an integer in `base` (2 to 36) or does not fit 64 bits.
std::optional<int64_t> ParseInteger(const std::string& raw, int64_t base);
// float(text): surrounding whitespace and underscores allowed, hexadecimal refused; absent when
// the text is not a number.
std::optional<double> ParseFloat(const std::string& raw);
// round(x, digits): exact decimal rounding, ties to even; negative digits round to tens, hundreds...
double RoundFloat(double value, int64_t digits);

}  // namespace troupe::engine::jinja
