// The vocabulary read from `tokenizer.ggml.*`: token texts, scores and kinds, the special token
// ids and the flags that steer encoding and decoding, with llama.cpp's defaults and fix-ups
// (end-of-generation tokens found by their text, Phi-3's stripping rules...).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/gguf.h"

namespace troupe::engine::tokenization {

enum class VocabKind {
  kSentencePiece,  // "llama"
  kBytePair,       // "gpt2"
  kWordPiece,      // "bert"
};

// Token attributes as llama.cpp names them; `tokenizer.ggml.token_type` gives one of the first
// six, the strip flags come from model-specific rules.
enum TokenAttribute : uint16_t {
  kAttrUndefined = 0,
  kAttrUnknown = 1 << 0,
  kAttrUnused = 1 << 1,
  kAttrNormal = 1 << 2,
  kAttrControl = 1 << 3,
  kAttrUserDefined = 1 << 4,
  kAttrByte = 1 << 5,
  kAttrLeftStrip = 1 << 7,   // white space before the token belongs to it
  kAttrRightStrip = 1 << 8,  // white space after the token belongs to it
};

struct SpecialTokens {
  std::optional<int32_t> bos;
  std::optional<int32_t> eos;
  std::optional<int32_t> eot;
  std::optional<int32_t> eom;
  std::optional<int32_t> unknown;
  std::optional<int32_t> separator;
  std::optional<int32_t> padding;
  std::optional<int32_t> mask;
  std::optional<int32_t> fim_prefix;
  std::optional<int32_t> fim_suffix;
  std::optional<int32_t> fim_middle;
  std::optional<int32_t> fim_pad;
  std::optional<int32_t> fim_repo;
  std::optional<int32_t> fim_separator;
};

class Vocab {
 public:
  // Reads and checks the vocabulary. Throws EngineError: kInvalidInput naming the key for a
  // missing or malformed one, duplicate token texts, or add_*_token without the token;
  // kUnsupported for a tokenizer model other than llama/gpt2/bert.
  static Vocab FromGguf(const GgufFile& file);

  // Token texts are looked up through views into `texts_`, so a Vocab is moved, never copied.
  Vocab(Vocab&&) noexcept = default;
  Vocab& operator=(Vocab&&) noexcept = default;
  Vocab(const Vocab&) = delete;
  Vocab& operator=(const Vocab&) = delete;

  VocabKind kind() const { return kind_; }
  const std::string& model_name() const { return model_name_; }
  const std::string& pre_name() const { return pre_name_; }
  int32_t size() const { return static_cast<int32_t>(texts_.size()); }
  bool Contains(int32_t id) const { return id >= 0 && id < size(); }

  const std::string& Text(int32_t id) const { return texts_[id]; }
  float Score(int32_t id) const { return scores_[id]; }
  uint16_t Attributes(int32_t id) const { return attributes_[id]; }
  bool Has(int32_t id, uint16_t attribute) const { return (attributes_[id] & attribute) != 0; }
  std::optional<int32_t> Find(std::string_view text) const;
  size_t max_token_bytes() const { return max_token_bytes_; }

  // The token for one raw byte: "<0xAB>" (or the byte itself) for SentencePiece, the byte-level
  // character for BPE. nullopt when the vocabulary has none.
  std::optional<int32_t> ByteToken(uint8_t byte) const;
  // The byte an "<0xAB>" token stands for.
  uint8_t ByteOfToken(int32_t id) const;

  const SpecialTokens& special() const { return special_; }
  std::optional<int32_t> newline() const { return newline_; }
  bool IsEndOfGeneration(int32_t id) const;
  // Control, user-defined and unknown tokens, longest text first: the order llama.cpp cuts them
  // out of text in.
  const std::vector<int32_t>& special_tokens_longest_first() const { return special_by_length_; }

  bool adds_bos() const { return adds_bos_; }
  bool adds_eos() const { return adds_eos_; }
  bool adds_separator() const { return adds_separator_; }
  bool adds_space_prefix() const { return adds_space_prefix_; }
  bool cleans_spaces() const { return cleans_spaces_; }
  bool ignores_merges() const { return ignores_merges_; }
  bool removes_extra_whitespace() const { return removes_extra_whitespace_; }

  // Byte-level BPE merges: text of the pair "left right" -> rank (lower merges first).
  const std::unordered_map<std::string_view, int32_t>& merge_ranks() const { return merge_ranks_; }
  const std::vector<std::string_view>& bpe_patterns() const { return bpe_patterns_; }

 private:
  Vocab() = default;
  void ReadTokens(const GgufFile& file);
  void ReadMerges(const GgufFile& file);
  void ReadSpecialTokens(const GgufFile& file);
  void ApplyTextRules();
  void IndexSpecialTokens();
  void ApplyStripRules(const GgufFile& file);

  VocabKind kind_ = VocabKind::kSentencePiece;
  std::string model_name_;
  std::string pre_name_;
  std::vector<std::string> texts_;
  std::vector<float> scores_;
  std::vector<uint16_t> attributes_;
  std::unordered_map<std::string_view, int32_t> ids_;
  size_t max_token_bytes_ = 0;

  std::vector<char> merge_storage_;  // every merge line, back to back; merge_ranks_ views into it
  std::unordered_map<std::string_view, int32_t> merge_ranks_;
  std::vector<std::string_view> bpe_patterns_;

  SpecialTokens special_;
  std::optional<int32_t> newline_;
  std::vector<int32_t> end_of_generation_;  // sorted
  std::vector<int32_t> special_by_length_;

  bool adds_bos_ = false;
  bool adds_eos_ = false;
  bool adds_separator_ = false;
  bool adds_space_prefix_ = false;
  bool cleans_spaces_ = false;
  bool ignores_merges_ = false;
  bool removes_extra_whitespace_ = false;
};

}  // namespace troupe::engine::tokenization
