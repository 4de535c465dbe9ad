// Byte-level BPE encoding ("gpt2" vocabularies): the pre-tokenizer cuts text into words, each
// word's bytes are spelled in GPT-2's byte alphabet, and the merges join adjacent pieces lowest
// rank first.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/tokenizer/pre_tokenizer.h"
#include "engine/tokenizer/vocab.h"

namespace troupe::engine::tokenization {

class BpeEncoder {
 public:
  // Compiles the vocabulary's pre-tokenizer patterns.
  explicit BpeEncoder(const Vocab& vocab);

  // Appends the tokens of `text` to `out`, using `vocab` (the one given to the constructor).
  // Pieces that end up as no token fall back to single-byte tokens where the vocabulary has
  // them, as llama.cpp does. O(n log n) per word. Thread-safe.
  void Encode(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out) const;

 private:
  PreTokenizer pre_tokenizer_;
};

}  // namespace troupe::engine::tokenization
