// Constrained decoding: which tokens may come next so that the generated text stays a prefix of
// something a Grammar matches, and ends only where the grammar is satisfied.
//
// ConstraintVocabulary holds the vocabulary's token texts in a trie (built once per tokenizer,
// shared by every sequence). TokenConstraint is one sequence's matcher: Mask walks the trie with
// the grammar's byte automaton (grammar/byte_automaton.h), pruning a whole subtree as soon as its
// prefix cannot continue, so a step costs about one table lookup per surviving trie node; the mask
// of each automaton state is remembered (as the shorter of its allowed and banned lists), so a
// state the text comes back to (inside a string, between list items) costs a list's length.
//
// What is allowed: a token whose text (TokenToPiece, control tokens rendered as nothing) keeps
// the text a prefix of a match; end-of-generation tokens only when the text so far is a whole
// match; tokens with no text (control tokens) never. A token may end inside a UTF-8 character
// when some code point the character could become is allowed.
//
// Thread safety: a ConstraintVocabulary is immutable; a TokenConstraint belongs to one sequence
// and one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/grammar.h"
#include "engine/tokenizer.h"

namespace troupe::engine {

namespace grammar {
class ByteAutomaton;
}  // namespace grammar

class ConstraintVocabulary {
 public:
  explicit ConstraintVocabulary(const Tokenizer& tokenizer);

  int32_t size() const { return vocab_size_; }

 private:
  friend class TokenConstraint;
  // The trie in depth-first order: node i's subtree is [i, subtree_end[i]). Node 0 is the root
  // (the empty text).
  struct Node {
    uint8_t byte = 0;
    uint16_t depth = 0;
    uint32_t subtree_end = 0;
    uint32_t tokens_begin = 0;  // into tokens_: the tokens whose text ends here
    uint32_t tokens_end = 0;
  };
  std::vector<Node> nodes_;
  std::vector<int32_t> tokens_;
  std::vector<int32_t> end_of_generation_;
  std::vector<std::vector<uint8_t>> texts_;  // per token
  int32_t vocab_size_ = 0;
  uint16_t max_depth_ = 0;
};

class TokenConstraint {
 public:
  TokenConstraint(const Grammar& grammar, std::shared_ptr<const ConstraintVocabulary> vocabulary);
  ~TokenConstraint();
  TokenConstraint(TokenConstraint&&) noexcept;
  TokenConstraint& operator=(TokenConstraint&&) noexcept;

  // Sets the logit of every token that may not come next to -infinity. `logits` has one value
  // per token of the vocabulary; throws EngineError(kInvalidInput) otherwise.
  void Mask(std::span<float> logits);
  bool Allows(int32_t token);
  // Moves past `token`; throws EngineError(kInvalidInput) when it is not allowed.
  void Accept(int32_t token);
  // Moves past `text` when it keeps the text a prefix of a match; otherwise returns false and
  // stays where it was.
  bool AcceptText(std::string_view text);

  // The text so far is a whole match: end-of-generation tokens are allowed.
  bool complete() const;
  // A whole match that nothing can extend: generation must stop here.
  bool finished() const;

 private:
  struct CachedMask {
    bool listed_allowed = false;   // tokens are the allowed ones (else the banned ones)
    std::vector<int32_t> tokens;
  };
  int32_t Walk(int32_t state, const std::vector<uint8_t>& text);
  CachedMask ComputeMask();
  void BoundMemory();

  std::shared_ptr<const ConstraintVocabulary> vocabulary_;
  std::unique_ptr<grammar::ByteAutomaton> automaton_;
  int32_t state_ = 0;
  std::vector<uint8_t> allowed_;  // reused by ComputeMask
  std::vector<int32_t> walk_states_;
  std::vector<float> kept_;       // reused by Mask
  std::unordered_map<int32_t, CachedMask> masks_;  // by automaton state
};

}  // namespace troupe::engine
