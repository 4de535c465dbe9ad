#include "engine/tokenizer/special_partition.h"

#include <cctype>

namespace troupe::engine::tokenization {
namespace {

bool IsAsciiSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

}  // namespace

std::vector<Fragment> PartitionSpecialTokens(std::string_view text, const Vocab& vocab,
                                             bool parse_special) {
  std::vector<Fragment> fragments;
  if (text.empty()) {
    return fragments;
  }
  fragments.push_back({-1, 0, text.size()});
  std::vector<Fragment> next;
  for (const int32_t special : vocab.special_tokens_longest_first()) {
    if (!parse_special && vocab.Has(special, kAttrControl | kAttrUnknown)) {
      continue;
    }
    const std::string& special_text = vocab.Text(special);
    if (special_text.size() > text.size()) {
      continue;
    }
    const bool strips_left = vocab.Has(special, kAttrLeftStrip);
    const bool strips_right = vocab.Has(special, kAttrRightStrip);
    next.clear();
    bool changed = false;
    for (const Fragment& fragment : fragments) {
      if (fragment.is_token()) {
        next.push_back(fragment);
        continue;
      }
      size_t cursor = fragment.begin;
      while (true) {
        const std::string_view window = text.substr(0, fragment.end);
        const size_t match = cursor < fragment.end ? window.find(special_text, cursor)
                                                   : std::string_view::npos;
        if (match == std::string_view::npos) {
          if (cursor < fragment.end) next.push_back({-1, cursor, fragment.end});
          break;
        }
        changed = true;
        size_t left_end = match;
        if (strips_left) {
          while (left_end > cursor && IsAsciiSpace(text[left_end - 1])) --left_end;
        }
        if (left_end > cursor) next.push_back({-1, cursor, left_end});
        next.push_back({special, match, match + special_text.size()});
        cursor = match + special_text.size();
        if (strips_right) {
          while (cursor < fragment.end && IsAsciiSpace(text[cursor])) ++cursor;
        }
      }
    }
    if (changed) {
      fragments.swap(next);
    }
  }
  return fragments;
}

}  // namespace troupe::engine::tokenization
