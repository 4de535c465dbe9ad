#include "engine/jinja/python_numbers.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "engine/jinja/python_text.h"

namespace troupe::engine::jinja {

std::optional<int64_t> ParseInteger(const std::string& raw, int64_t base) {
  std::string text = Strip(raw, std::nullopt, true, true);
  text.erase(std::remove(text.begin(), text.end(), '_'), text.end());
  if (text.empty() || base < 2 || base > 36) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, static_cast<int>(base));
  if (errno != 0 || end != text.c_str() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> ParseFloat(const std::string& raw) {
  std::string text = Strip(raw, std::nullopt, true, true);
  text.erase(std::remove(text.begin(), text.end(), '_'), text.end());
  if (text.empty() || text.find_first_of("xXpP") != std::string::npos) return std::nullopt;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) return std::nullopt;
  return value;
}

// Exact decimal rounding, ties to even, as printf does it.
double RoundFloat(double value, int64_t digits) {
  if (!std::isfinite(value)) return value;
  if (digits >= 0) {
    if (digits > 300) return value;
    std::vector<char> buffer(400);
    std::snprintf(buffer.data(), buffer.size(), "%.*f", static_cast<int>(digits), value);
    if (std::fabs(value) >= 1e300) return value;
    return std::strtod(buffer.data(), nullptr);
  }
  double scale = std::pow(10.0, static_cast<double>(-digits));
  return std::nearbyint(value / scale) * scale;
}

}  // namespace troupe::engine::jinja
