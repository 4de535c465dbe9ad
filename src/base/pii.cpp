#include "base/pii.h"

#include <algorithm>

#include "base/postal_address.h"

namespace troupe {

namespace {

bool Digit(char c) { return c >= '0' && c <= '9'; }
bool Letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool Alnum(char c) { return Digit(c) || Letter(c); }
bool LocalChar(char c) { return Alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'; }
bool DomainChar(char c) { return Alnum(c) || c == '-' || c == '.'; }

// No letter or digit right before `at`: a match starts a word.
bool StartsWord(std::string_view text, size_t at) { return at == 0 || !Alnum(text[at - 1]); }
bool EndsWord(std::string_view text, size_t at) { return at >= text.size() || !Alnum(text[at]); }

bool Overlaps(const std::vector<PiiSpan>& spans, size_t begin, size_t end) {
  return std::any_of(spans.begin(), spans.end(), [&](const PiiSpan& s) { return begin < s.end && s.begin < end; });
}

void FindEmails(std::string_view text, std::vector<PiiSpan>& spans) {
  for (size_t at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
    size_t begin = at;
    while (begin > 0 && LocalChar(text[begin - 1])) --begin;
    while (begin < at && !Alnum(text[begin])) ++begin;
    size_t end = at + 1;
    while (end < text.size() && DomainChar(text[end])) ++end;
    while (end > at + 1 && !Alnum(text[end - 1])) --end;  // "a@b.com." ends before the dot
    const std::string_view domain = text.substr(at + 1, end - at - 1);
    const size_t dot = domain.rfind('.');
    if (begin == at || dot == std::string_view::npos || dot == 0 || domain.size() - dot - 1 < 2) continue;
    const std::string_view tld = domain.substr(dot + 1);
    if (!std::all_of(tld.begin(), tld.end(), Letter)) continue;
    // "a@b.io.c@d.io" reads as two addresses sharing text: one span covers both, so what is
    // left after redaction holds no part of either.
    if (!spans.empty() && begin < spans.back().end) {
      spans.back().end = std::max(spans.back().end, end);
      continue;
    }
    spans.push_back({PiiKind::kEmail, begin, end});
  }
}

// The run at `at` of letters/digits with single spaces between groups; `ends` collects the offsets
// where a group ends (candidate ends of a match).
std::vector<size_t> GroupEnds(std::string_view text, size_t at, bool (*in_group)(char), std::string_view separators) {
  std::vector<size_t> ends;
  size_t i = at;
  while (i < text.size() && in_group(text[i])) {
    while (i < text.size() && in_group(text[i])) ++i;
    ends.push_back(i);
    if (i + 1 < text.size() && separators.find(text[i]) != std::string_view::npos && in_group(text[i + 1])) ++i;
  }
  return ends;
}

std::string Compact(std::string_view text, bool (*keep)(char)) {
  std::string out;
  for (char c : text) {
    if (keep(c)) out.push_back(c);
  }
  return out;
}

void FindIbans(std::string_view text, std::vector<PiiSpan>& spans) {
  for (size_t at = 0; at + 4 < text.size(); ++at) {
    if (!Letter(text[at]) || !Letter(text[at + 1]) || !Digit(text[at + 2]) || !Digit(text[at + 3]) ||
        !StartsWord(text, at)) {
      continue;
    }
    const std::vector<size_t> ends = GroupEnds(text, at, Alnum, " ");
    for (auto end = ends.rbegin(); end != ends.rend(); ++end) {
      const std::string compact = Compact(text.substr(at, *end - at), Alnum);
      if (compact.size() >= 15 && compact.size() <= 34 && EndsWord(text, *end) && IbanValid(compact) &&
          !Overlaps(spans, at, *end)) {
        spans.push_back({PiiKind::kIban, at, *end});
        at = *end;
        break;
      }
    }
  }
}

void FindCards(std::string_view text, std::vector<PiiSpan>& spans) {
  for (size_t at = 0; at < text.size(); ++at) {
    if (!Digit(text[at]) || !StartsWord(text, at)) continue;
    const std::vector<size_t> ends = GroupEnds(text, at, Digit, " -");
    const size_t end = ends.back();
    const std::string digits = Compact(text.substr(at, end - at), Digit);
    if (digits.size() >= 13 && digits.size() <= 19 && EndsWord(text, end) && LuhnValid(digits) &&
        !Overlaps(spans, at, end)) {
      spans.push_back({PiiKind::kCard, at, end});
    }
    at = end;
  }
}

bool PhoneChar(char c) { return Digit(c) || c == ' ' || c == '-' || c == '.' || c == '(' || c == ')'; }

void FindPhones(std::string_view text, std::vector<PiiSpan>& spans) {
  for (size_t at = 0; at < text.size(); ++at) {
    const char first = text[at];
    if (!(Digit(first) || first == '+' || first == '(') || !StartsWord(text, at)) continue;
    if (at > 0 && (text[at - 1] == '+' || text[at - 1] == '(')) continue;
    size_t end = at + 1;
    while (end < text.size() && PhoneChar(text[end])) ++end;
    while (end > at && !Digit(text[end - 1])) --end;  // trailing separators are not part of it
    if (end <= at || !EndsWord(text, end)) {
      at = std::max(at, end);
      continue;
    }
    const std::string_view run = text.substr(at, end - at);
    const size_t digits = Compact(run, Digit).size();
    const bool separated = run.find_first_of(" -.()") != std::string_view::npos;
    const bool marked = first == '+' || first == '(' || first == '0';
    if (digits >= 7 && digits <= 15 && (marked || (digits >= 10 && separated)) && !Overlaps(spans, at, end)) {
      spans.push_back({PiiKind::kPhone, at, end});
    }
    at = end;
  }
}

}  // namespace

std::string_view PiiPlaceholder(PiiKind kind) {
  switch (kind) {
    case PiiKind::kEmail:
      return "[email]";
    case PiiKind::kPhone:
      return "[phone]";
    case PiiKind::kCard:
      return "[card]";
    case PiiKind::kIban:
      return "[iban]";
    case PiiKind::kAddress:
      return "[address]";
  }
  return "[pii]";
}

bool LuhnValid(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (!Digit(*it)) return false;
    int value = *it - '0';
    if (twice) value = value * 2 > 9 ? value * 2 - 9 : value * 2;
    sum += value;
    twice = !twice;
  }
  return sum % 10 == 0;
}

bool IbanValid(std::string_view iban) {
  if (iban.size() < 15 || iban.size() > 34 || !Letter(iban[0]) || !Letter(iban[1]) || !Digit(iban[2]) ||
      !Digit(iban[3])) {
    return false;
  }
  // The first four characters move to the end; letters count as 10..35; the number mod 97 is 1.
  int remainder = 0;
  for (size_t i = 0; i < iban.size(); ++i) {
    const char c = iban[(i + 4) % iban.size()];
    if (Digit(c)) {
      remainder = (remainder * 10 + (c - '0')) % 97;
    } else if (Letter(c)) {
      const int value = (c | 0x20) - 'a' + 10;
      remainder = (remainder * 100 + value) % 97;
    } else {
      return false;
    }
  }
  return remainder == 1;
}

std::vector<PiiSpan> FindPii(std::string_view text) {
  std::vector<PiiSpan> spans;
  FindEmails(text, spans);
  FindIbans(text, spans);
  FindCards(text, spans);
  for (const auto& [begin, end] : FindPostalAddresses(text)) {
    if (!Overlaps(spans, begin, end)) spans.push_back({PiiKind::kAddress, begin, end});
  }
  FindPhones(text, spans);
  std::sort(spans.begin(), spans.end(), [](const PiiSpan& a, const PiiSpan& b) { return a.begin < b.begin; });
  return spans;
}

namespace {

std::string ReplaceSpans(std::string_view text, const std::vector<PiiSpan>& spans) {
  std::string out;
  size_t at = 0;
  for (const PiiSpan& span : spans) {
    out.append(text.substr(at, span.begin - at));
    out.append(PiiPlaceholder(span.kind));
    at = span.end;
  }
  out.append(text.substr(at));
  return out;
}

}  // namespace

std::string RedactPii(std::string_view text) {
  // A number that was part of a longer run ("1234 34 5698..." after an IBAN took its first group)
  // stands alone once its neighbour is replaced, so passes repeat until nothing more is found. Each
  // pass removes digits or an '@' and adds neither (every address holds a digit), so this ends;
  // one or two passes are usual.
  std::string out(text);
  for (std::vector<PiiSpan> spans = FindPii(out); !spans.empty(); spans = FindPii(out)) {
    out = ReplaceSpans(out, spans);
  }
  return out;
}

}  // namespace troupe
