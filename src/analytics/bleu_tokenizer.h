// The tokenizers sacreBLEU 2.x offers for BLEU, reimplemented to give the same tokens: `13a` (the
// default: mteval-v13a's rules, for Western languages), `intl` (mteval-v14's international rules:
// punctuation and symbols by Unicode category), `char` (every character a token) and `none`
// (split on whitespace only). Any bytes are accepted; the result is the tokens joined by spaces.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace troupe::analytics {

enum class BleuTokenizer { k13a, kIntl, kChar, kNone };

// "13a", "intl", "char" or "none"; nullopt for any other name.
std::optional<BleuTokenizer> ParseBleuTokenizer(std::string_view name);
std::string_view BleuTokenizerName(BleuTokenizer tokenizer);

// The tokenized line, tokens separated by single spaces, as sacreBLEU's tokenizer returns it.
std::string TokenizeForBleu(std::string_view line, BleuTokenizer tokenizer);

}  // namespace troupe::analytics
