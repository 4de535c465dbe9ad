#include "engine/tokenizer/bpe_encoder.h"

#include <algorithm>
#include <queue>
#include <string>

#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/utf8.h"

namespace troupe::engine::tokenization {
namespace {

struct Symbol {
  int prev = -1;
  int next = -1;
  size_t begin = 0;
  size_t length = 0;  // 0 once merged into its left neighbour
};

struct Candidate {
  int left = 0;
  int right = 0;
  int32_t rank = 0;
  size_t length = 0;  // bytes of the joined text when the candidate was made
};

// Lowest rank first; between equal ranks the leftmost pair.
struct LowerPriority {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

void EncodeWord(const Vocab& vocab, const std::string& word, std::vector<int32_t>& out) {
  if (vocab.ignores_merges()) {
    if (const auto token = vocab.Find(word)) {
      out.push_back(*token);
      return;
    }
  }
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  for (size_t offset = 0; offset < word.size();) {
    const size_t length = std::min(Utf8SequenceLength(static_cast<unsigned char>(word[offset])),
                                   word.size() - offset);
    const int index = static_cast<int>(symbols.size());
    symbols.push_back({index - 1, offset + length == word.size() ? -1 : index + 1, offset, length});
    offset += length;
  }

  const auto& ranks = vocab.merge_ranks();
  std::string pair_key;
  std::priority_queue<Candidate, std::vector<Candidate>, LowerPriority> queue;
  const auto consider = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    pair_key.assign(word, symbols[left].begin, symbols[left].length);
    pair_key.push_back(' ');
    pair_key.append(word, symbols[right].begin, symbols[right].length);
    const auto found = ranks.find(pair_key);
    if (found == ranks.end()) return;
    queue.push({left, right, found->second, symbols[left].length + symbols[right].length});
  };
  for (int i = 1; i < static_cast<int>(symbols.size()); ++i) {
    consider(i - 1, i);
  }
  while (!queue.empty()) {
    const Candidate candidate = queue.top();
    queue.pop();
    Symbol& left = symbols[candidate.left];
    Symbol& right = symbols[candidate.right];
    if (left.length == 0 || right.length == 0 ||
        left.length + right.length != candidate.length) {
      continue;
    }
    left.length += right.length;
    right.length = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = candidate.left;
    consider(left.prev, candidate.left);
    consider(candidate.left, left.next);
  }

  for (int i = symbols.empty() ? -1 : 0; i != -1; i = symbols[i].next) {
    const std::string_view piece = std::string_view(word).substr(symbols[i].begin, symbols[i].length);
    if (const auto token = vocab.Find(piece)) {
      out.push_back(*token);
      continue;
    }
    // llama.cpp looks each byte of the spelled piece up as a one-byte text; only ASCII
    // characters of the byte alphabet can match.
    for (size_t b = 0; b < piece.size(); ++b) {
      if (const auto token = vocab.Find(piece.substr(b, 1))) out.push_back(*token);
    }
  }
}

}  // namespace

BpeEncoder::BpeEncoder(const Vocab& vocab) : pre_tokenizer_(vocab.bpe_patterns()) {}

void BpeEncoder::Encode(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out) const {
  for (const std::string& word : pre_tokenizer_.Split(text)) {
    EncodeWord(vocab, ByteLevelEncode(word), out);
  }
}

}  // namespace troupe::engine::tokenization
