#include "engine/tokenizer/spm_encoder.h"

#include <algorithm>
#include <queue>

#include "engine/tokenizer/utf8.h"

namespace troupe::engine::tokenization {
namespace {

struct SpmSymbol {
  int prev = -1;
  int next = -1;
  size_t begin = 0;
  size_t length = 0;  // 0 once merged into its left neighbour
};

struct SpmCandidate {
  int left = 0;
  int right = 0;
  float score = 0.0f;
  size_t length = 0;  // bytes of the joined text when the candidate was made
};

// Highest score first; between equal scores the leftmost pair, as llama.cpp orders them.
struct SpmLowerPriority {
  bool operator()(const SpmCandidate& a, const SpmCandidate& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

}  // namespace

void EncodeSentencePiece(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out) {
  std::vector<SpmSymbol> symbols;
  symbols.reserve(text.size());
  for (size_t offset = 0; offset < text.size();) {
    const size_t length = std::min(Utf8SequenceLength(static_cast<unsigned char>(text[offset])),
                                   text.size() - offset);
    const int index = static_cast<int>(symbols.size());
    symbols.push_back({index - 1, offset + length == text.size() ? -1 : index + 1, offset, length});
    offset += length;
  }

  std::priority_queue<SpmCandidate, std::vector<SpmCandidate>, SpmLowerPriority> queue;
  const auto consider = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const size_t length = symbols[left].length + symbols[right].length;
    const auto token = vocab.Find(text.substr(symbols[left].begin, length));
    if (!token) return;
    queue.push({left, right, vocab.Score(*token), length});
  };
  for (int i = 1; i < static_cast<int>(symbols.size()); ++i) {
    consider(i - 1, i);
  }
  while (!queue.empty()) {
    const SpmCandidate candidate = queue.top();
    queue.pop();
    SpmSymbol& left = symbols[candidate.left];
    SpmSymbol& right = symbols[candidate.right];
    // Symbols only grow, so a changed total length means one side merged since.
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
    const SpmSymbol& symbol = symbols[i];
    const std::string_view piece = text.substr(symbol.begin, symbol.length);
    if (const auto token = vocab.Find(piece)) {
      out.push_back(*token);
      continue;
    }
    for (char byte : piece) {
      if (const auto token = vocab.ByteToken(static_cast<uint8_t>(byte))) {
        out.push_back(*token);
      } else if (vocab.special().unknown) {
        out.push_back(*vocab.special().unknown);
      }
    }
  }
}

}  // namespace troupe::engine::tokenization
