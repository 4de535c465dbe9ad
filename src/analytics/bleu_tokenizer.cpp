#include "analytics/bleu_tokenizer.h"

#include <unicode/uchar.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "analytics/metric_text.h"

namespace troupe::analytics {

namespace {

using BleuCharTest = std::function<bool(std::string_view character)>;

int32_t BleuCodePoint(std::string_view character) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(character.data());
  int32_t index = 0;
  UChar32 code_point = 0;
  U8_NEXT(bytes, index, static_cast<int32_t>(character.size()), code_point);
  return code_point;
}

bool BleuIsDigit(std::string_view character) {
  return character.size() == 1 && character[0] >= '0' && character[0] <= '9';
}

bool BleuIsOneOf(std::string_view character, std::string_view set) {
  return character.size() == 1 && set.find(character[0]) != std::string_view::npos;
}

// One pass of a regex substitution whose pattern is two single characters, `(A)(B)`, scanning left
// to right without overlap as Python's re.sub does. The replacement puts a space between the two
// and one more either after B ("\1 \2 ") or before A (" \1 \2").
std::string BleuSubstitutePair(std::string_view text, const BleuCharTest& first, const BleuCharTest& second,
                               bool space_before_first) {
  const std::vector<std::string_view> characters = CodePoints(text);
  std::string out;
  out.reserve(text.size() + text.size() / 2);
  for (size_t i = 0; i < characters.size(); ++i) {
    if (i + 1 < characters.size() && first(characters[i]) && second(characters[i + 1])) {
      if (space_before_first) out.push_back(' ');
      out.append(characters[i]);
      out.push_back(' ');
      out.append(characters[i + 1]);
      if (!space_before_first) out.push_back(' ');
      ++i;
    } else {
      out.append(characters[i]);
    }
  }
  return out;
}

// `(A)` replaced by " \1 ".
std::string BleuSurroundWithSpaces(std::string_view text, const BleuCharTest& matches) {
  std::string out;
  out.reserve(text.size() * 2);
  for (std::string_view character : CodePoints(text)) {
    if (matches(character)) {
      out.push_back(' ');
      out.append(character);
      out.push_back(' ');
    } else {
      out.append(character);
    }
  }
  return out;
}

std::string BleuJoinTokens(std::string_view text) {
  std::string out;
  for (std::string_view piece : SplitPythonWhitespace(text)) {
    if (!out.empty()) out.push_back(' ');
    out.append(piece);
  }
  return out;
}

void BleuReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

std::string Tokenize13a(std::string_view line) {
  std::string text(line);
  BleuReplaceAll(text, "<skipped>", "");
  BleuReplaceAll(text, "-\n", "");
  BleuReplaceAll(text, "\n", " ");
  // In this order, as mteval-v13a: "&amp;lt;" ends as "<".
  if (text.find('&') != std::string::npos) {
    BleuReplaceAll(text, "&quot;", "\"");
    BleuReplaceAll(text, "&amp;", "&");
    BleuReplaceAll(text, "&lt;", "<");
    BleuReplaceAll(text, "&gt;", ">");
  }
  text = " " + text + " ";
  // ASCII punctuation except the apostrophe, '-', '.' and ',' (handled below), and the space.
  static constexpr std::string_view kSeparated = "{|}~[\\]^_` !\"#$%&()*+:;<=>?@/";
  text = BleuSurroundWithSpaces(text, [](std::string_view c) { return BleuIsOneOf(c, kSeparated); });
  const BleuCharTest not_digit = [](std::string_view c) { return !BleuIsDigit(c); };
  const BleuCharTest period_or_comma = [](std::string_view c) { return BleuIsOneOf(c, ".,"); };
  text = BleuSubstitutePair(text, not_digit, period_or_comma, false);
  text = BleuSubstitutePair(text, period_or_comma, not_digit, true);
  text = BleuSubstitutePair(
      text, BleuIsDigit, [](std::string_view c) { return BleuIsOneOf(c, "-"); }, false);
  return BleuJoinTokens(text);
}

bool BleuIsPunctuation(std::string_view character) {
  const int32_t code_point = BleuCodePoint(character);
  if (code_point < 0) return false;
  return (U_GET_GC_MASK(code_point) & U_GC_P_MASK) != 0;
}

bool BleuIsSymbol(std::string_view character) {
  const int32_t code_point = BleuCodePoint(character);
  if (code_point < 0) return false;
  return (U_GET_GC_MASK(code_point) & U_GC_S_MASK) != 0;
}

bool BleuIsNotNumber(std::string_view character) {
  const int32_t code_point = BleuCodePoint(character);
  if (code_point < 0) return true;
  return (U_GET_GC_MASK(code_point) & U_GC_N_MASK) == 0;
}

std::string TokenizeIntl(std::string_view line) {
  std::string text = BleuSubstitutePair(line, BleuIsNotNumber, BleuIsPunctuation, false);
  text = BleuSubstitutePair(text, BleuIsPunctuation, BleuIsNotNumber, true);
  text = BleuSurroundWithSpaces(text, BleuIsSymbol);
  return BleuJoinTokens(text);
}

std::string TokenizeChars(std::string_view line) {
  std::string joined;
  for (std::string_view character : CodePoints(line)) {
    if (!joined.empty()) joined.push_back(' ');
    joined.append(character);
  }
  return BleuJoinTokens(joined);
}

}  // namespace

std::optional<BleuTokenizer> ParseBleuTokenizer(std::string_view name) {
  if (name == "13a") return BleuTokenizer::k13a;
  if (name == "intl") return BleuTokenizer::kIntl;
  if (name == "char") return BleuTokenizer::kChar;
  if (name == "none") return BleuTokenizer::kNone;
  return std::nullopt;
}

std::string_view BleuTokenizerName(BleuTokenizer tokenizer) {
  switch (tokenizer) {
    case BleuTokenizer::k13a:
      return "13a";
    case BleuTokenizer::kIntl:
      return "intl";
    case BleuTokenizer::kChar:
      return "char";
    case BleuTokenizer::kNone:
      return "none";
  }
  return "13a";
}

std::string TokenizeForBleu(std::string_view line, BleuTokenizer tokenizer) {
  switch (tokenizer) {
    case BleuTokenizer::k13a:
      return Tokenize13a(line);
    case BleuTokenizer::kIntl:
      return TokenizeIntl(line);
    case BleuTokenizer::kChar:
      return TokenizeChars(line);
    case BleuTokenizer::kNone:
      return std::string(line);
  }
  return std::string(line);
}

}  // namespace troupe::analytics
