#include "engine/tokenizer/vocab.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <utility>

#include "engine/error.h"
#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/pre_tokenizer.h"

namespace troupe::engine::tokenization {
namespace {

constexpr std::string_view kKeyModel = "tokenizer.ggml.model";
constexpr std::string_view kKeyPre = "tokenizer.ggml.pre";
constexpr std::string_view kKeyTokens = "tokenizer.ggml.tokens";
constexpr std::string_view kKeyScores = "tokenizer.ggml.scores";
constexpr std::string_view kKeyTokenType = "tokenizer.ggml.token_type";
constexpr std::string_view kKeyMerges = "tokenizer.ggml.merges";

// tokenizer.ggml.token_type values.
enum GgufTokenType : int64_t {
  kTypeUndefined = 0,
  kTypeNormal = 1,
  kTypeUnknown = 2,
  kTypeControl = 3,
  kTypeUserDefined = 4,
  kTypeUnused = 5,
  kTypeByte = 6,
};

uint16_t AttributeOfType(int64_t type) {
  switch (type) {
    case kTypeNormal: return kAttrNormal;
    case kTypeUnknown: return kAttrUnknown;
    case kTypeControl: return kAttrControl;
    case kTypeUserDefined: return kAttrUserDefined;
    case kTypeUnused: return kAttrUnused;
    case kTypeByte: return kAttrByte;
    default: return kAttrUndefined;
  }
}

std::string KeyError(const GgufFile& file, std::string_view key, const std::string& problem) {
  return file.label() + ": metadata key '" + std::string(key) + "' " + problem;
}

// Token texts llama.cpp treats as ending a turn or a generation when the metadata does not say.
// Listed in order of preference for the single eot id (llama.cpp takes whichever its hash map
// yields first; a fixed order keeps the choice stable).
constexpr std::string_view kEndOfTurnTexts[] = {
    "<|eot_id|>",     "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
    "<|end_of_text|>", "<EOT>",     "_<EOT>",  "[EOT]",         "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>",
    "<end_of_utterance>"};
constexpr std::string_view kEndOfGenerationTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>",
    "<EOT>",      "_<EOT>",     "[EOT]",   "[EOS]",         "<|end_of_text|>",
    "<end_of_utterance>", "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>"};

bool ContainsAny(std::string_view haystack, std::initializer_list<std::string_view> needles) {
  return std::any_of(needles.begin(), needles.end(), [&](std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
  });
}

}  // namespace

Vocab Vocab::FromGguf(const GgufFile& file) {
  Vocab vocab;
  const std::optional<std::string> model = file.OptionalString(kKeyModel);
  if (!model) {
    ThrowInvalid(KeyError(file, kKeyModel, "is missing: the file has no tokenizer"));
  }
  vocab.model_name_ = *model;
  vocab.pre_name_ = file.OptionalString(kKeyPre).value_or("");
  SpecialTokens& special = vocab.special_;
  if (*model == "llama") {
    vocab.kind_ = VocabKind::kSentencePiece;
    special.bos = 1;
    special.eos = 2;
    special.unknown = 0;
    vocab.adds_space_prefix_ = true;
    vocab.adds_bos_ = true;
  } else if (*model == "bert") {
    vocab.kind_ = VocabKind::kWordPiece;
    special.bos = 101;
    special.unknown = 100;
    special.separator = 102;
    special.padding = 0;
    special.mask = 103;
    vocab.adds_bos_ = true;
    vocab.adds_separator_ = true;
    vocab.cleans_spaces_ = true;
  } else if (*model == "gpt2") {
    vocab.kind_ = VocabKind::kBytePair;
    // llama.cpp's defaults for byte-level BPE (they are Falcon's ids).
    special.bos = 11;
    special.eos = 11;
    BpePreset preset = FindBpePreset(vocab.pre_name_);
    vocab.bpe_patterns_ = std::move(preset.patterns);
    vocab.cleans_spaces_ = preset.clean_spaces;
    vocab.ignores_merges_ = preset.ignore_merges;
    vocab.adds_bos_ = preset.adds_bos;
    vocab.adds_separator_ = preset.adds_separator;
    if (preset.has_no_bos) special.bos.reset();
    vocab.ReadMerges(file);
  } else {
    ThrowUnsupported(file.label() + ": tokenizer.ggml.model = \"" + *model +
                     "\" is not supported (supported: llama, gpt2, bert)");
  }
  vocab.adds_space_prefix_ =
      file.OptionalBool("tokenizer.ggml.add_space_prefix").value_or(vocab.adds_space_prefix_);
  vocab.removes_extra_whitespace_ =
      file.OptionalBool("tokenizer.ggml.remove_extra_whitespaces").value_or(false);

  vocab.ReadTokens(file);
  vocab.ReadSpecialTokens(file);
  vocab.ApplyTextRules();
  vocab.IndexSpecialTokens();
  vocab.ApplyStripRules(file);

  if (vocab.kind_ == VocabKind::kSentencePiece) {
    vocab.newline_ = vocab.ByteToken('\n');
  } else if (vocab.kind_ == VocabKind::kBytePair) {
    vocab.newline_ = vocab.Find(ByteLevelCharacter('\n'));
  }
  if (!vocab.newline_) vocab.newline_ = special.padding;
  return vocab;
}

