// Tokenizers on arbitrary text, with real vocabularies from the shared folder: SentencePiece
// (llama-spm, phi-3), byte-level BPE (gpt-2, qwen2, deepseek-llm's many patterns) and WordPiece
// (bert-bge). The first byte picks add_special and parse_special; the rest is the text.
// Invariants: every id is in range; decoding gives the text back where the tokenizer loses
// nothing (valid UTF-8 without "▁" for SentencePiece: an invalid lead byte before a space
// swallows part of the escaped space, as in llama.cpp; valid UTF-8 for byte-level BPE); the streaming
// decoder's output is valid UTF-8 and equals the joined pieces when those are valid.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "engine/error.h"
#include "engine/gguf.h"
#include "engine/tokenizer.h"
#include "engine/tokenizer/utf8.h"

namespace {

using troupe::engine::GgufFile;
using troupe::engine::StreamingDecoder;
using troupe::engine::Tokenizer;

enum class Lossless { kNever, kSentencePiece, kValidUtf8 };

struct Subject {
  const char* file;
  Lossless lossless;
  Tokenizer tokenizer;
};

std::filesystem::path SharedDir() {
  const char* overridden = std::getenv("TROUPE_SHARED_DIR");
  const std::filesystem::path dir = overridden != nullptr ? overridden : TROUPE_SHARED_DIR_DEFAULT;
  if (!std::filesystem::is_directory(dir / "testdata" / "tokenizer")) {
    std::fprintf(stderr, "tokenizer_fuzz: shared test data not found at %s (set TROUPE_SHARED_DIR)\n",
                 dir.c_str());
    std::abort();
  }
  return dir;
}

std::vector<Subject>& Subjects() {
  static std::vector<Subject> subjects = [] {
    const std::filesystem::path dir = SharedDir() / "testdata" / "tokenizer";
    std::vector<Subject> loaded;
    const std::pair<const char*, Lossless> files[] = {
        {"ggml-vocab-llama-spm.gguf", Lossless::kSentencePiece},
        {"ggml-vocab-phi-3.gguf", Lossless::kNever},  // strips spaces after special tokens
        {"ggml-vocab-gpt-2.gguf", Lossless::kValidUtf8},
        {"ggml-vocab-qwen2.gguf", Lossless::kValidUtf8},
        {"ggml-vocab-deepseek-llm.gguf", Lossless::kValidUtf8},
        {"ggml-vocab-bert-bge.gguf", Lossless::kNever},  // lowercases, drops accents
    };
    for (const auto& [file, lossless] : files) {
      loaded.push_back({file, lossless, Tokenizer::FromGguf(GgufFile::Open(dir / file))});
    }
    return loaded;
  }();
  return subjects;
}

bool IsValidUtf8(std::string_view text) {
  while (!text.empty()) {
    const int length = troupe::engine::tokenization::CompleteUtf8Prefix(text);
    if (length <= 0) return false;
    text.remove_prefix(static_cast<size_t>(length));
  }
  return true;
}

void Check(bool condition, const char* file, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "tokenizer_fuzz: %s: %s\n", file, what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool add_special = (data[0] & 1) != 0;
  const bool parse_special = (data[0] & 2) != 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const bool valid_utf8 = IsValidUtf8(text);
  const bool has_escaped_space = text.find("\xE2\x96\x81") != std::string_view::npos;

  for (Subject& subject : Subjects()) {
    const Tokenizer& tokenizer = subject.tokenizer;
    std::vector<int32_t> ids;
    try {
      ids = tokenizer.Encode(text, add_special, parse_special);
    } catch (const troupe::engine::EngineError& error) {
      std::fprintf(stderr, "tokenizer_fuzz: %s: Encode threw: %s\n", subject.file, error.what());
      std::abort();
    }
    std::string joined;
    for (int32_t id : ids) {
      Check(id >= 0 && id < tokenizer.vocab_size(), subject.file, "id out of range");
      joined += tokenizer.TokenToPiece(id, false);
    }

    const bool plain = !add_special && !parse_special;
    if (plain && subject.lossless == Lossless::kSentencePiece && valid_utf8 &&
        !has_escaped_space) {
      std::string expected = joined;
      if (!expected.empty() && expected[0] == ' ') expected.erase(0, 1);
      Check(expected == text, subject.file, "SentencePiece lost bytes");
    }
    if (plain && subject.lossless == Lossless::kValidUtf8 && valid_utf8) {
      Check(joined == text, subject.file, "byte-level BPE lost bytes");
    }

    StreamingDecoder decoder(tokenizer, false);
    std::string streamed;
    for (int32_t id : ids) streamed += decoder.Push(id);
    streamed += decoder.Flush();
    Check(IsValidUtf8(streamed), subject.file, "streaming decoder emitted invalid UTF-8");
    if (IsValidUtf8(joined)) {
      Check(streamed == joined, subject.file, "streaming decoder changed valid text");
    }
    (void)tokenizer.Decode(ids, true);
  }
  return 0;
}
