// SentencePiece-style encoding ("llama" vocabularies): start from single characters and keep
// joining the adjacent pair whose joined text is the highest-scoring token; what never becomes a
// token falls back to <0xAB> byte tokens.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/tokenizer/vocab.h"

namespace troupe::engine::tokenization {

// Appends the tokens of `text` to `out`. `text` is already escaped (spaces as "▁", the space
// prefix added); it may hold invalid UTF-8, whose bytes become byte tokens. A byte the
// vocabulary has no token for becomes the unknown token, or nothing when there is none.
// O(n log n) in the length of the text.
void EncodeSentencePiece(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out);

}  // namespace troupe::engine::tokenization