void Vocab::ReadTokens(const GgufFile& file) {
  if (file.Find(kKeyTokens) == nullptr) {
    ThrowInvalid(KeyError(file, kKeyTokens, "is missing"));
  }
  const std::vector<std::string_view> tokens = file.StringArray(kKeyTokens);
  if (tokens.empty()) {
    ThrowInvalid(KeyError(file, kKeyTokens, "is empty"));
  }
  if (tokens.size() > static_cast<size_t>(INT32_MAX)) {
    ThrowInvalid(KeyError(file, kKeyTokens, "has more than 2^31 - 1 tokens"));
  }
  const std::vector<float> scores = file.FloatArray(kKeyScores);
  if (file.Find(kKeyScores) != nullptr && scores.size() < tokens.size()) {
    ThrowInvalid(KeyError(file, kKeyScores,
                          "has " + std::to_string(scores.size()) + " scores for " +
                              std::to_string(tokens.size()) + " tokens"));
  }
  const std::vector<int64_t> types = file.IntArray(kKeyTokenType);
  if (file.Find(kKeyTokenType) != nullptr && types.size() < tokens.size()) {
    ThrowInvalid(KeyError(file, kKeyTokenType,
                          "has " + std::to_string(types.size()) + " types for " +
                              std::to_string(tokens.size()) + " tokens"));
  }

  texts_.reserve(tokens.size());
  scores_.assign(tokens.size(), 0.0f);
  attributes_.assign(tokens.size(), kAttrNormal);
  for (size_t i = 0; i < tokens.size(); ++i) {
    // An empty text could never be matched or printed; llama.cpp renames it the same way.
    texts_.emplace_back(tokens[i].empty() ? "[EMPTY_" + std::to_string(i) + "]"
                                          : std::string(tokens[i]));
    if (!scores.empty()) scores_[i] = scores[i];
    if (!types.empty()) attributes_[i] = AttributeOfType(types[i]);
    max_token_bytes_ = std::max(max_token_bytes_, texts_.back().size());
  }
  ids_.reserve(texts_.size());
  for (size_t i = 0; i < texts_.size(); ++i) {
    const auto [existing, inserted] = ids_.emplace(texts_[i], static_cast<int32_t>(i));
    if (!inserted) {
      ThrowInvalid(KeyError(file, kKeyTokens,
                            "holds \"" + texts_[i] + "\" twice, as ids " +
                                std::to_string(existing->second) + " and " + std::to_string(i)));
    }
  }
}

void Vocab::ReadMerges(const GgufFile& file) {
  if (file.Find(kKeyMerges) == nullptr) {
    ThrowInvalid(KeyError(file, kKeyMerges, "is missing (needed by a gpt2 tokenizer)"));
  }
  const std::vector<std::string_view> merges = file.StringArray(kKeyMerges);
  size_t total = 0;
  for (std::string_view merge : merges) total += merge.size();
  merge_storage_.resize(total);
  merge_ranks_.reserve(merges.size());
  size_t offset = 0;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    std::copy(merges[rank].begin(), merges[rank].end(), merge_storage_.begin() + offset);
    const std::string_view stored(merge_storage_.data() + offset, merges[rank].size());
    offset += merges[rank].size();
    // A repeated pair keeps its first (best) rank, as in llama.cpp.
    merge_ranks_.try_emplace(stored, static_cast<int32_t>(rank));
  }
}

