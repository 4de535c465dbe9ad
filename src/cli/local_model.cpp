#include "cli/local_model.h"

#include <filesystem>

#include "cli/engine_status.h"
#include "llm/model_catalog.h"

namespace troupe::cli {

std::string HowToGetAModel(const config::Config& config) {
  const llm::CatalogEntry& entry = llm::DefaultCatalogEntry();
  const std::filesystem::path models = std::filesystem::path(config.data_dir) / "models";
  return "no local model: run 'troupe models pull' to download " + std::string(entry.name) + " (about " +
         std::to_string(entry.approximate_bytes / 1'000'000) + " MB) into " + models.string() +
         ", or put any GGUF file there and start with --model FILE (or TROUPE_MODEL, or model.path "
         "in the config file); without network, copy a GGUF file onto this machine the same way";
}

// Loads model.path, or the default catalog model when it was downloaded. A configured model that
// does not load stops start-up; no configured model is not an error (the UI says how to get one).
Result<LocalModel> LoadLocalModel(const config::Config& config) {
  LocalModel local;
  std::filesystem::path path = config.model.path;
  if (path.empty()) {
    const std::filesystem::path fallback =
        std::filesystem::path(config.data_dir) / "models" / std::string(llm::DefaultCatalogEntry().file_name);
    std::error_code ignored;
    if (!std::filesystem::exists(fallback, ignored)) {
      local.missing_hint = HowToGetAModel(config);
      return local;
    }
    path = fallback;
  }
  std::error_code ignored;
  if (!std::filesystem::exists(path, ignored)) {
    return Status(StatusCode::kNotFound, "model file " + path.string() + " does not exist", "model.path");
  }
  try {
    local.model = engine::Model::Load(path, {.threads = config.model.threads});
  } catch (const engine::EngineError& error) {
    return StatusFromEngineError(error).WithContext("model.path");
  }
  return local;
}

}  // namespace troupe::cli
