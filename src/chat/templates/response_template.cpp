// Parsing, rendering and checking response templates (response_template.h).
#include "chat/templates/response_template.h"

#include <algorithm>
#include <optional>

namespace troupe::chat::templates {

namespace {

// One piece of a template's text: literal text, or a slot's name.
struct TemplatePiece {
  bool slot = false;
  std::string text;
};

bool IsSlotStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsSlotChar(char c) { return IsSlotStart(c) || (c >= '0' && c <= '9') || c == '.'; }
bool IsTemplateDigit(char c) { return c >= '0' && c <= '9'; }
bool IsTemplateLetter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool IsTemplateSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

Result<std::vector<TemplatePiece>> SplitTemplate(std::string_view text, std::string_view where) {
  std::vector<TemplatePiece> pieces;
  std::string literal;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '}') {
      return InvalidArgument(std::string(where) + ": '}' at offset " + std::to_string(i) + " closes no slot");
    }
    if (text[i] != '{') {
      literal.push_back(text[i]);
      continue;
    }
    const size_t close = text.find('}', i + 1);
    if (close == std::string_view::npos) {
      return InvalidArgument(std::string(where) + ": '{' at offset " + std::to_string(i) + " is never closed");
    }
    const std::string_view name = text.substr(i + 1, close - i - 1);
    if (name.empty() || !IsSlotStart(name[0]) || !std::all_of(name.begin(), name.end(), IsSlotChar)) {
      return InvalidArgument(std::string(where) + ": '{" + std::string(name) + "}' at offset " + std::to_string(i) +
                             " is not a slot (a name of letters, digits, '_' and '.', not starting with a digit)");
    }
    if (!literal.empty()) pieces.push_back({false, std::move(literal)});
    literal.clear();
    pieces.push_back({true, std::string(name)});
    i = close;
  }
  if (!literal.empty()) pieces.push_back({false, std::move(literal)});
  return pieces;
}

// Lower-case ASCII, every run of whitespace one space, none at the ends.
std::string NormalisedForCheck(std::string_view text) {
  std::string normal;
  bool space = false;
  for (char c : text) {
    if (IsTemplateSpace(c)) {
      space = !normal.empty();
      continue;
    }
    if (space) normal.push_back(' ');
    space = false;
    normal.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return normal;
}

void AddTemplateEntryOnce(std::vector<std::string>& list, std::string value) {
  if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(std::move(value));
}

// A URL starting at `at` ("http://", "https://" or "www."): its length, trailing punctuation left out.
std::optional<size_t> UrlAt(std::string_view text, size_t at) {
  const std::string_view rest = text.substr(at);
  if (rest.rfind("http://", 0) != 0 && rest.rfind("https://", 0) != 0 && rest.rfind("www.", 0) != 0) {
    return std::nullopt;
  }
  size_t end = 0;
  while (end < rest.size() && !IsTemplateSpace(rest[end])) ++end;
  while (end > 0 && std::string_view(".,;:!?)'\"").find(rest[end - 1]) != std::string_view::npos) --end;
  return end;
}

// The length of a currency sign at `at` ("$", "€", "£"), 0 when there is none.
size_t CurrencyAt(std::string_view text, size_t at) {
  for (std::string_view sign : {"$", "\xE2\x82\xAC", "\xC2\xA3"}) {
    if (text.substr(at, sign.size()) == sign) return sign.size();
  }
  return 0;
}

// A number at `at` (digits, with '.' or ',' between digits), with a currency sign before it and a
// unit or '%' written against it after; its length, 0 when none starts there.
size_t AmountAt(std::string_view text, size_t at) {
  size_t i = at + CurrencyAt(text, at);
  if (i >= text.size() || !IsTemplateDigit(text[i])) return 0;
  while (i < text.size()) {
    if (IsTemplateDigit(text[i])) {
      ++i;
    } else if ((text[i] == '.' || text[i] == ',' || text[i] == ':') && i + 1 < text.size() && IsTemplateDigit(text[i + 1])) {
      ++i;
    } else {
      break;
    }
  }
  if (i < text.size() && text[i] == '%') return i + 1 - at;
  while (i < text.size() && IsTemplateLetter(text[i])) ++i;
  if (const size_t sign = CurrencyAt(text, i)) i += sign;
  return i - at;
}

}  // namespace

