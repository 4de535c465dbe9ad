// The built-in catalog behind `troupe models pull`: a handful of instruction-tuned GGUF models
// that run well on a laptop CPU, with where to download them and what is known about the file.
// The catalog is compiled in and immutable; every function here is thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace troupe::llm {

struct CatalogEntry {
  std::string_view name;          // what users type: "qwen2.5-1.5b-instruct-q4_k_m"
  std::string_view description;   // one line for `troupe models list`
  std::string_view url;           // https://huggingface.co/<org>/<repo>/resolve/main/<file>
  std::string_view file_name;     // the name it gets in DATA_DIR/models
  std::string_view license;       // SPDX id or the licence's own name
  uint64_t approximate_bytes = 0; // for the listing and a disk-space hint
  // Known only where public data states them; 0 / "" mean "unknown", and verification then
  // checks what it can (the size announced by the server, the GGUF header).
  uint64_t exact_bytes = 0;
  std::string_view sha256 = {};   // lowercase hex
};

// Every entry, the default among them.
std::span<const CatalogEntry> ModelCatalog();

// The entry `troupe models pull` takes without a name.
const CatalogEntry& DefaultCatalogEntry();

// The entry called `name`, or the only entry whose name starts with `name` ("smollm2-360m"),
// compared case-insensitively. nullopt when none or several match.
std::optional<CatalogEntry> FindCatalogEntry(std::string_view name);

// Where pulled models live: DATA_DIR/models.
std::filesystem::path ModelsDirectory(const std::filesystem::path& data_dir);

// Where `entry` is (or would be) installed: DATA_DIR/models/<file_name>.
std::filesystem::path InstalledPath(const CatalogEntry& entry, const std::filesystem::path& data_dir);

}  // namespace troupe::llm
