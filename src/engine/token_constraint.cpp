#include "engine/token_constraint.h"

#include <algorithm>
#include <limits>
#include <string>

#include "engine/error.h"
#include "engine/grammar/byte_automaton.h"

namespace troupe::engine {
namespace {

// States kept between steps before the table starts afresh (each holds a 1 KiB row).
constexpr size_t kMaxAutomatonStates = 16'384;
// Masks remembered per automaton state: a JSON string, a list or a repeated object keeps coming
// back to the same states, so most steps reuse a mask instead of walking the trie.
constexpr size_t kMaxCachedMasks = 64;
// Longer token texts (no real vocabulary has them) are left out of the trie: never allowed.
constexpr size_t kMaxTokenBytes = 4'096;

}  // namespace

ConstraintVocabulary::ConstraintVocabulary(const Tokenizer& tokenizer) : vocab_size_(tokenizer.vocab_size()) {
  texts_.resize(static_cast<size_t>(vocab_size_));
  std::vector<int32_t> order;
  for (int32_t token = 0; token < vocab_size_; ++token) {
    if (tokenizer.IsEndOfGeneration(token)) end_of_generation_.push_back(token);
    const std::string piece = tokenizer.TokenToPiece(token, /*render_special=*/false);
    if (piece.empty() || piece.size() > kMaxTokenBytes) continue;  // never allowed
    texts_[static_cast<size_t>(token)].assign(piece.begin(), piece.end());
    order.push_back(token);
  }
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return texts_[static_cast<size_t>(a)] < texts_[static_cast<size_t>(b)];
  });
  // Sorted texts give the trie in depth-first order: each text shares its longest common prefix
  // with the one before, and the nodes of the rest are new.
  nodes_.push_back(Node{});
  std::vector<uint32_t> path{0};  // path[d]: the node at depth d on the current text's path
  const std::vector<uint8_t>* previous = nullptr;
  for (int32_t token : order) {
    const std::vector<uint8_t>& text = texts_[static_cast<size_t>(token)];
    size_t shared = 0;
    if (previous != nullptr) {
      const size_t limit = std::min(previous->size(), text.size());
      while (shared < limit && (*previous)[shared] == text[shared]) ++shared;
    }
    for (size_t d = shared + 1; d < path.size(); ++d) nodes_[path[d]].subtree_end = static_cast<uint32_t>(nodes_.size());
    path.resize(shared + 1);
    for (size_t d = shared; d < text.size(); ++d) {
      Node node;
      node.byte = text[d];
      node.depth = static_cast<uint16_t>(d + 1);
      path.push_back(static_cast<uint32_t>(nodes_.size()));
      nodes_.push_back(node);
    }
    Node& last = nodes_[path.back()];
    if (last.tokens_end == 0) last.tokens_begin = last.tokens_end = static_cast<uint32_t>(tokens_.size());
    tokens_.push_back(token);
    last.tokens_end = static_cast<uint32_t>(tokens_.size());
    max_depth_ = std::max<uint16_t>(max_depth_, last.depth);
    previous = &text;
  }
  for (uint32_t node : path) nodes_[node].subtree_end = static_cast<uint32_t>(nodes_.size());
}

TokenConstraint::TokenConstraint(const Grammar& grammar, std::shared_ptr<const ConstraintVocabulary> vocabulary)
    : vocabulary_(std::move(vocabulary)),
      automaton_(std::make_unique<grammar::ByteAutomaton>(grammar.shared_rules())) {
  state_ = automaton_->start();
}

TokenConstraint::~TokenConstraint() = default;
TokenConstraint::TokenConstraint(TokenConstraint&&) noexcept = default;
TokenConstraint& TokenConstraint::operator=(TokenConstraint&&) noexcept = default;

bool TokenConstraint::complete() const { return automaton_->complete(state_); }

bool TokenConstraint::finished() const { return complete() && !automaton_->can_continue(state_); }

int32_t TokenConstraint::Walk(int32_t state, const std::vector<uint8_t>& text) {
  for (uint8_t byte : text) {
    state = automaton_->Next(state, byte);
    if (state == grammar::ByteAutomaton::kDead) break;
  }
  return state;
}

