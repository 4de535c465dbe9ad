#include "chat/intents/intent_catalog.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "chat/intents/labelled_text.h"

namespace troupe::chat::intents {

namespace {

constexpr uintmax_t kMaxFileBytes = 64ULL << 20;

std::string Extension(std::string_view name) {
  const std::string path(name);
  std::string extension = std::filesystem::path(path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension;
}

bool IsCatalogFile(const std::filesystem::path& path) {
  const std::string extension = Extension(path.string());
  return extension == ".yml" || extension == ".yaml" || extension == ".csv" || extension == ".tsv" ||
         extension == ".txt";
}

Result<ParsedIntents> ParseAny(std::string_view text, std::string_view name) {
  const std::string extension = Extension(name);
  if (extension == ".yml" || extension == ".yaml") return ParseIntentYaml(text, name);
  if (extension == ".csv") return ParseIntentCsv(text, name);
  return ParseIntentTsv(text, name);
}

Result<std::string> ReadWhole(const std::filesystem::path& path) {
  std::error_code error;
  const uintmax_t size = std::filesystem::file_size(path, error);
  if (error) return NotFound(path.string() + ": cannot read: " + error.message());
  if (size > kMaxFileBytes) {
    return InvalidArgument(path.string() + ": " + std::to_string(size) + " bytes; intent files are limited to " +
                           std::to_string(kMaxFileBytes) + " bytes");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) return NotFound(path.string() + ": cannot open");
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// The files a path stands for: itself, or a directory's catalog files in name order.
Result<std::vector<std::filesystem::path>> FilesOf(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_directory(path, error)) {
    if (!std::filesystem::exists(path, error)) return NotFound(path + ": no such file or directory");
    return std::vector<std::filesystem::path>{path};
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(path, error)) {
    if (entry.is_regular_file() && IsCatalogFile(entry.path())) files.push_back(entry.path());
  }
  if (error) return NotFound(path + ": cannot list: " + error.message());
  std::sort(files.begin(), files.end());
  if (files.empty()) return NotFound(path + ": no .yml, .yaml, .csv, .tsv or .txt file in the directory");
  return files;
}

void Merge(IntentCatalog& into, IntentCatalog from, bool first) {
  if (first) into.routing = from.routing;
  for (Intent& intent : from.intents) {
    auto found = std::find_if(into.intents.begin(), into.intents.end(),
                              [&](const Intent& existing) { return existing.name == intent.name; });
    if (found == into.intents.end()) {
      into.intents.push_back(std::move(intent));
      continue;
    }
    found->examples.insert(found->examples.end(), intent.examples.begin(), intent.examples.end());
    if (found->description.empty()) found->description = std::move(intent.description);
    if (found->prompt.empty()) found->prompt = std::move(intent.prompt);
    if (found->tools.empty()) found->tools = std::move(intent.tools);
    if (found->templates.empty()) found->templates = std::move(intent.templates);
    found->chit_chat = found->chit_chat || intent.chit_chat;
    found->handoff = found->handoff || intent.handoff;
  }
}

Result<std::vector<ParsedIntents>> ParseFiles(const std::string& path) {
  TROUPE_ASSIGN_OR_RETURN(std::vector<std::filesystem::path> files, FilesOf(path));
  std::vector<ParsedIntents> parsed;
  for (const std::filesystem::path& file : files) {
    TROUPE_ASSIGN_OR_RETURN(std::string text, ReadWhole(file));
    TROUPE_ASSIGN_OR_RETURN(ParsedIntents one, ParseAny(text, file.string()));
    parsed.push_back(std::move(one));
  }
  return parsed;
}

}  // namespace

const Intent* IntentCatalog::Find(std::string_view name) const {
  for (const Intent& intent : intents) {
    if (intent.name == name) return &intent;
  }
  return nullptr;
}

size_t IntentCatalog::example_count() const {
  size_t count = 0;
  for (const Intent& intent : intents) count += intent.examples.size();
  return count;
}

Result<IntentCatalog> ParseIntentCatalog(std::string_view text, std::string_view name) {
  TROUPE_ASSIGN_OR_RETURN(ParsedIntents parsed, ParseAny(text, name));
  return std::move(parsed.catalog);
}

Result<IntentCatalog> LoadIntentCatalog(const std::string& path) {
  TROUPE_ASSIGN_OR_RETURN(std::vector<ParsedIntents> parsed, ParseFiles(path));
  IntentCatalog catalog;
  for (size_t i = 0; i < parsed.size(); ++i) Merge(catalog, std::move(parsed[i].catalog), i == 0);
  if (catalog.intents.empty()) return InvalidArgument(path + ": no intents");
  return catalog;
}

Result<std::optional<IntentCatalog>> CatalogFromExtensions(std::string_view extensions_json) {
  constexpr std::string_view kField = "extensions.troupe.intents";
  const nlohmann::json extensions = nlohmann::json::parse(extensions_json, nullptr, /*allow_exceptions=*/false);
  if (!extensions.is_object()) return std::optional<IntentCatalog>();
  const auto troupe = extensions.find("troupe");
  if (troupe == extensions.end() || !troupe->is_object()) return std::optional<IntentCatalog>();
  const auto intents = troupe->find("intents");
  if (intents == troupe->end() || intents->is_null()) return std::optional<IntentCatalog>();
  if (!intents->is_object()) {
    return Status(StatusCode::kInvalidArgument, std::string(kField) + ": expected an object with 'intents'",
                  std::string(kField));
  }
  // JSON is YAML: the catalog's reader takes it as it is, and its lines are the indented dump's.
  Result<ParsedIntents> parsed =
      ParseIntentYaml(intents->dump(2, ' ', false, nlohmann::json::error_handler_t::replace), kField);
  if (!parsed.ok()) return Status(StatusCode::kInvalidArgument, parsed.status().message(), std::string(kField));
  const auto with_examples = std::count_if(parsed->catalog.intents.begin(), parsed->catalog.intents.end(),
                                           [](const Intent& intent) { return !intent.examples.empty(); });
  if (with_examples < 2) {
    return Status(StatusCode::kInvalidArgument,
                  std::string(kField) + ": the router needs examples of at least two intents; found " +
                      std::to_string(with_examples),
                  std::string(kField));
  }
  return std::optional<IntentCatalog>(std::move(parsed->catalog));
}

std::vector<LabelledExample> ExamplesOf(const IntentCatalog& catalog) {
  std::vector<LabelledExample> examples;
  for (const Intent& intent : catalog.intents) {
    for (const std::string& example : intent.examples) examples.push_back({example, intent.name, {}});
  }
  return examples;
}

Result<std::vector<LabelledExample>> LoadLabelledExamples(const std::string& path) {
  TROUPE_ASSIGN_OR_RETURN(std::vector<ParsedIntents> parsed, ParseFiles(path));
  std::vector<LabelledExample> examples;
  for (ParsedIntents& one : parsed) {
    examples.insert(examples.end(), std::make_move_iterator(one.examples.begin()),
                    std::make_move_iterator(one.examples.end()));
  }
  if (examples.empty()) return InvalidArgument(path + ": no labelled examples");
  return examples;
}

}  // namespace troupe::chat::intents
