#include "llm/model_catalog.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace troupe::llm {
namespace {

// Where the names come from: each repository is the publisher's own GGUF repository
// (Qwen/..., HuggingFaceTB/...) except Llama 3.2, whose Meta repository is gated behind a login;
// bartowski's llama.cpp quantizations are the widely used ungated copy. File names are the ones
// those repositories list. Sizes and hashes are filled in only where public records give them:
//   - qwen2.5-1.5b-instruct-q4_k_m.gguf: the Git LFS pointer of Qwen/Qwen2.5-1.5B-Instruct-GGUF at
//     revision 91cad51170dc346986eccefdc2dd33a9da36ead9 (1117320736 bytes).
//   - Llama-3.2-1B-Instruct-Q4_K_M.gguf: 807694464 bytes and its SHA-256 as recorded by two
//     independent deployments of bartowski/Llama-3.2-1B-Instruct-GGUF.
// A repository that later replaces a file makes the pull fail verification with both hashes in
// the message rather than silently install a different model.
//
// The default is Qwen2.5 1.5B Instruct at Q4_K_M: it is the strongest model here at following
// instructions and holding a persona, yet at ~1.1 GB it streams 10-20 tokens/s on four laptop
// cores, faster than people read. The 0.5B and 360M models are quicker but lose the thread of a
// conversation; SmolLM2 1.7B is similar in speed but weaker in languages other than English.
constexpr std::array kCatalog = {
    CatalogEntry{
        .name = "qwen2.5-1.5b-instruct-q4_k_m",
        .description = "Qwen2.5 1.5B Instruct, 4-bit: the default, good answers at laptop speed",
        .url = "https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct-GGUF/resolve/main/"
               "qwen2.5-1.5b-instruct-q4_k_m.gguf",
        .file_name = "qwen2.5-1.5b-instruct-q4_k_m.gguf",
        .license = "Apache-2.0",
        .approximate_bytes = 1'117'320'736,
        .exact_bytes = 1'117'320'736,
        .sha256 = "6a1a2eb6d15622bf3c96857206351ba97e1af16c30d7a74ee38970e434e9407e",
    },
    CatalogEntry{
        .name = "qwen2.5-0.5b-instruct-q8_0",
        .description = "Qwen2.5 0.5B Instruct, 8-bit: very fast, for small machines",
        .url = "https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/"
               "qwen2.5-0.5b-instruct-q8_0.gguf",
        .file_name = "qwen2.5-0.5b-instruct-q8_0.gguf",
        .license = "Apache-2.0",
        .approximate_bytes = 676'000'000,
    },
    CatalogEntry{
        .name = "qwen2.5-0.5b-instruct-q4_k_m",
        .description = "Qwen2.5 0.5B Instruct, 4-bit: the smallest download",
        .url = "https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/"
               "qwen2.5-0.5b-instruct-q4_k_m.gguf",
        .file_name = "qwen2.5-0.5b-instruct-q4_k_m.gguf",
        .license = "Apache-2.0",
        .approximate_bytes = 491'000'000,
    },
    CatalogEntry{
        .name = "smollm2-360m-instruct-q8_0",
        .description = "SmolLM2 360M Instruct, 8-bit: tiny and fast, English only",
        .url = "https://huggingface.co/HuggingFaceTB/SmolLM2-360M-Instruct-GGUF/resolve/main/"
               "smollm2-360m-instruct-q8_0.gguf",
        .file_name = "smollm2-360m-instruct-q8_0.gguf",
        .license = "Apache-2.0",
        .approximate_bytes = 386'000'000,
    },
    CatalogEntry{
        .name = "smollm2-1.7b-instruct-q4_k_m",
        .description = "SmolLM2 1.7B Instruct, 4-bit: English chat at the default's speed",
        .url = "https://huggingface.co/HuggingFaceTB/SmolLM2-1.7B-Instruct-GGUF/resolve/main/"
               "smollm2-1.7b-instruct-q4_k_m.gguf",
        .file_name = "smollm2-1.7b-instruct-q4_k_m.gguf",
        .license = "Apache-2.0",
        .approximate_bytes = 1'060'000'000,
    },
    CatalogEntry{
        .name = "llama-3.2-1b-instruct-q4_k_m",
        .description = "Llama 3.2 1B Instruct, 4-bit: Meta's small chat model",
        .url = "https://huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF/resolve/main/"
               "Llama-3.2-1B-Instruct-Q4_K_M.gguf",
        .file_name = "Llama-3.2-1B-Instruct-Q4_K_M.gguf",
        .license = "Llama 3.2 Community License",
        .approximate_bytes = 807'694'464,
        .exact_bytes = 807'694'464,
        .sha256 = "6f85a640a97cf2bf5b8e764087b1e83da0fdb51d7c9fab7d0fece9385611df83",
    },
    CatalogEntry{
        .name = "llama-3.2-1b-instruct-q8_0",
        .description = "Llama 3.2 1B Instruct, 8-bit: closer to the original, a little slower",
        .url = "https://huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF/resolve/main/"
               "Llama-3.2-1B-Instruct-Q8_0.gguf",
        .file_name = "Llama-3.2-1B-Instruct-Q8_0.gguf",
        .license = "Llama 3.2 Community License",
        .approximate_bytes = 1'320'000'000,
    },
};

constexpr size_t kDefaultIndex = 0;

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::span<const CatalogEntry> ModelCatalog() { return kCatalog; }

const CatalogEntry& DefaultCatalogEntry() { return kCatalog[kDefaultIndex]; }

std::optional<CatalogEntry> FindCatalogEntry(std::string_view name) {
  if (name.empty()) return std::nullopt;
  std::optional<CatalogEntry> prefix_match;
  int prefix_matches = 0;
  for (const CatalogEntry& entry : kCatalog) {
    if (EqualsIgnoringCase(entry.name, name)) return entry;
    if (entry.name.size() > name.size() &&
        EqualsIgnoringCase(entry.name.substr(0, name.size()), name)) {
      prefix_match = entry;
      ++prefix_matches;
    }
  }
  if (prefix_matches == 1) return prefix_match;
  return std::nullopt;
}

std::filesystem::path ModelsDirectory(const std::filesystem::path& data_dir) { return data_dir / "models"; }

std::filesystem::path InstalledPath(const CatalogEntry& entry, const std::filesystem::path& data_dir) {
  return ModelsDirectory(data_dir) / std::string(entry.file_name);
}

}  // namespace troupe::llm
