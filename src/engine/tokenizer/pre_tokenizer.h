// Byte-level BPE pre-tokenizers: the regular expressions that cut text into words before merges
// run, chosen by `tokenizer.ggml.pre` exactly as llama.cpp chooses them, plus the vocabulary
// settings llama.cpp ties to the same name (space clean-up on decode, whole-word lookups, BOS).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/pcre_pattern.h"

namespace troupe::engine::tokenization {

struct BpePreset {
  std::vector<std::string_view> patterns;  // applied one after another, each to every piece
  bool clean_spaces = true;    // decode removes " ," style spaces (clean_up_tokenization_spaces)
  bool ignore_merges = false;  // a word that is itself a token skips the merges
  bool adds_bos = false;       // default for tokenizer.ggml.add_bos_token
  bool adds_separator = false; // default for tokenizer.ggml.add_sep_token
  bool has_no_bos = false;     // the family has no BOS token at all (chatglm)
};

// The preset for `pre_name`; "" (key absent) and "default" give llama.cpp's default.
// Throws EngineError(kUnsupported) naming an unknown name.
BpePreset FindBpePreset(std::string_view pre_name);

class PreTokenizer {
 public:
  explicit PreTokenizer(const std::vector<std::string_view>& patterns);

  // The words of `text`, in order, as UTF-8 bytes; their concatenation is `text` after invalid
  // UTF-8 has been read as U+FFFD (llama.cpp's reading). Each pattern splits every current piece
  // into its matches and the text between them; no piece is empty. As in llama.cpp, the patterns
  // see non-ASCII white space as U+000B, so \s matches it and character classes do not.
  // Thread-safe.
  std::vector<std::string> Split(std::string_view text) const;

 private:
  std::vector<PcrePattern> patterns_;
  PcrePattern white_space_;
};

}  // namespace troupe::engine::tokenization
