// Tokenizers: every llama.cpp test vector in shared/testdata/tokenizer token for token, the
// prompts of every golden model (BOS, chat special tokens, pieces), decoding and its round trip,
// the streaming decoder on characters split over byte tokens, bad ids and bad vocabularies.
#include "engine/tokenizer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/error.h"
#include "engine/gguf.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace troupe::engine {
namespace {

using ::troupe::testing::ReadFile;

using troupe::testing::SharedDir;

std::filesystem::path TokenizerDir() { return SharedDir() / "testdata" / "tokenizer"; }

// One vocabulary per file, loaded once for the whole binary: the large ones take a moment.
const Tokenizer& Vocabulary(const std::string& file_name) {
  static std::map<std::string, Tokenizer> loaded;
  auto found = loaded.find(file_name);
  if (found == loaded.end()) {
    const std::filesystem::path path = file_name.find('/') == std::string::npos
                                           ? TokenizerDir() / file_name
                                           : SharedDir() / file_name;
    found = loaded.emplace(file_name, Tokenizer::FromGguf(GgufFile::Open(path))).first;
  }
  return found->second;
}

struct VectorCase {
  std::string text;
  std::vector<int32_t> expected;
};

// The upstream format: strings separated by "\n__ggml_vocab_test__\n", one line of ids each.
std::vector<VectorCase> ReadVectors(const std::string& vocab_file) {
  const std::string input = ReadFile(TokenizerDir() / (vocab_file + ".inp"));
  const std::string output = ReadFile(TokenizerDir() / (vocab_file + ".out"));
  const std::string separator = "\n__ggml_vocab_test__\n";
  std::vector<std::string> texts;
  for (size_t pos = 0; pos < input.size();) {
    const size_t next = input.find(separator, pos);
    if (next == std::string::npos) {
      texts.push_back(input.substr(pos));
      break;
    }
    texts.push_back(input.substr(pos, next - pos));
    pos = next + separator.size();
  }
  std::vector<VectorCase> cases;
  std::istringstream lines(output);
  std::string line;
  for (const std::string& text : texts) {
    EXPECT_TRUE(static_cast<bool>(std::getline(lines, line))) << vocab_file << ": .out too short";
    VectorCase test{text, {}};
    std::istringstream ids(line);
    for (int32_t id; ids >> id;) test.expected.push_back(id);
    cases.push_back(std::move(test));
  }
  EXPECT_FALSE(std::getline(lines, line)) << vocab_file << ": .out has more lines than .inp";
  return cases;
}

std::string Printable(const std::vector<int32_t>& ids) {
  std::string text;
  for (int32_t id : ids) text += std::to_string(id) + " ";
  return text;
}

std::string FromHex(const std::string& hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return bytes;
}

// What llama.cpp's test-tokenizer-0 checks: add_special=false, parse_special=false.
class VocabVectorTest : public ::testing::TestWithParam<const char*> {};

TEST_P(VocabVectorTest, MatchesEveryUpstreamVector) {
  const std::string vocab_file = GetParam();
  const Tokenizer& tokenizer = Vocabulary(vocab_file);
  const std::vector<VectorCase> cases = ReadVectors(vocab_file);
  ASSERT_EQ(cases.size(), 46u) << vocab_file;
  for (const VectorCase& test : cases) {
    EXPECT_EQ(tokenizer.Encode(test.text, false, false), test.expected)
        << vocab_file << " on \"" << test.text << "\"\n  got      "
        << Printable(tokenizer.Encode(test.text, false, false)) << "\n  expected "
        << Printable(test.expected);
  }
}

INSTANTIATE_TEST_SUITE_P(
    SharedVectors, VocabVectorTest,
    ::testing::Values("ggml-vocab-llama-spm.gguf", "ggml-vocab-phi-3.gguf",
                      "ggml-vocab-gpt-2.gguf", "ggml-vocab-llama-bpe.gguf",
                      "ggml-vocab-qwen2.gguf", "ggml-vocab-falcon.gguf",
                      "ggml-vocab-deepseek-coder.gguf", "ggml-vocab-deepseek-llm.gguf",
                      "ggml-vocab-starcoder.gguf", "ggml-vocab-refact.gguf",
                      "ggml-vocab-mpt.gguf", "ggml-vocab-bert-bge.gguf"),
    [](const ::testing::TestParamInfo<const char*>& info) {
      std::string name = info.param;
      name = name.substr(std::string("ggml-vocab-").size());
      name = name.substr(0, name.find(".gguf"));
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

TEST(VocabVectorTest, EveryVectorFileInTheSharedFolderIsCovered) {
  size_t vector_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(TokenizerDir())) {
    if (entry.path().extension() == ".inp") ++vector_files;
  }
  EXPECT_EQ(vector_files, 12u) << "a new .inp file needs a line in SharedVectors";
}

// Decoding gives back the text for the vocabularies that lose nothing (all but bert): the
// joined pieces always, Decode too where it does not clean up spaces.
class RoundTripTest : public ::testing::TestWithParam<const char*> {};

TEST_P(RoundTripTest, DecodeOfEncodeIsTheText) {
  const std::string vocab_file = GetParam();
  const Tokenizer& tokenizer = Vocabulary(vocab_file);
  // The vocabularies without upstream vectors borrow the llama-spm strings.
  const std::vector<VectorCase> cases = ReadVectors("ggml-vocab-llama-spm.gguf");
  for (const VectorCase& test : cases) {
    const std::vector<int32_t> ids = tokenizer.Encode(test.text, false, false);
    std::string joined;
    for (int32_t id : ids) joined += tokenizer.TokenToPiece(id, false);
    if (tokenizer.model() == "llama" && !joined.empty() && joined[0] == ' ') joined.erase(0, 1);
    EXPECT_EQ(joined, test.text) << vocab_file;
    if (!tokenizer.cleans_up_spaces()) {
      EXPECT_EQ(tokenizer.Decode(ids, false), test.text) << vocab_file;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    SharedVocabularies, RoundTripTest,
    ::testing::Values("ggml-vocab-llama-spm.gguf", "ggml-vocab-phi-3.gguf",
                      "ggml-vocab-baichuan.gguf", "ggml-vocab-gpt-2.gguf",
                      "ggml-vocab-gpt-neox.gguf", "ggml-vocab-llama-bpe.gguf",
                      "ggml-vocab-qwen2.gguf", "ggml-vocab-falcon.gguf",
                      "ggml-vocab-deepseek-coder.gguf", "ggml-vocab-deepseek-llm.gguf",
                      "ggml-vocab-starcoder.gguf", "ggml-vocab-refact.gguf",
                      "ggml-vocab-mpt.gguf"),
    [](const ::testing::TestParamInfo<const char*>& info) {
      std::string name = info.param;
      name = name.substr(std::string("ggml-vocab-").size());
      name = name.substr(0, name.find(".gguf"));
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

TEST(TokenizerTest, VocabulariesWithoutVectorsLoadWithTheirSettings) {
  const Tokenizer& baichuan = Vocabulary("ggml-vocab-baichuan.gguf");
  EXPECT_EQ(baichuan.model(), "llama");
  EXPECT_EQ(baichuan.vocab_size(), 64000);
  EXPECT_EQ(baichuan.bos(), 1);
  EXPECT_EQ(baichuan.eos(), 2);
  EXPECT_TRUE(baichuan.adds_bos());
  EXPECT_EQ(baichuan.Encode("Hello", true, false).front(), 1);

  const Tokenizer& neox = Vocabulary("ggml-vocab-gpt-neox.gguf");
  EXPECT_EQ(neox.model(), "gpt2");
  EXPECT_EQ(neox.pre(), "");  // no pre-tokenizer key: llama.cpp's default pre-tokenizer
  EXPECT_EQ(neox.vocab_size(), 50432);
  EXPECT_FALSE(neox.adds_bos());
  EXPECT_EQ(neox.eos(), 0);
  EXPECT_TRUE(neox.IsEndOfGeneration(0));
  // Its user-defined tokens (runs of spaces) are cut out even without parse_special.
  const std::vector<int32_t> ids = neox.Encode("a    b", false, false);
  EXPECT_EQ(neox.Decode(ids, false), "a    b");
}

// The goldens hold llama.cpp's own tokenization of four prompts per model, with add_special=true
// (and parse_special=true for the chat prompt), and the pieces of every prompt and greedy token.
class GoldenPromptTest : public ::testing::TestWithParam<const char*> {};

TEST_P(GoldenPromptTest, MatchesLlamaCppTokensAndPieces) {
  const std::string golden_name = GetParam();
  const nlohmann::json golden = nlohmann::json::parse(
      ReadFile(SharedDir() / "testdata" / "golden" / (golden_name + ".json")));
  const std::string model_path = golden_name == "stories260K"
                                     ? "models/stories260K.gguf"
                                     : "models/synthetic/" + golden_name + ".gguf";
  const Tokenizer& tokenizer = Vocabulary(model_path);
  EXPECT_EQ(tokenizer.vocab_size(), golden["vocab"]["n_vocab"].get<int32_t>());
  EXPECT_EQ(tokenizer.bos(), golden["vocab"]["bos"].get<int32_t>());
  EXPECT_EQ(tokenizer.eos(), golden["vocab"]["eos"].get<int32_t>());
  EXPECT_EQ(tokenizer.adds_bos(), golden["vocab"]["add_bos"].get<bool>());
  EXPECT_TRUE(tokenizer.IsEndOfGeneration(golden["vocab"]["eos"].get<int32_t>()));

  ASSERT_EQ(golden["prompts"].size(), 4u);
  for (const nlohmann::json& prompt : golden["prompts"]) {
    const std::string name = prompt["name"];
    const std::vector<int32_t> expected = prompt["tokens"];
    const std::vector<int32_t> tokens = tokenizer.Encode(
        prompt["text"].get<std::string>(), prompt["add_special"], prompt["parse_special"]);
    EXPECT_EQ(tokens, expected) << golden_name << " / " << name << "\n  got      "
                                << Printable(tokens) << "\n  expected " << Printable(expected);
    const std::vector<std::string> pieces_hex = prompt["token_pieces_hex"];
    ASSERT_EQ(pieces_hex.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(tokenizer.TokenToPiece(expected[i], true), FromHex(pieces_hex[i]))
          << golden_name << " / " << name << " token " << expected[i];
    }
    const std::vector<int32_t> greedy = prompt["greedy"]["tokens"];
    const std::vector<std::string> greedy_hex = prompt["greedy"]["pieces_hex"];
    ASSERT_EQ(greedy.size(), greedy_hex.size());
    std::string joined;
    for (size_t i = 0; i < greedy.size(); ++i) {
      EXPECT_EQ(tokenizer.TokenToPiece(greedy[i], true), FromHex(greedy_hex[i]));
      joined += FromHex(greedy_hex[i]);
    }
    EXPECT_EQ(joined, FromHex(prompt["greedy"]["text_hex"]));
  }
}

INSTANTIATE_TEST_SUITE_P(SharedModels, GoldenPromptTest,
                         ::testing::Values("stories260K", "tiny-llama-spm-F16",
                                           "tiny-llama-spm-Q8_0", "tiny-llama-spm-Q4_0",
                                           "tiny-llama-spm-Q4_K_M", "tiny-qwen2-bpe-Q4_K_M",
                                           "tiny-llama3-bpe-Q8_0"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(TokenizerTest, SpecialTokensAreParsedOnlyWhenAsked) {
  const Tokenizer& qwen = Vocabulary("models/synthetic/tiny-qwen2-bpe-Q4_K_M.gguf");
  const std::vector<int32_t> parsed = qwen.Encode("<|im_start|>user\nHi<|im_end|>", false, true);
  ASSERT_GE(parsed.size(), 3u);
  EXPECT_EQ(parsed.front(), 151644);
  EXPECT_EQ(parsed.back(), 151645);
  const std::vector<int32_t> plain = qwen.Encode("<|im_start|>user\nHi<|im_end|>", false, false);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), 151644), 0);
  EXPECT_GT(plain.size(), parsed.size());
  EXPECT_EQ(qwen.Decode(plain, false), "<|im_start|>user\nHi<|im_end|>");
  // Control tokens print only when asked.
  EXPECT_EQ(qwen.Decode(parsed, false), "user\nHi");
  EXPECT_EQ(qwen.Decode(parsed, true), "<|im_start|>user\nHi<|im_end|>");
  EXPECT_TRUE(qwen.IsControl(151644));
  EXPECT_FALSE(qwen.IsControl(872));
  EXPECT_FALSE(qwen.IsControl(-1));
  EXPECT_TRUE(qwen.IsEndOfGeneration(151645));
  EXPECT_TRUE(qwen.IsEndOfGeneration(151643));  // <|endoftext|>, found by its text
  EXPECT_FALSE(qwen.IsEndOfGeneration(151644));
  EXPECT_EQ(qwen.FindToken("<|im_end|>"), 151645);
  EXPECT_EQ(qwen.FindToken("\xC4\xA0the"), 279);  // "Ġthe"
  EXPECT_EQ(qwen.FindToken("no such token"), std::nullopt);
  // The [PAD] ids above the real vocabulary are unused: they print as nothing.
  EXPECT_EQ(qwen.TokenToPiece(151700, true), "");

  const Tokenizer& spm = Vocabulary("ggml-vocab-llama-spm.gguf");
  EXPECT_EQ(spm.Encode("<s>Hi", false, true), (std::vector<int32_t>{1, 6324}));
  EXPECT_EQ(spm.Encode("Hi", true, false), (std::vector<int32_t>{1, 6324}));
  const std::vector<int32_t> literal = spm.Encode("<s>Hi", false, false);
  EXPECT_EQ(std::count(literal.begin(), literal.end(), 1), 0);

  const Tokenizer& llama3 = Vocabulary("models/synthetic/tiny-llama3-bpe-Q8_0.gguf");
  EXPECT_EQ(llama3.eot(), 128009);
  EXPECT_TRUE(llama3.IsEndOfGeneration(128009));
  EXPECT_TRUE(llama3.IsEndOfGeneration(128001));  // <|end_of_text|>
  EXPECT_EQ(llama3.Encode("<|eot_id|>", false, true), (std::vector<int32_t>{128009}));
}

TEST(TokenizerTest, BertAddsClassifierAndSeparatorAndLowercases) {
  const Tokenizer& bert = Vocabulary("ggml-vocab-bert-bge.gguf");
  EXPECT_EQ(bert.model(), "bert");
  const std::vector<int32_t> ids = bert.Encode("Hello World", true, false);
  ASSERT_EQ(ids.size(), 4u);
  EXPECT_EQ(ids.front(), 101);
  EXPECT_EQ(ids.back(), 102);
  EXPECT_EQ(ids, bert.Encode("hello world", true, false));
  EXPECT_EQ(bert.Encode("Führer café", false, false), bert.Encode("fuhrer cafe", false, false));
  EXPECT_EQ(bert.Decode(bert.Encode("hello world", false, false), false), " hello world");
}

TEST(TokenizerTest, DecodeCleansUpSpacesWhereTheVocabularySaysSo) {
  const Tokenizer& gpt2 = Vocabulary("ggml-vocab-gpt-2.gguf");
  ASSERT_TRUE(gpt2.cleans_up_spaces());
  const std::vector<int32_t> ids = gpt2.Encode("Hello , world ! It 's me", false, false);
  EXPECT_EQ(gpt2.Decode(ids, false), "Hello, world! It's me");
  const Tokenizer& qwen = Vocabulary("ggml-vocab-qwen2.gguf");
  ASSERT_FALSE(qwen.cleans_up_spaces());
  EXPECT_EQ(qwen.Decode(qwen.Encode("Hello , world !", false, false), false), "Hello , world !");
}

TEST(TokenizerTest, SentencePieceDropsOnlyTheSpaceItAdded) {
  const Tokenizer& spm = Vocabulary("ggml-vocab-llama-spm.gguf");
  EXPECT_EQ(spm.Decode(spm.Encode("Hello", false, false), false), "Hello");
  EXPECT_EQ(spm.Decode(spm.Encode("  Hello", false, false), false), "  Hello");
  // llama.cpp keeps the space when a BOS comes first; so do we.
  EXPECT_EQ(spm.Decode(spm.Encode("Hello", true, false), false), " Hello");
  EXPECT_EQ(spm.Decode(spm.Encode("Hello", true, false), true), "<s> Hello");
}

TEST(TokenizerTest, InvalidUtf8NeverThrows) {
  const std::string bad = "a\xFF" "b\xC3" "\xE2\x82" "c\xED\xA0\x80\xF8";
  const Tokenizer& spm = Vocabulary("ggml-vocab-llama-spm.gguf");
  // SentencePiece keeps the raw bytes through byte tokens.
  EXPECT_EQ(spm.Decode(spm.Encode(bad, false, false), false), bad);
  for (const char* name : {"ggml-vocab-gpt-2.gguf", "ggml-vocab-qwen2.gguf",
                           "ggml-vocab-deepseek-llm.gguf", "ggml-vocab-bert-bge.gguf"}) {
    const Tokenizer& tokenizer = Vocabulary(name);
    const std::vector<int32_t> ids = tokenizer.Encode(bad, true, true);
    EXPECT_FALSE(ids.empty()) << name;
    for (int32_t id : ids) EXPECT_TRUE(id >= 0 && id < tokenizer.vocab_size()) << name;
  }
}

TEST(StreamingDecoderTest, NeverSplitsACharacterAcrossByteTokens) {
  const Tokenizer& spm = Vocabulary("ggml-vocab-llama-spm.gguf");
  const std::string text = "日本語 🚀 Grüße ∑";
  const std::vector<int32_t> ids = spm.Encode(text, false, false);
  size_t byte_tokens = 0;
  for (int32_t id : ids) {
    const std::string_view token_text = spm.TokenText(id);
    byte_tokens += token_text.size() == 6 && token_text.substr(0, 3) == "<0x";
  }
  ASSERT_GE(byte_tokens, 4u) << "the rocket should need byte fallback";

  StreamingDecoder decoder(spm, false);
  std::string streamed;
  for (int32_t id : ids) {
    const std::string out = decoder.Push(id);
    // Every emitted chunk is whole characters: it survives a strict re-encode.
    for (size_t i = 0; i < out.size();) {
      const auto lead = static_cast<unsigned char>(out[i]);
      const size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
      ASSERT_LE(i + length, out.size()) << "a character was split";
      i += length;
    }
    streamed += out;
  }
  streamed += decoder.Flush();
  EXPECT_EQ(streamed, " " + text);  // the SentencePiece space prefix is the model's own text
}

TEST(StreamingDecoderTest, ReplacesBytesThatCannotBecomeCharacters) {
  const Tokenizer& spm = Vocabulary("ggml-vocab-llama-spm.gguf");
  const int32_t e2 = *spm.FindToken("<0xE2>");
  const int32_t x82 = *spm.FindToken("<0x82>");
  const int32_t xac = *spm.FindToken("<0xAC>");
  const int32_t ff = *spm.FindToken("<0xFF>");
  const int32_t letter_a = *spm.FindToken("A");
  StreamingDecoder decoder(spm, false);
  EXPECT_EQ(decoder.Push(e2), "");
  EXPECT_EQ(decoder.Push(x82), "");
  EXPECT_EQ(decoder.Push(xac), "€");
  EXPECT_EQ(decoder.Push(ff), "\xEF\xBF\xBD");
  EXPECT_EQ(decoder.Push(e2), "");
  EXPECT_EQ(decoder.Push(letter_a), "\xEF\xBF\xBD" "A");  // E2 then A: E2 can never finish
  EXPECT_EQ(decoder.Push(e2), "");
  EXPECT_EQ(decoder.Push(x82), "");
  EXPECT_EQ(decoder.Flush(), "\xEF\xBF\xBD");  // one replacement for the unfinished E2 82
  EXPECT_EQ(decoder.Flush(), "");
  EXPECT_EQ(decoder.Push(letter_a), "A");
}

TEST(TokenizerTest, IdsOutOfRangeAreRejectedByName) {
  const Tokenizer& spm = Vocabulary("ggml-vocab-llama-spm.gguf");
  for (int32_t bad : {-1, 32000, 1 << 30}) {
    try {
      (void)spm.TokenToPiece(bad, true);
      ADD_FAILURE() << "no error for " << bad;
    } catch (const EngineError& error) {
      EXPECT_EQ(error.kind(), EngineError::Kind::kInvalidInput);
      EXPECT_NE(std::string(error.what()).find(std::to_string(bad)), std::string::npos)
          << error.what();
    }
  }
  const std::vector<int32_t> with_bad = {1, 2, 32000};
  EXPECT_THROW((void)spm.Decode(with_bad, false), EngineError);
  EXPECT_THROW((void)spm.TokenText(-5), EngineError);
  StreamingDecoder decoder(spm, false);
  EXPECT_THROW((void)decoder.Push(40000), EngineError);
}

// Builds a small vocabulary file around `settings`.
GgufFile SmallVocab(const std::vector<std::pair<std::string, GgufValue>>& settings) {
  GgufWriter writer;
  writer.Set("general.architecture", GgufValue("llama"));
  for (const auto& [key, value] : settings) writer.Set(key, value);
  const std::vector<std::byte> bytes = writer.Serialize();
  return GgufFile::FromBytes(bytes, "small.gguf");
}

GgufValue Strings(std::vector<std::string> items) {
  GgufArray array;
  array.element_type = GgufType::kString;
  for (std::string& item : items) array.items.emplace_back(std::move(item));
  return GgufValue(std::move(array));
}

void ExpectError(const std::vector<std::pair<std::string, GgufValue>>& settings,
                 EngineError::Kind kind, const std::string& must_mention) {
  try {
    (void)Tokenizer::FromGguf(SmallVocab(settings));
    ADD_FAILURE() << "no error; expected one mentioning " << must_mention;
  } catch (const EngineError& error) {
    EXPECT_EQ(error.kind(), kind) << error.what();
    EXPECT_NE(std::string(error.what()).find(must_mention), std::string::npos) << error.what();
  }
}

TEST(TokenizerTest, BadVocabulariesFailNamingTheProblem) {
  const GgufValue tokens = Strings({"<unk>", "<s>", "</s>", "a", "b", "ab"});
  ExpectError({}, EngineError::Kind::kInvalidInput, "tokenizer.ggml.model");
  ExpectError({{"tokenizer.ggml.model", GgufValue("no_vocab")}}, EngineError::Kind::kUnsupported,
              "no_vocab");
  ExpectError({{"tokenizer.ggml.model", GgufValue("t5")}, {"tokenizer.ggml.tokens", tokens}},
              EngineError::Kind::kUnsupported, "t5");
  ExpectError({{"tokenizer.ggml.model", GgufValue("llama")}}, EngineError::Kind::kInvalidInput,
              "tokenizer.ggml.tokens");
  ExpectError({{"tokenizer.ggml.model", GgufValue("gpt2")},
               {"tokenizer.ggml.pre", GgufValue("martian")},
               {"tokenizer.ggml.tokens", tokens},
               {"tokenizer.ggml.merges", Strings({"a b"})}},
              EngineError::Kind::kUnsupported, "martian");
  ExpectError({{"tokenizer.ggml.model", GgufValue("gpt2")}, {"tokenizer.ggml.tokens", tokens}},
              EngineError::Kind::kInvalidInput, "tokenizer.ggml.merges");
  ExpectError({{"tokenizer.ggml.model", GgufValue("llama")},
               {"tokenizer.ggml.tokens", Strings({"<unk>", "a", "a"})}},
              EngineError::Kind::kInvalidInput, "\"a\" twice, as ids 1 and 2");
  ExpectError({{"tokenizer.ggml.model", GgufValue("llama")},
               {"tokenizer.ggml.tokens", tokens},
               {"tokenizer.ggml.scores", GgufValue(GgufArray{GgufType::kFloat32, {GgufValue(1.0f)}})}},
              EngineError::Kind::kInvalidInput, "tokenizer.ggml.scores");
  ExpectError({{"tokenizer.ggml.model", GgufValue("llama")},
               {"tokenizer.ggml.tokens", Strings({"a"})},  // too small for the default BOS id 1
               {"tokenizer.ggml.add_bos_token", GgufValue(true)}},
              EngineError::Kind::kInvalidInput, "tokenizer.ggml.bos_token_id");
  ExpectError({{"tokenizer.ggml.model", GgufValue("llama")},
               {"tokenizer.ggml.tokens", tokens},
               {"tokenizer.ggml.eos_token_id", GgufValue("two")}},
              EngineError::Kind::kInvalidInput, "tokenizer.ggml.eos_token_id");
}

TEST(TokenizerTest, SmallByteLevelVocabularyMergesByRank) {
  // "a b" ranks before "b c", so "abc" is "ab" + "c" even though "bc" is also a token.
  const Tokenizer tokenizer = Tokenizer::FromGguf(
      SmallVocab({{"tokenizer.ggml.model", GgufValue("gpt2")},
                  {"tokenizer.ggml.pre", GgufValue("gpt-2")},
                  {"tokenizer.ggml.tokens", Strings({"a", "b", "c", "ab", "bc", "\xC4\xA0"})},
                  {"tokenizer.ggml.merges", Strings({"a b", "b c"})},
                  {"tokenizer.ggml.bos_token_id", GgufValue(uint32_t{0})},
                  {"tokenizer.ggml.eos_token_id", GgufValue(uint32_t{0})}}));
  EXPECT_EQ(tokenizer.Encode("abc", false, false), (std::vector<int32_t>{3, 2}));
  EXPECT_EQ(tokenizer.Encode("bc", false, false), (std::vector<int32_t>{4}));
  EXPECT_EQ(tokenizer.Encode("a c", false, false), (std::vector<int32_t>{0, 5, 2}));
  // "d" has no token and no byte token: llama.cpp drops it.
  EXPECT_EQ(tokenizer.Encode("ad", false, false), (std::vector<int32_t>{0}));
}

TEST(TokenizerTest, EncodesFromManyThreadsAtOnce) {
  const Tokenizer& qwen = Vocabulary("ggml-vocab-qwen2.gguf");
  const Tokenizer& bert = Vocabulary("ggml-vocab-bert-bge.gguf");
  const std::string text = "Grüße aus Zürich!  日本語 42 件, emoji 🚀 <|im_end|> and 1,000,000.\n";
  const std::vector<int32_t> qwen_ids = qwen.Encode(text, true, true);
  const std::vector<int32_t> bert_ids = bert.Encode(text, true, true);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        mismatches[t] += qwen.Encode(text, true, true) != qwen_ids;
        mismatches[t] += bert.Encode(text, true, true) != bert_ids;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace troupe::engine
