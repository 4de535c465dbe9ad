#include "engine/tokenizer/pre_tokenizer.h"

#include <algorithm>
#include <initializer_list>
#include <utility>

#include "engine/error.h"
#include "engine/tokenizer/utf8.h"

namespace troupe::engine::tokenization {
namespace {

// The patterns are llama.cpp's (which adapts them from each model's tokenizer.json). Where
// llama.cpp runs a hand-written splitter instead of its GPT-2 and Llama 3 patterns, the pattern
// below is the one that splitter implements (for GPT-2 that adds the final `|\s+`). Where
// llama.cpp's std::regex reads \d as ASCII, these say [0-9].
constexpr std::string_view kGpt2 =
    R"re('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)re";
constexpr std::string_view kLlama3 =
    R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";
constexpr std::string_view kQwen2 =
    R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";
constexpr std::string_view kEachDigit = R"re(\p{N})re";
constexpr std::string_view kDigitRuns = R"re(\p{N}+)re";
constexpr std::string_view kThreeAsciiDigits = R"re([0-9][0-9][0-9])re";
constexpr std::string_view kLineBreak = R"re([\r\n])re";
constexpr std::string_view kCjkAndHangul =
    R"re([\x{4E00}-\x{9FA5}\x{800}-\x{4E00}\x{AC00}-\x{D7FF}]+)re";
constexpr std::string_view kDeepseekLlmLetters =
    R"re(\s?[A-Za-z\x{B5}\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{1BA}\x{1BC}-\x{1BF}\x{1C4}-\x{293}\x{295}-\x{2AF}\x{370}-\x{373}\x{376}\x{377}\x{37B}-\x{37D}\x{37F}\x{386}\x{388}-\x{38A}\x{38C}\x{38E}-\x{3A1}\x{3A3}-\x{3F5}\x{3F7}-\x{481}\x{48A}-\x{52F}\x{531}-\x{556}\x{10A0}-\x{10C5}\x{13A0}-\x{13F5}\x{13F8}-\x{13FD}\x{1C90}-\x{1CBA}\x{1CBD}-\x{1CBF}\x{1D00}-\x{1D2B}\x{1D6B}-\x{1D77}\x{1D79}-\x{1D9A}\x{1E00}-\x{1F15}\x{1F18}-\x{1F1D}\x{1F20}-\x{1F45}\x{1F48}-\x{1F4D}\x{1F50}-\x{1F57}\x{1F59}\x{1F5B}\x{1F5D}\x{1F5F}-\x{1F7D}\x{1F80}-\x{1FB4}\x{1FB6}-\x{1FBC}\x{1FBE}\x{1FC2}-\x{1FC4}\x{1FC6}-\x{1FCC}\x{1FD0}-\x{1FD3}\x{1FD6}-\x{1FDB}\x{1FE0}-\x{1FEC}\x{1FF2}-\x{1FF4}\x{1FF6}-\x{1FFC}\x{2102}\x{2107}\x{210A}-\x{2113}\x{2115}\x{2119}-\x{211D}\x{2124}\x{2126}\x{2128}\x{212A}-\x{212D}\x{212F}-\x{2134}\x{2139}\x{213C}-\x{213F}\x{2145}-\x{2149}\x{214E}\x{2183}\x{2184}\x{2C00}-\x{2C7B}\x{2C7E}-\x{2CE4}\x{2CEB}-\x{2CEE}\x{2CF2}\x{2CF3}\x{A640}-\x{A66D}\x{A680}-\x{A69B}\x{A722}-\x{A76F}\x{A771}-\x{A787}\x{A78B}-\x{A78E}\x{AB70}-\x{ABBF}\x{FB00}-\x{FB06}\x{FB13}-\x{FB17}\x{FF21}-\x{FF3A}\x{FF41}-\x{FF5A}\x{10400}-\x{1044F}\x{104B0}-\x{104D3}\x{104D8}-\x{104FB}\x{10C80}-\x{10CB2}\x{10CC0}-\x{10CF2}\x{118A0}-\x{118DF}\x{1E900}-\x{1E943}]+)re";
constexpr std::string_view kDeepseekLlmPunctuation =
    R"re(\s?[!-/:-~\x{FF01}-\x{FF0F}\x{FF1A}-\x{FF5E}\x{2018}-\x{201F}\x{3000}-\x{3002}]+)re";
constexpr std::string_view kTrailingSpace = R"re(\s+$)re";
constexpr std::string_view kDeepseekV3Kana =
    R"re([\x{4E00}-\x{9FA5}\x{3040}-\x{309F}\x{30A0}-\x{30FF}]+)re";
constexpr std::string_view kDeepseekV3Words =
    R"re([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";
constexpr std::string_view kPoro =
    R"re( ?[^(\s|.,!?\x{2026}\x{3002}\x{FF0C}\x{3001}\x{964}\x{6D4}\x{60C})]+)re";
constexpr std::string_view kTekken =
    R"re([^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";
constexpr std::string_view kGpt4o =
    R"re([^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";
constexpr std::string_view kBailingMoe =
    R"re('(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+)re";
constexpr std::string_view kSeedCoder =
    R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+)re";

bool IsOneOf(std::string_view name, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

BpePreset Preset(std::vector<std::string_view> patterns, bool clean_spaces = true) {
  BpePreset preset;
  preset.patterns = std::move(patterns);
  preset.clean_spaces = clean_spaces;
  return preset;
}

}  // namespace

BpePreset FindBpePreset(std::string_view name) {
  if (name.empty() || name == "default") {
    return Preset({R"re([\p{P}\$\+<=>\^~\|]+)re", kGpt2, kDigitRuns, kThreeAsciiDigits});
  }
  if (IsOneOf(name, {"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral",
                     "midm-2.0", "lfm2"})) {
    BpePreset preset = Preset({kLlama3});
    preset.ignore_merges = true;
    preset.adds_bos = true;
    return preset;
  }
  if (IsOneOf(name, {"dbrx", "smaug-bpe"})) return Preset({kLlama3});
  if (name == "deepseek-llm") {
    return Preset({kLineBreak, kDeepseekLlmLetters, kDeepseekLlmPunctuation, kTrailingSpace,
                   kCjkAndHangul, kDigitRuns},
                  false);
  }
  if (name == "deepseek-coder") {
    return Preset({kLineBreak, R"re(\s?\p{L}+)re", R"re(\s?\p{P}+)re", kCjkAndHangul, kEachDigit},
                  false);
  }
  if (name == "deepseek-v3") {
    return Preset({R"re(\p{N}{1,3})re", kDeepseekV3Kana, kDeepseekV3Words}, false);
  }
  if (name == "falcon") {
    return Preset({R"re([\p{P}\$\+<=>\^~\|`]+)re", kGpt2, kThreeAsciiDigits});
  }
  if (IsOneOf(name, {"starcoder", "refact", "codeshell", "exaone", "minerva-7b"})) {
    return Preset({kEachDigit, kGpt2});
  }
  if (IsOneOf(name, {"command-r", "smollm"})) return Preset({kEachDigit, kGpt2}, false);
  if (IsOneOf(name, {"gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es",
                     "jina-v2-de", "a.x-4.0", "mellum", "modern-bert", "exaone4", "mpt", "olmo",
                     "jais"})) {
    return Preset({kGpt2});
  }
  if (IsOneOf(name, {"jina-v1-en", "jina-v2-code", "roberta-bpe"})) {
    BpePreset preset = Preset({kGpt2});
    preset.adds_separator = true;
    return preset;
  }
  if (name == "trillion") return Preset({kGpt2}, false);
  if (IsOneOf(name, {"qwen2", "deepseek-r1-qwen", "kormo"})) return Preset({kQwen2}, false);
  if (IsOneOf(name, {"stablelm2", "megrez"})) return Preset({kQwen2});
  if (name == "poro-chat") return Preset({kPoro}, false);
  if (IsOneOf(name, {"bloom", "gpt3-finnish"})) return Preset({kPoro});
  if (name == "viking") return Preset({kPoro, kEachDigit}, false);
  if (IsOneOf(name, {"chatglm-bpe", "glm4"})) {
    BpePreset preset = Preset({kLlama3});
    preset.has_no_bos = true;
    return preset;
  }
  if (name == "tekken") {
    BpePreset preset = Preset({kTekken}, false);
    preset.ignore_merges = true;
    preset.adds_bos = true;
    return preset;
  }
  if (name == "chameleon") {
    BpePreset preset = Preset({R"re(<sentinel:[0-9]+>)re", R"re((IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z)re",
                               R"re(([\t\n]|    |  ))re", kEachDigit, R"re([\p{P}!-/:-@\[-`{-~])re",
                               kGpt2},
                              false);
    preset.adds_bos = true;
    return preset;
  }
  if (IsOneOf(name, {"gpt-4o", "llama4"})) return Preset({kGpt4o}, false);
  if (name == "superbpe") return Preset({kDigitRuns, R"re((?=([0-9]{3})+(?![0-9])))re"}, false);
  if (IsOneOf(name, {"bailingmoe", "bailingmoe2", "llada-moe"})) return Preset({kBailingMoe}, false);
  if (name == "seed-coder") return Preset({kSeedCoder}, false);
  ThrowUnsupported("tokenizer.ggml.pre = \"" + std::string(name) +
                   "\": unknown byte-level BPE pre-tokenizer");
}

PreTokenizer::PreTokenizer(const std::vector<std::string_view>& patterns)
    : white_space_(R"re(\p{White_Space})re") {
  patterns_.reserve(patterns.size());
  for (std::string_view pattern : patterns) {
    patterns_.emplace_back(pattern);
  }
}

namespace {

// The text as the patterns see it, one code point at a time, and where each code point starts
// both there and in the text the words are cut from.
struct SplitSubject {
  std::string words_text;                 // llama.cpp's re-encoding of the input
  std::vector<size_t> words_offsets;      // per code point, plus the end
  std::string match_text;                 // valid UTF-8 with non-ASCII white space as U+000B
  std::vector<size_t> match_offsets;      // per code point, plus the end
  std::vector<uint32_t> index_of_byte;    // match_text byte offset -> code point index
};

bool IsSurrogate(uint32_t code_point) { return code_point >= 0xD800 && code_point <= 0xDFFF; }

SplitSubject MakeSubject(std::string_view text, const PcrePattern& white_space) {
  const std::vector<uint32_t> code_points = DecodeUtf8Lenient(text);
  SplitSubject subject;
  subject.words_offsets.reserve(code_points.size() + 1);
  subject.words_text.reserve(text.size());
  std::string valid_text;  // what PCRE2 may read: no surrogates
  std::vector<size_t> valid_offsets;
  valid_offsets.reserve(code_points.size() + 1);
  bool all_ascii = true;
  for (uint32_t code_point : code_points) {
    subject.words_offsets.push_back(subject.words_text.size());
    AppendUtf8(code_point, subject.words_text);
    valid_offsets.push_back(valid_text.size());
    AppendUtf8(IsSurrogate(code_point) ? kReplacementCharacter : code_point, valid_text);
    all_ascii = all_ascii && code_point < 0x80;
  }
  subject.words_offsets.push_back(subject.words_text.size());
  valid_offsets.push_back(valid_text.size());

  if (all_ascii) {
    subject.match_text = valid_text;
    subject.match_offsets = valid_offsets;
  } else {
    std::vector<bool> is_wide_space(code_points.size(), false);
    size_t index = 0;
    for (const ByteRange& match : white_space.FindAll(valid_text)) {
      while (valid_offsets[index] < match.begin) ++index;
      is_wide_space[index] = code_points[index] >= 0x80;
    }
    subject.match_offsets.reserve(code_points.size() + 1);
    for (size_t i = 0; i < code_points.size(); ++i) {
      subject.match_offsets.push_back(subject.match_text.size());
      if (is_wide_space[i]) {
        subject.match_text.push_back('\x0B');
      } else {
        subject.match_text.append(valid_text, valid_offsets[i],
                                  valid_offsets[i + 1] - valid_offsets[i]);
      }
    }
    subject.match_offsets.push_back(subject.match_text.size());
  }
  subject.index_of_byte.assign(subject.match_text.size() + 1, 0);
  for (size_t i = 0; i < subject.match_offsets.size(); ++i) {
    subject.index_of_byte[subject.match_offsets[i]] = static_cast<uint32_t>(i);
  }
  return subject;
}

struct Piece {
  uint32_t begin;  // code point indexes
  uint32_t end;
};

}  // namespace

std::vector<std::string> PreTokenizer::Split(std::string_view text) const {
  if (text.empty()) {
    return {};
  }
  const SplitSubject subject = MakeSubject(text, white_space_);
  const auto count = static_cast<uint32_t>(subject.match_offsets.size() - 1);
  std::vector<Piece> pieces{{0, count}};
  std::vector<Piece> next;
  for (const PcrePattern& pattern : patterns_) {
    next.clear();
    next.reserve(pieces.size() * 2);
    for (const Piece& piece : pieces) {
      const size_t base = subject.match_offsets[piece.begin];
      const std::string_view piece_text(subject.match_text.data() + base,
                                        subject.match_offsets[piece.end] - base);
      uint32_t cursor = piece.begin;
      for (const ByteRange& match : pattern.FindAll(piece_text)) {
        const uint32_t match_begin = subject.index_of_byte[base + match.begin];
        const uint32_t match_end = subject.index_of_byte[base + match.end];
        if (match_begin > cursor) next.push_back({cursor, match_begin});
        if (match_end > match_begin) next.push_back({match_begin, match_end});
        cursor = match_end;
      }
      if (cursor < piece.end) next.push_back({cursor, piece.end});
    }
    pieces.swap(next);
  }
  std::vector<std::string> words;
  words.reserve(pieces.size());
  for (const Piece& piece : pieces) {
    const size_t begin = subject.words_offsets[piece.begin];
    words.emplace_back(subject.words_text, begin, subject.words_offsets[piece.end] - begin);
  }
  return words;
}

}  // namespace troupe::engine::tokenization
