// Token ids back to bytes, following llama.cpp's llama_token_to_piece and llama_detokenize.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "engine/tokenizer/vocab.h"

namespace troupe::engine::tokenization {

// The bytes of one token (the id must be in range). Control and unknown tokens are empty unless
// `render_special`; user-defined tokens are their text; normal tokens are unescaped ("▁" ->
// space) or byte-level decoded; byte tokens are their byte; unused and undefined are empty.
std::string TokenPiece(const Vocab& vocab, int32_t token, bool render_special);

// The pieces joined; a "llama" vocabulary's leading space is dropped from the first token, and
// vocabularies that clean up spaces get Hugging Face's clean-up. Ids must be in range.
std::string Detokenize(const Vocab& vocab, std::span<const int32_t> tokens, bool render_special);

}  // namespace troupe::engine::tokenization
