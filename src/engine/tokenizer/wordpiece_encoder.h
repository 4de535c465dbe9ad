// WordPiece encoding ("bert" vocabularies) as llama.cpp does it: text is cut into words at white
// space and around punctuation and CJK characters, lowercased, accents stripped (each character
// reduced to the first code point of its canonical decomposition, combining marks dropped), then
// each word, prefixed with "▁", is covered greedily by the longest tokens; a word that cannot be
// covered becomes the unknown token. Unicode data comes from ICU.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/vocab.h"

namespace troupe::engine::tokenization {

// The normalised words of `text` (exposed for tests).
std::vector<std::string> WordPieceWords(std::string_view text);

// Appends the tokens of `text` to `out`. Thread-safe.
void EncodeWordPiece(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out);

}  // namespace troupe::engine::tokenization