std::vector<std::string> FindFacts(std::string_view text) {
  std::vector<std::string> facts;
  for (size_t i = 0; i < text.size();) {
    const bool word_start = i == 0 || !(IsTemplateLetter(text[i - 1]) || IsTemplateDigit(text[i - 1]));
    if (word_start) {
      if (std::optional<size_t> url = UrlAt(text, i)) {
        AddTemplateEntryOnce(facts, std::string(text.substr(i, *url)));
        i += std::max<size_t>(*url, 1);
        continue;
      }
      if (const size_t amount = AmountAt(text, i)) {
        AddTemplateEntryOnce(facts, std::string(text.substr(i, amount)));
        i += amount;
        continue;
      }
    }
    ++i;
  }
  return facts;
}

Result<ResponseTemplate> ParseTemplate(std::string name, std::string text, std::vector<std::string> listed_facts,
                                       std::string_view where) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return InvalidArgument(std::string(where) + ": the template's text is empty");
  }
  TROUPE_ASSIGN_OR_RETURN(std::vector<TemplatePiece> pieces, SplitTemplate(text, where));
  ResponseTemplate parsed;
  parsed.name = std::move(name);
  parsed.text = std::move(text);
  for (std::string& fact : listed_facts) {
    if (fact.find_first_not_of(" \t\r\n") == std::string::npos) {
      return InvalidArgument(std::string(where) + ".facts: a fact is empty");
    }
    const bool literal = std::any_of(pieces.begin(), pieces.end(), [&](const TemplatePiece& piece) {
      return !piece.slot && piece.text.find(fact) != std::string::npos;
    });
    if (!literal) {
      return InvalidArgument(std::string(where) + ".facts: '" + fact +
                             "' is not in the template's text outside its slots");
    }
    AddTemplateEntryOnce(parsed.facts, std::move(fact));
  }
  for (const TemplatePiece& piece : pieces) {
    if (piece.slot) {
      AddTemplateEntryOnce(parsed.slots, piece.text);
      continue;
    }
    for (std::string& fact : FindFacts(piece.text)) AddTemplateEntryOnce(parsed.facts, std::move(fact));
  }
  return parsed;
}

std::string Render(const ResponseTemplate& response, const SlotValues& values) {
  std::string rendered;
  const std::string& text = response.text;
  for (size_t i = 0; i < text.size(); ++i) {
    const size_t close = text[i] == '{' ? text.find('}', i + 1) : std::string::npos;
    if (close == std::string::npos) {
      rendered.push_back(text[i]);
      continue;
    }
    const auto value = values.find(text.substr(i + 1, close - i - 1));
    if (value != values.end() && !value->second.empty()) {
      rendered += value->second;
    } else {
      rendered.append(text, i, close - i + 1);
    }
    i = close;
  }
  return rendered;
}

std::vector<std::string> UnfilledSlots(const ResponseTemplate& response, const SlotValues& values) {
  std::vector<std::string> unfilled;
  for (const std::string& slot : response.slots) {
    const auto value = values.find(slot);
    if (value == values.end() || value->second.empty()) unfilled.push_back(slot);
  }
  return unfilled;
}

FactCheck CheckFacts(const ResponseTemplate& response, const SlotValues& values, std::string_view reply) {
  const std::string normal_reply = NormalisedForCheck(reply);
  FactCheck check;
  const auto require = [&](const std::string& expected) {
    const std::string normal = NormalisedForCheck(expected);
    if (normal.empty() || normal_reply.find(normal) != std::string::npos) return;
    check.kept = false;
    AddTemplateEntryOnce(check.missing, expected);
  };
  for (const std::string& fact : response.facts) require(fact);
  for (const std::string& slot : response.slots) {
    const auto value = values.find(slot);
    if (value != values.end()) require(value->second);
  }
  return check;
}

}  // namespace troupe::chat::templates
