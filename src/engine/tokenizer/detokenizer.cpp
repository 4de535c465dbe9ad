#include "engine/tokenizer/detokenizer.h"

#include <string_view>

#include "engine/tokenizer/byte_level.h"

namespace troupe::engine::tokenization {
namespace {

std::string UnescapeSpaces(std::string_view text) {
  static constexpr std::string_view kEscapedSpace = "\xE2\x96\x81";  // "▁"
  std::string result;
  result.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, kEscapedSpace.size(), kEscapedSpace) == 0) {
      result.push_back(' ');
      i += kEscapedSpace.size();
    } else {
      result.push_back(text[i++]);
    }
  }
  return result;
}

// Hugging Face's clean_up_tokenization in llama.cpp's three passes: no space before ? ! . , ;
// none around a lone apostrophe; none before 's 'm 're 've.
std::string CleanUpSpaces(std::string text) {
  if (text.empty()) return text;
  std::string first;
  first.push_back(text[0]);
  for (size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (text[i - 1] == ' ' && (c == '?' || c == '!' || c == '.' || c == ',')) first.pop_back();
    first.push_back(c);
  }
  std::string second;
  second.push_back(first[0]);
  for (size_t i = 1; i < first.size(); ++i) {
    const char c = first[i];
    if (c == '\'' && i + 1 < first.size() && first[i - 1] == ' ' && first[i + 1] == ' ') {
      second.pop_back();
      second.push_back(c);
      ++i;  // the space after it goes too
      continue;
    }
    second.push_back(c);
  }
  std::string third;
  third.push_back(second[0]);
  for (size_t i = 1; i < second.size(); ++i) {
    const char c = second[i];
    if (second[i - 1] == ' ' && c == '\'' && i + 1 < second.size()) {
      const char next = second[i + 1];
      const bool two_letter =
          i + 2 < second.size() && ((next == 'r' && second[i + 2] == 'e') ||
                                    (next == 'v' && second[i + 2] == 'e'));
      if (next == 's' || next == 'm' || two_letter) third.pop_back();
    }
    third.push_back(c);
  }
  return third;
}

}  // namespace

std::string TokenPiece(const Vocab& vocab, int32_t token, bool render_special) {
  const uint16_t attributes = vocab.Attributes(token);
  if (!render_special && (attributes & (kAttrUnknown | kAttrControl)) != 0) {
    return {};
  }
  const std::string& text = vocab.Text(token);
  if ((attributes & (kAttrUnknown | kAttrControl | kAttrUserDefined)) != 0) {
    return text;
  }
  if ((attributes & kAttrNormal) != 0) {
    return vocab.kind() == VocabKind::kBytePair ? ByteLevelDecode(text) : UnescapeSpaces(text);
  }
  if ((attributes & kAttrByte) != 0) {
    return std::string(1, static_cast<char>(vocab.ByteOfToken(token)));
  }
  return {};
}

std::string Detokenize(const Vocab& vocab, std::span<const int32_t> tokens, bool render_special) {
  std::string text;
  bool drop_leading_space = vocab.adds_space_prefix();
  for (const int32_t token : tokens) {
    std::string piece = TokenPiece(vocab, token, render_special);
    if (drop_leading_space && !piece.empty() && piece[0] == ' ') {
      piece.erase(0, 1);
    }
    drop_leading_space = false;
    text += piece;
  }
  return vocab.cleans_spaces() ? CleanUpSpaces(std::move(text)) : text;
}

}  // namespace troupe::engine::tokenization
