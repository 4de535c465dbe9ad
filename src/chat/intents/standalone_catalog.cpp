#include "chat/intents/standalone_catalog.h"

#include <algorithm>
#include <vector>

namespace troupe::chat::intents {
namespace {

// The file or directory holding the catalog for `slug`; empty when none. Slugs are URL-safe, but
// the check stays here so no slug can reach outside the directory.
std::filesystem::path CatalogPathFor(const std::filesystem::path& directory, std::string_view slug) {
  if (directory.empty() || slug.empty() || slug.front() == '.' ||
      slug.find_first_of("/\\") != std::string_view::npos) {
    return {};
  }
  std::error_code error;
  for (const char* extension : {".yml", ".yaml"}) {
    std::filesystem::path file = directory / (std::string(slug) + extension);
    if (std::filesystem::is_regular_file(file, error)) return file;
  }
  std::filesystem::path folder = directory / std::string(slug);
  if (std::filesystem::is_directory(folder, error)) return folder;
  return {};
}

std::string StampOfFile(const std::filesystem::path& file) {
  std::error_code error;
  const auto written = std::filesystem::last_write_time(file, error);
  const auto size = std::filesystem::file_size(file, error);
  if (error) return file.filename().string() + ":?";
  return file.filename().string() + ":" + std::to_string(written.time_since_epoch().count()) + ":" +
         std::to_string(size);
}

}  // namespace

std::string StandaloneCatalogStamp(const std::filesystem::path& directory, std::string_view slug) {
  const std::filesystem::path path = CatalogPathFor(directory, slug);
  if (path.empty()) return "";
  std::error_code error;
  if (!std::filesystem::is_directory(path, error)) return StampOfFile(path);
  std::vector<std::string> parts;
  for (const auto& entry : std::filesystem::directory_iterator(path, error)) {
    if (entry.is_regular_file(error)) parts.push_back(StampOfFile(entry.path()));
  }
  std::sort(parts.begin(), parts.end());
  std::string stamp = path.filename().string() + "/";
  for (const std::string& part : parts) stamp += part + ";";
  return stamp;
}

Result<std::optional<StandaloneCatalog>> LoadStandaloneCatalog(const std::filesystem::path& directory,
                                                              std::string_view slug) {
  const std::filesystem::path path = CatalogPathFor(directory, slug);
  if (path.empty()) return std::optional<StandaloneCatalog>();
  StandaloneCatalog found;
  found.stamp = StandaloneCatalogStamp(directory, slug);
  found.path = path.string();
  TROUPE_ASSIGN_OR_RETURN(found.catalog, LoadIntentCatalog(found.path));
  return std::optional<StandaloneCatalog>(std::move(found));
}

}  // namespace troupe::chat::intents