bool TokenConstraint::Allows(int32_t token) {
  if (token < 0 || token >= vocabulary_->size()) return false;
  const auto& eog = vocabulary_->end_of_generation_;
  if (std::find(eog.begin(), eog.end(), token) != eog.end()) return complete();
  const std::vector<uint8_t>& text = vocabulary_->texts_[static_cast<size_t>(token)];
  return !text.empty() && Walk(state_, text) != grammar::ByteAutomaton::kDead;
}

void TokenConstraint::Accept(int32_t token) {
  BoundMemory();
  if (!Allows(token)) ThrowInvalid("grammar: token " + std::to_string(token) + " is not allowed here");
  const auto& eog = vocabulary_->end_of_generation_;
  if (std::find(eog.begin(), eog.end(), token) != eog.end()) return;
  state_ = Walk(state_, vocabulary_->texts_[static_cast<size_t>(token)]);
}

bool TokenConstraint::AcceptText(std::string_view text) {
  BoundMemory();
  int32_t state = state_;
  for (char c : text) {
    state = automaton_->Next(state, static_cast<uint8_t>(c));
    if (state == grammar::ByteAutomaton::kDead) return false;
  }
  state_ = state;
  return true;
}

void TokenConstraint::Mask(std::span<float> logits) {
  if (logits.size() != static_cast<size_t>(vocabulary_->size())) {
    ThrowInvalid("grammar: " + std::to_string(logits.size()) + " logits for a vocabulary of " +
                 std::to_string(vocabulary_->size()));
  }
  BoundMemory();
  auto cached = masks_.find(state_);
  if (cached == masks_.end()) {
    if (masks_.size() >= kMaxCachedMasks) masks_.clear();
    cached = masks_.emplace(state_, ComputeMask()).first;
  }
  const CachedMask& mask = cached->second;
  constexpr float kBanned = -std::numeric_limits<float>::infinity();
  if (mask.listed_allowed) {
    // Few allowed: ban everything, then give the allowed back their logits.
    kept_.resize(mask.tokens.size());
    for (size_t i = 0; i < mask.tokens.size(); ++i) kept_[i] = logits[static_cast<size_t>(mask.tokens[i])];
    std::fill(logits.begin(), logits.end(), kBanned);
    for (size_t i = 0; i < mask.tokens.size(); ++i) logits[static_cast<size_t>(mask.tokens[i])] = kept_[i];
  } else {
    for (int32_t token : mask.tokens) logits[static_cast<size_t>(token)] = kBanned;
  }
}

TokenConstraint::CachedMask TokenConstraint::ComputeMask() {
  allowed_.assign(static_cast<size_t>(vocabulary_->size()), 0);
  const auto& nodes = vocabulary_->nodes_;
  walk_states_.resize(static_cast<size_t>(vocabulary_->max_depth_) + 1);
  walk_states_[0] = state_;
  for (uint32_t i = 1; i < nodes.size();) {
    const ConstraintVocabulary::Node& node = nodes[i];
    const int32_t next = automaton_->Next(walk_states_[node.depth - 1], node.byte);
    if (next == grammar::ByteAutomaton::kDead) {
      i = node.subtree_end;
      continue;
    }
    walk_states_[node.depth] = next;
    for (uint32_t t = node.tokens_begin; t < node.tokens_end; ++t) {
      allowed_[static_cast<size_t>(vocabulary_->tokens_[t])] = 1;
    }
    ++i;
  }
  const uint8_t may_end = complete() ? 1 : 0;
  for (int32_t token : vocabulary_->end_of_generation_) allowed_[static_cast<size_t>(token)] = may_end;
  const auto allowed = static_cast<size_t>(std::count(allowed_.begin(), allowed_.end(), uint8_t{1}));
  if (allowed == 0) ThrowInvalid("grammar: no token of the vocabulary can continue the text here");
  // Kept as the shorter list: the allowed tokens, or the banned ones.
  CachedMask mask;
  mask.listed_allowed = allowed * 2 < allowed_.size();
  for (size_t t = 0; t < allowed_.size(); ++t) {
    if ((allowed_[t] == 1) == mask.listed_allowed) mask.tokens.push_back(static_cast<int32_t>(t));
  }
  return mask;
}

void TokenConstraint::BoundMemory() {
  if (automaton_->state_count() > kMaxAutomatonStates) {
    state_ = automaton_->Reset(state_);
    masks_.clear();  // keyed by the states just forgotten
  }
}

}  // namespace troupe::engine
