#include "base/redact.h"

#include <cctype>

namespace troupe {
namespace {

std::string RedactKeyValuePassword(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const bool at_word_start = i == 0 || std::isspace(static_cast<unsigned char>(text[i - 1]));
    constexpr std::string_view kKey = "password";
    if (at_word_start && text.substr(i, kKey.size()) == kKey) {
      size_t j = i + kKey.size();
      while (j < text.size() && text[j] == ' ') ++j;
      if (j < text.size() && text[j] == '=') {
        out.append(text.substr(i, j + 1 - i));
        ++j;
        while (j < text.size() && text[j] == ' ') out += text[j++];
        if (j < text.size() && text[j] == '\'') {  // quoted value, may hold spaces and \'
          ++j;
          while (j < text.size() && text[j] != '\'') j += (text[j] == '\\') ? 2 : 1;
          ++j;
        } else {
          while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
        }
        out += "***";
        i = std::min(j, text.size());
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

}  // namespace

std::string RedactUrlCredentials(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return RedactKeyValuePassword(url);
  const size_t authority_start = scheme_end + 3;
  const size_t authority_end = url.find_first_of("/?#", authority_start);
  const std::string_view authority =
      url.substr(authority_start, authority_end == std::string_view::npos ? std::string_view::npos
                                                                          : authority_end - authority_start);
  const size_t at = authority.rfind('@');
  std::string out(url.substr(0, authority_start));
  if (at != std::string_view::npos) {
    const std::string_view user_info = authority.substr(0, at);
    const size_t colon = user_info.find(':');
    if (colon != std::string_view::npos) {
      out.append(user_info.substr(0, colon));
      out += ":***";
    } else {
      out.append(user_info);
    }
    out.append(authority.substr(at));
  } else {
    out.append(authority);
  }
  if (authority_end != std::string_view::npos) {
    // Query parameters can carry a password too (postgres://host/db?password=...).
    std::string rest(url.substr(authority_end));
    const size_t key = rest.find("password=");
    if (key != std::string::npos && (key == 0 || rest[key - 1] == '?' || rest[key - 1] == '&')) {
      const size_t value_start = key + 9;
      const size_t value_end = rest.find('&', value_start);
      rest.replace(value_start, value_end == std::string::npos ? std::string::npos : value_end - value_start,
                   "***");
    }
    out += rest;
  }
  return out;
}

}  // namespace troupe