void Vocab::ReadSpecialTokens(const GgufFile& file) {
  const auto read = [&](std::string_view key, std::optional<int32_t>& id) {
    if (id && !Contains(*id)) id.reset();  // a default the vocabulary is too small for
    const GgufValue* value = file.Find(std::string("tokenizer.ggml.") + std::string(key));
    if (value == nullptr) return;
    const std::optional<int64_t> number = value->AsInt();
    if (!number) {
      ThrowInvalid(KeyError(file, "tokenizer.ggml." + std::string(key),
                            "should be an integer token id, not " + std::string(NameOf(value->type()))));
    }
    // Out-of-range ids (stories260K stores 2^32 - 1 for "none") leave the default, as in
    // llama.cpp.
    if (*number >= 0 && *number < size()) id = static_cast<int32_t>(*number);
  };
  SpecialTokens& special = special_;
  read("bos_token_id", special.bos);
  read("eos_token_id", special.eos);
  read("eot_token_id", special.eot);
  read("eom_token_id", special.eom);
  read("unknown_token_id", special.unknown);
  read("seperator_token_id", special.separator);  // llama.cpp's spelling
  read("separator_token_id", special.separator);
  read("padding_token_id", special.padding);
  read("mask_token_id", special.mask);
  read("fim_pre_token_id", special.fim_prefix);
  read("fim_suf_token_id", special.fim_suffix);
  read("fim_mid_token_id", special.fim_middle);
  read("fim_pad_token_id", special.fim_pad);
  read("fim_rep_token_id", special.fim_repo);
  read("fim_sep_token_id", special.fim_separator);
  read("prefix_token_id", special.fim_prefix);
  read("suffix_token_id", special.fim_suffix);
  read("middle_token_id", special.fim_middle);

  adds_bos_ = file.OptionalBool("tokenizer.ggml.add_bos_token").value_or(adds_bos_);
  adds_eos_ = file.OptionalBool("tokenizer.ggml.add_eos_token").value_or(adds_eos_);
  adds_separator_ = file.OptionalBool("tokenizer.ggml.add_sep_token").value_or(adds_separator_);
  const auto require = [&](bool adds, const std::optional<int32_t>& id, std::string_view flag,
                           std::string_view id_key) {
    if (adds && !id) {
      ThrowInvalid(file.label() + ": tokenizer.ggml." + std::string(flag) +
                   " is true, but tokenizer.ggml." + std::string(id_key) +
                   " is not set to a token of the vocabulary");
    }
  };
  require(adds_bos_, special.bos, "add_bos_token", "bos_token_id");
  require(adds_eos_, special.eos, "add_eos_token", "eos_token_id");
  require(adds_separator_, special.separator, "add_sep_token", "seperator_token_id");
}

void Vocab::IndexSpecialTokens() {
  for (int32_t id = 0; id < size(); ++id) {
    if (Has(id, kAttrControl | kAttrUserDefined | kAttrUnknown)) {
      special_by_length_.push_back(id);
    }
  }
  std::stable_sort(special_by_length_.begin(), special_by_length_.end(),
                   [&](int32_t a, int32_t b) { return texts_[a].size() > texts_[b].size(); });
}

