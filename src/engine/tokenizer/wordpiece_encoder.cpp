#include "engine/tokenizer/wordpiece_encoder.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>

#include "engine/error.h"
#include "engine/tokenizer/utf8.h"

namespace troupe::engine::tokenization {
namespace {

const icu::Normalizer2& CanonicalDecomposition() {
  static const icu::Normalizer2* const normalizer = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* instance = icu::Normalizer2::getNFDInstance(status);
    if (U_FAILURE(status) || instance == nullptr) {
      ThrowUnsupported(std::string("ICU has no NFD data: ") + u_errorName(status));
    }
    return instance;
  }();
  return *normalizer;
}

// The base character: the first code point of the full canonical decomposition ("é" -> "e",
// "한" -> "ᄒ"), which is what llama.cpp's "NFD" table holds.
uint32_t BaseCharacter(uint32_t code_point) {
  icu::UnicodeString decomposition;
  if (code_point > 0x10FFFF ||
      !CanonicalDecomposition().getDecomposition(static_cast<UChar32>(code_point), decomposition) ||
      decomposition.isEmpty()) {
    return code_point;
  }
  return static_cast<uint32_t>(decomposition.char32At(0));
}

bool IsControl(int8_t category) {
  return category == U_CONTROL_CHAR || category == U_FORMAT_CHAR ||
         category == U_PRIVATE_USE_CHAR || category == U_SURROGATE;
}
bool IsMark(int8_t category) {
  return category == U_NON_SPACING_MARK || category == U_ENCLOSING_MARK ||
         category == U_COMBINING_SPACING_MARK;
}
bool IsPunctuation(int8_t category) {
  return category == U_DASH_PUNCTUATION || category == U_START_PUNCTUATION ||
         category == U_END_PUNCTUATION || category == U_CONNECTOR_PUNCTUATION ||
         category == U_OTHER_PUNCTUATION || category == U_INITIAL_PUNCTUATION ||
         category == U_FINAL_PUNCTUATION;
}
bool IsSymbol(int8_t category) {
  return category == U_MATH_SYMBOL || category == U_CURRENCY_SYMBOL ||
         category == U_MODIFIER_SYMBOL || category == U_OTHER_SYMBOL;
}

// BERT's CJK blocks (with the Hugging Face bound 0x2B920 that llama.cpp copies).
bool IsChineseCharacter(uint32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

}  // namespace

std::vector<std::string> WordPieceWords(std::string_view text) {
  std::vector<std::string> words(1);
  for (const uint32_t original : DecodeUtf8Lenient(text)) {
    const uint32_t code_point = BaseCharacter(original);
    const auto c = static_cast<UChar32>(code_point);
    if (u_isUWhiteSpace(c)) {
      if (!words.back().empty()) words.emplace_back();
      continue;
    }
    const auto category = static_cast<int8_t>(u_charType(c));
    if (code_point == 0 || code_point == kReplacementCharacter || IsControl(category) ||
        IsMark(category)) {
      continue;
    }
    std::string lowered;
    AppendUtf8(static_cast<uint32_t>(u_tolower(c)), lowered);
    if (IsPunctuation(category) || (code_point < 0x7F && IsSymbol(category)) ||
        IsChineseCharacter(code_point)) {
      if (!words.back().empty()) words.emplace_back();
      words.back() = std::move(lowered);
      words.emplace_back();
    } else {
      words.back() += lowered;
    }
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

void EncodeWordPiece(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out) {
  static constexpr std::string_view kWordStart = "\xE2\x96\x81";  // "▁"
  const size_t longest = vocab.max_token_bytes();
  for (const std::string& word : WordPieceWords(text)) {
    const std::string marked = std::string(kWordStart) + word;
    const size_t word_start = out.size();
    bool covered = true;
    for (size_t begin = 0; begin < marked.size() && covered;) {
      covered = false;
      for (size_t end = std::min(marked.size(), begin + longest + 1); end > begin; --end) {
        if (const auto token = vocab.Find(std::string_view(marked).substr(begin, end - begin))) {
          out.push_back(*token);
          begin = end;
          covered = true;
          break;
        }
      }
    }
    if (!covered) out.resize(word_start);
    if (out.size() == word_start && vocab.special().unknown) {
      out.push_back(*vocab.special().unknown);
    }
  }
}

}  // namespace troupe::engine::tokenization
