// Tokenizer: the public face over the vocabulary, the special-token partition and the three
// encoders.
#include "engine/tokenizer.h"

#include <utility>

#include "engine/error.h"
#include "engine/tokenizer/detokenizer.h"
#include "engine/tokenizer/special_partition.h"
#include "engine/tokenizer/spm_encoder.h"
#include "engine/tokenizer/tokenizer_state.h"
#include "engine/tokenizer/wordpiece_encoder.h"

namespace troupe::engine {

using tokenization::Fragment;
using tokenization::TokenizerState;
using tokenization::Vocab;
using tokenization::VocabKind;

namespace tokenization {

TokenizerState::TokenizerState(Vocab vocab_in) : vocab(std::move(vocab_in)) {
  if (vocab.kind() == VocabKind::kBytePair) {
    bpe.emplace(vocab);
  }
}

}  // namespace tokenization

namespace {

void CheckId(const Vocab& vocab, int32_t token) {
  if (!vocab.Contains(token)) {
    ThrowInvalid("token id " + std::to_string(token) + " is out of range (vocabulary of " +
                 std::to_string(vocab.size()) + " tokens)");
  }
}

void EncodeSentencePieceFragments(const Vocab& vocab, std::string_view text,
                                  const std::vector<Fragment>& fragments, bool add_special,
                                  std::vector<int32_t>& out) {
  if (add_special && vocab.adds_bos()) out.push_back(*vocab.special().bos);
  // The model was trained on text that starts with a space; llama.cpp gives every stretch of
  // text that starts the input or follows a special token that space.
  bool previous_was_special = true;
  for (const Fragment& fragment : fragments) {
    if (fragment.is_token()) {
      out.push_back(fragment.token);
      previous_was_special = true;
      continue;
    }
    std::string escaped;
    escaped.reserve((fragment.end - fragment.begin) * 3 + 3);
    if (vocab.adds_space_prefix() && previous_was_special) escaped += "\xE2\x96\x81";
    for (size_t i = fragment.begin; i < fragment.end; ++i) {
      if (text[i] == ' ') {
        escaped += "\xE2\x96\x81";
      } else {
        escaped.push_back(text[i]);
      }
    }
    tokenization::EncodeSentencePiece(vocab, escaped, out);
    previous_was_special = false;
  }
  if (add_special && vocab.adds_eos()) out.push_back(*vocab.special().eos);
}

}  // namespace

Tokenizer::Tokenizer(std::unique_ptr<const TokenizerState> state) : state_(std::move(state)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::FromGguf(const GgufFile& file) {
  return Tokenizer(std::make_unique<const TokenizerState>(Vocab::FromGguf(file)));
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, bool add_special,
                                       bool parse_special) const {
  const Vocab& vocab = state_->vocab;
  const std::vector<Fragment> fragments =
      tokenization::PartitionSpecialTokens(text, vocab, parse_special);
  std::vector<int32_t> tokens;
  tokens.reserve(text.size() / 3 + 2);
  switch (vocab.kind()) {
    case VocabKind::kSentencePiece:
      EncodeSentencePieceFragments(vocab, text, fragments, add_special, tokens);
      break;
    case VocabKind::kBytePair:
      if (add_special && vocab.adds_bos()) tokens.push_back(*vocab.special().bos);
      for (const Fragment& fragment : fragments) {
        if (fragment.is_token()) {
          tokens.push_back(fragment.token);
        } else {
          state_->bpe->Encode(vocab, text.substr(fragment.begin, fragment.end - fragment.begin),
                              tokens);
        }
      }
      if (add_special && vocab.adds_eos()) tokens.push_back(*vocab.special().eos);
      if (add_special && vocab.adds_separator()) tokens.push_back(*vocab.special().separator);
      break;
    case VocabKind::kWordPiece:
      if (add_special && vocab.adds_bos()) tokens.push_back(*vocab.special().bos);
      for (const Fragment& fragment : fragments) {
        if (fragment.is_token()) {
          tokens.push_back(fragment.token);
        } else {
          tokenization::EncodeWordPiece(
              vocab, text.substr(fragment.begin, fragment.end - fragment.begin), tokens);
        }
      }
      if (add_special && vocab.adds_separator()) tokens.push_back(*vocab.special().separator);
      break;
  }
  return tokens;
}

std::string Tokenizer::TokenToPiece(int32_t token, bool render_special) const {
  CheckId(state_->vocab, token);
  return tokenization::TokenPiece(state_->vocab, token, render_special);
}

std::string Tokenizer::Decode(std::span<const int32_t> tokens, bool render_special) const {
  for (const int32_t token : tokens) CheckId(state_->vocab, token);
  return tokenization::Detokenize(state_->vocab, tokens, render_special);
}

int32_t Tokenizer::vocab_size() const { return state_->vocab.size(); }
std::optional<int32_t> Tokenizer::bos() const { return state_->vocab.special().bos; }
std::optional<int32_t> Tokenizer::eos() const { return state_->vocab.special().eos; }
std::optional<int32_t> Tokenizer::eot() const { return state_->vocab.special().eot; }
std::optional<int32_t> Tokenizer::eom() const { return state_->vocab.special().eom; }
std::optional<int32_t> Tokenizer::unknown() const { return state_->vocab.special().unknown; }
std::optional<int32_t> Tokenizer::separator() const { return state_->vocab.special().separator; }
std::optional<int32_t> Tokenizer::padding() const { return state_->vocab.special().padding; }
std::optional<int32_t> Tokenizer::newline() const { return state_->vocab.newline(); }

bool Tokenizer::IsEndOfGeneration(int32_t token) const {
  return state_->vocab.IsEndOfGeneration(token);
}

bool Tokenizer::IsControl(int32_t token) const {
  return state_->vocab.Contains(token) &&
         state_->vocab.Has(token, tokenization::kAttrControl);
}

std::optional<int32_t> Tokenizer::FindToken(std::string_view text) const {
  return state_->vocab.Find(text);
}

std::string_view Tokenizer::TokenText(int32_t token) const {
  CheckId(state_->vocab, token);
  return state_->vocab.Text(token);
}

std::string_view Tokenizer::model() const { return state_->vocab.model_name(); }
std::string_view Tokenizer::pre() const { return state_->vocab.pre_name(); }
bool Tokenizer::adds_bos() const { return state_->vocab.adds_bos(); }
bool Tokenizer::adds_eos() const { return state_->vocab.adds_eos(); }
bool Tokenizer::cleans_up_spaces() const { return state_->vocab.cleans_spaces(); }

}  // namespace troupe::engine