void Vocab::ApplyTextRules() {
  const auto mark_control = [&](int32_t id) { attributes_[id] |= kAttrControl; };
  // Ids the metadata left unset are found by their text; such tokens are control tokens even
  // when a converter typed them otherwise.
  const auto detect = [&](std::optional<int32_t>& id, std::initializer_list<std::string_view> texts) {
    if (id) return;
    for (std::string_view text : texts) {
      if (const auto found = Find(text)) {
        id = *found;
        mark_control(*found);
        return;
      }
    }
  };
  SpecialTokens& special = special_;
  if (!special.eot) {
    for (std::string_view text : kEndOfTurnTexts) {
      if (const auto found = Find(text)) {
        special.eot = *found;
        mark_control(*found);
        break;
      }
    }
  }
  detect(special.eom, {"<|eom_id|>"});
  detect(special.fim_prefix, {"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>",
                              "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "begin\xEF\xBD\x9C>", "<PRE>",
                              "\xE2\x96\x81<PRE>"});
  detect(special.fim_suffix, {"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",
                              "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "hole\xEF\xBD\x9C>", "<SUF>",
                              "\xE2\x96\x81<SUF>"});
  detect(special.fim_middle, {"<|fim_middle|>", "<fim-middle>", "<fim_middle>",
                              "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "end\xEF\xBD\x9C>", "<MID>",
                              "\xE2\x96\x81<MID>"});
  detect(special.fim_pad, {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>"});
  detect(special.fim_repo, {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"});
  detect(special.fim_separator, {"<|file_sep|>"});

  for (const auto& id : {special.fim_pad, special.fim_repo, special.fim_separator, special.eos,
                         special.eot, special.eom}) {
    if (id) end_of_generation_.push_back(*id);
  }
  for (std::string_view text : kEndOfGenerationTexts) {
    if (const auto found = Find(text)) {
      end_of_generation_.push_back(*found);
      mark_control(*found);
    }
  }
  std::sort(end_of_generation_.begin(), end_of_generation_.end());
  end_of_generation_.erase(std::unique(end_of_generation_.begin(), end_of_generation_.end()),
                           end_of_generation_.end());
}

void Vocab::ApplyStripRules(const GgufFile& file) {
  // Per-model strip rules that the GGUF does not carry (llama.cpp keys them on names).
  std::string model_name = file.OptionalString("general.name").value_or("");
  std::transform(model_name.begin(), model_name.end(), model_name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string architecture = file.OptionalString("general.architecture").value_or("");
  const auto set_strip = [&](std::string_view text, uint16_t flag, bool on) {
    if (const auto id = Find(text)) {
      attributes_[*id] = on ? (attributes_[*id] | flag) : (attributes_[*id] & ~flag);
    }
  };
  if (ContainsAny(pre_name_, {"jina-v2-de", "jina-v2-es", "jina-v2-code"}) ||
      ContainsAny(architecture, {"nomic-bert-moe", "jina-bert-v3"})) {
    set_strip("<mask>", kAttrLeftStrip, true);
  } else if (ContainsAny(model_name, {"phi-3", "phi3"})) {
    for (int32_t id : special_by_length_) attributes_[id] |= kAttrRightStrip;
    set_strip("</s>", kAttrRightStrip, true);
    for (std::string_view text : {"<unk>", "<s>", "<|endoftext|>"}) {
      set_strip(text, kAttrRightStrip, false);
    }
  } else if (ContainsAny(model_name, {"modern-bert"})) {
    set_strip("[MASK]", kAttrLeftStrip, true);
  }
}

std::optional<int32_t> Vocab::Find(std::string_view text) const {
  const auto found = ids_.find(text);
  if (found == ids_.end()) return std::nullopt;
  return found->second;
}

std::optional<int32_t> Vocab::ByteToken(uint8_t byte) const {
  if (kind_ == VocabKind::kSentencePiece) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    const char name[6] = {'<', '0', 'x', kHex[byte >> 4], kHex[byte & 15], '>'};
    if (const auto id = Find(std::string_view(name, 6))) return id;
    const char raw = static_cast<char>(byte);
    return Find(std::string_view(&raw, 1));
  }
  return Find(ByteLevelCharacter(byte));
}

uint8_t Vocab::ByteOfToken(int32_t id) const {
  const std::string& text = texts_[id];
  // "<0xAB>": two hex digits at offset 3; anything else reads as far as it is hex, like strtol.
  uint8_t value = 0;
  for (size_t i = 3; i < 5 && i < text.size(); ++i) {
    const char c = text[i];
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    if (digit < 0) break;
    value = static_cast<uint8_t>(value * 16 + digit);
  }
  return value;
}

bool Vocab::IsEndOfGeneration(int32_t id) const {
  return std::binary_search(end_of_generation_.begin(), end_of_generation_.end(), id);
}

}  // namespace troupe::engine::tokenization
