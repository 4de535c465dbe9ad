// What a Tokenizer holds: the vocabulary and the encoder its model needs. Immutable once built.
#pragma once

#include <optional>

#include "engine/tokenizer/bpe_encoder.h"
#include "engine/tokenizer/vocab.h"

namespace troupe::engine::tokenization {

struct TokenizerState {
  explicit TokenizerState(Vocab vocab_in);

  Vocab vocab;
  std::optional<BpeEncoder> bpe;  // only for byte-level BPE vocabularies
};

}  // namespace troupe::engine::tokenization
