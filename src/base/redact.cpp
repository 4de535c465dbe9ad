#include "base/redact.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace troupe {
namespace {

constexpr std::string_view kMask = "***";

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool StartsWithNoCase(std::string_view text, size_t at, std::string_view prefix) {
  if (text.size() - at < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (Lower(text[at + i]) != prefix[i]) return false;
  }
  return true;
}

bool IsNameChar(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '_' || c == '-' || c == '.';
}

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
        out += kMask;
        i = std::min(j, text.size());
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

// "a=1&token=x" -> "a=1&token=***" (a query string or a fragment, without its '?' or '#').
std::string RedactParameters(std::string_view parameters) {
  std::string out;
  size_t start = 0;
  while (start <= parameters.size()) {
    size_t end = parameters.find_first_of("&;", start);
    if (end == std::string_view::npos) end = parameters.size();
    const std::string_view pair = parameters.substr(start, end - start);
    const size_t equals = pair.find('=');
    if (equals != std::string_view::npos && LooksLikeSecretName(pair.substr(0, equals)) && equals + 1 < pair.size()) {
      out.append(pair.substr(0, equals + 1));
      out += kMask;
    } else {
      out.append(pair);
    }
    if (end == parameters.size()) break;
    out += parameters[end];
    start = end + 1;
  }
  return out;
}

// Where a URL that starts at `at` ends in free text: at white space, a quote or a closing bracket.
size_t UrlEnd(std::string_view text, size_t at) {
  size_t end = at;
  while (end < text.size()) {
    const char c = text[end];
    if (std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\'' || c == '<' || c == '>' || c == ')' ||
        c == ']' || c == '}' || c == ',') {
      break;
    }
    ++end;
  }
  // Sentence punctuation right after a URL is not part of it.
  while (end > at && (text[end - 1] == '.' || text[end - 1] == ':' || text[end - 1] == ';' || text[end - 1] == '!' ||
                      text[end - 1] == '?')) {
    --end;
  }
  return end;
}

// After "name" at [name_start, name_end): `=value`, `: value` or `": "value"`; returns where the
// value starts and ends, or false when no value follows.
bool FindAssignedValue(std::string_view text, size_t name_end, size_t& value_start, size_t& value_end) {
  size_t j = name_end;
  if (j < text.size() && text[j] == '"') ++j;  // the closing quote of a JSON key
  while (j < text.size() && text[j] == ' ') ++j;
  if (j >= text.size() || (text[j] != '=' && text[j] != ':')) return false;
  ++j;
  while (j < text.size() && text[j] == ' ') ++j;
  if (j < text.size() && text[j] == '"') {
    value_start = j + 1;
    value_end = text.find('"', value_start);
    if (value_end == std::string_view::npos) value_end = text.size();
  } else {
    value_start = j;
    value_end = j;
    while (value_end < text.size() && !std::isspace(static_cast<unsigned char>(text[value_end])) &&
           text[value_end] != '&' && text[value_end] != ',' && text[value_end] != ';' && text[value_end] != '}') {
      ++value_end;
    }
  }
  return value_end > value_start;
}

}  // namespace

bool LooksLikeSecretName(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kHints = {"token", "key",  "secret", "password", "passwd",
                                                             "pwd",   "sig",  "auth",   "credential"};
  std::string lower(name.size(), '\0');
  std::transform(name.begin(), name.end(), lower.begin(), Lower);
  return std::any_of(kHints.begin(), kHints.end(),
                     [&](std::string_view hint) { return lower.find(hint) != std::string::npos; });
}

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
      out += ":";
      out += kMask;
    } else {
      out.append(user_info);
    }
    out.append(authority.substr(at));
  } else {
    out.append(authority);
  }
  if (authority_end == std::string_view::npos) return out;
  // The path stays; query and fragment parameters whose names look secret are masked.
  std::string_view rest = url.substr(authority_end);
  const size_t query = rest.find_first_of("?#");
  out.append(rest.substr(0, query));
  if (query == std::string_view::npos) return out;
  rest.remove_prefix(query);
  const size_t fragment = rest.find('#', 1);
  if (rest.front() == '?') {
    out += '?';
    out += RedactParameters(rest.substr(1, fragment == std::string_view::npos ? std::string_view::npos : fragment - 1));
    if (fragment == std::string_view::npos) return out;
    rest.remove_prefix(fragment);
  }
  out += '#';
  out += RedactParameters(rest.substr(1));
  return out;
}

std::string RedactSecrets(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const bool word_start = i == 0 || !IsNameChar(text[i - 1]);
    if (word_start && StartsWithNoCase(text, i, "bearer ")) {
      size_t j = i + 7;
      while (j < text.size() && text[j] == ' ') ++j;
      size_t end = j;
      while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) && text[end] != '"' &&
             text[end] != ',') {
        ++end;
      }
      if (end > j) {
        out.append(text.substr(i, j - i));
        out += kMask;
        i = end;
        continue;
      }
    }
    if (word_start && text.compare(i, 3, "sk-") == 0) {
      size_t end = i + 3;
      while (end < text.size() && IsNameChar(text[end])) ++end;
      while (end > i + 3 && text[end - 1] == '.') --end;  // the end of a sentence
      if (end - i >= 8) {
        out += "sk-";
        out += kMask;
        i = end;
        continue;
      }
    }
    if (word_start && IsNameChar(text[i])) {
      size_t name_end = i;
      while (name_end < text.size() && IsNameChar(text[name_end])) ++name_end;
      if (text.compare(name_end, 3, "://") == 0) {  // a URL, from its scheme to where it ends
        const size_t end = UrlEnd(text, name_end + 3);
        out += RedactUrlCredentials(text.substr(i, end - i));
        i = end;
        continue;
      }
      size_t value_start = 0, value_end = 0;
      if (LooksLikeSecretName(text.substr(i, name_end - i)) &&
          FindAssignedValue(text, name_end, value_start, value_end)) {
        out.append(text.substr(i, value_start - i));
        out += kMask;
        i = value_end;
        continue;
      }
      out.append(text.substr(i, name_end - i));
      i = name_end;
      continue;
    }
    out += text[i++];
  }
  return out;
}

}  // namespace troupe
