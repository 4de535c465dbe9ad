// Cuts special tokens out of text before a tokenizer model sees it, as llama.cpp's
// tokenizer_st_partition does: token by token, longest text first, every occurrence in every
// piece of text still left.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/tokenizer/vocab.h"

namespace troupe::engine::tokenization {

// Either a special token or a stretch of the original text [begin, end) for the model.
struct Fragment {
  int32_t token = -1;  // >= 0 for a special token
  size_t begin = 0;
  size_t end = 0;
  bool is_token() const { return token >= 0; }
};

// User-defined tokens are always cut out; control and unknown tokens only with parse_special.
// Tokens marked to strip white space take the spaces beside them with them.
std::vector<Fragment> PartitionSpecialTokens(std::string_view text, const Vocab& vocab,
                                             bool parse_special);

}  // namespace troupe::engine::tokenization
