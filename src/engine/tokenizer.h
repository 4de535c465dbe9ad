// Tokenizers declared by a GGUF model: text to token ids and back, behaving like llama.cpp.
//
// `tokenizer.ggml.model` picks the algorithm: "llama" (SentencePiece-style BPE over scores, with
// <0xAB> byte fallback), "gpt2" (byte-level BPE over merges, split first by the pre-tokenizer named
// in `tokenizer.ggml.pre`), "bert" (WordPiece over lowercased, accent-stripped words). Any other
// model ("no_vocab", "t5", ...) or an unknown pre-tokenizer name throws EngineError(kUnsupported)
// naming the value; a malformed vocabulary throws EngineError(kInvalidInput) naming the key.
//
// Special tokens: control, user-defined and unknown tokens are cut out of the text before the
// model sees it, longest token text first (llama.cpp's order). User-defined tokens are always cut
// out; control and unknown tokens only with parse_special=true, otherwise their text is ordinary
// text. add_special=true adds BOS when the vocabulary says so (`tokenizer.ggml.add_bos_token`; the
// default is true for "llama" and "bert", false for "gpt2" except the llama3 family), EOS when
// `tokenizer.ggml.add_eos_token` is true, and for "bert" the separator at the end.
//
// Text that is not valid UTF-8 never throws: "llama" falls back to byte tokens, "gpt2" reads each
// bad byte as U+FFFD, "bert" drops it.
//
// Thread safety: a Tokenizer is immutable after FromGguf; every const method may run on any number
// of threads at once. A StreamingDecoder belongs to one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/gguf.h"

namespace troupe::engine {

namespace tokenization {
struct TokenizerState;
}  // namespace tokenization

class Tokenizer {
 public:
  // Reads the tokenizer from a model or vocab-only GGUF. Copies what it needs: the GgufFile may
  // be closed afterwards. Throws EngineError naming the key (or the unsupported value).
  static Tokenizer FromGguf(const GgufFile& file);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Token ids for `text`; see the header comment for add_special and parse_special.
  std::vector<int32_t> Encode(std::string_view text, bool add_special, bool parse_special) const;

  // The bytes one token stands for. Control and unknown tokens give "" unless render_special;
  // user-defined tokens always give their text; unused tokens give "". The result may be part of
  // a UTF-8 character (byte tokens). Throws EngineError(kInvalidInput) for an id out of range.
  std::string TokenToPiece(int32_t token, bool render_special) const;

  // The pieces joined as llama_detokenize does: the space a "llama" vocabulary put in front of
  // the text is dropped from the first piece, and vocabularies that ask for it
  // (cleans_up_spaces()) get Hugging Face's clean-up (" ," -> ","). Raw bytes, not necessarily
  // valid UTF-8. Throws EngineError(kInvalidInput) naming the first id out of range.
  std::string Decode(std::span<const int32_t> tokens, bool render_special) const;

  int32_t vocab_size() const;
  std::optional<int32_t> bos() const;
  std::optional<int32_t> eos() const;
  std::optional<int32_t> eot() const;
  std::optional<int32_t> eom() const;
  std::optional<int32_t> unknown() const;
  std::optional<int32_t> separator() const;
  std::optional<int32_t> padding() const;
  std::optional<int32_t> newline() const;  // the token for "\n", when the vocabulary has one

  // True for eos, eot, eom and every other end-of-generation token llama.cpp recognises
  // (<|im_end|>, <|endoftext|>, <end_of_turn>, fill-in-the-middle pad/repo/separator...).
  bool IsEndOfGeneration(int32_t token) const;
  bool IsControl(int32_t token) const;  // false for ids out of range
  // The id whose text is exactly `text` (as stored in the vocabulary: "▁the", "Ġthe", "<s>").
  std::optional<int32_t> FindToken(std::string_view text) const;
  // The stored text of a token (not its decoded piece). Throws for an id out of range.
  std::string_view TokenText(int32_t token) const;

  std::string_view model() const;  // tokenizer.ggml.model
  std::string_view pre() const;    // tokenizer.ggml.pre as stored ("" when absent)
  bool adds_bos() const;
  bool adds_eos() const;
  bool cleans_up_spaces() const;

 private:
  friend class StreamingDecoder;
  explicit Tokenizer(std::unique_ptr<const tokenization::TokenizerState> state);
  std::unique_ptr<const tokenization::TokenizerState> state_;
};

// Turns generated tokens into text as they arrive, never splitting a UTF-8 character across two
// results: bytes of an unfinished character wait for the next token. Bytes that cannot start or
// continue a character are replaced by U+FFFD as soon as that is certain; Flush() replaces an
// unfinished character left at the end by U+FFFD. So the concatenation of everything returned is
// valid UTF-8 and, for valid input, equals the pieces joined (no space removal, no clean-up).
// Keeps a reference to the Tokenizer, which must outlive it.
class StreamingDecoder {
 public:
  explicit StreamingDecoder(const Tokenizer& tokenizer, bool render_special);

  // Text that became complete with this token (maybe ""). Throws like TokenToPiece.
  std::string Push(int32_t token);
  // The rest, with an unfinished character as U+FFFD; the decoder is then empty and reusable.
  std::string Flush();

 private:
  const Tokenizer& tokenizer_;
  bool render_special_;
  std::string pending_;  // the bytes of an unfinished character, at most 3
};

}  // namespace troupe::engine
