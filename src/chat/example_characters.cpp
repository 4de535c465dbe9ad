#include "chat/example_characters.h"

#include <utility>

#include <nlohmann/json.hpp>

#include "chat/card.h"
#include "chat/card_store.h"

namespace troupe::chat {
namespace {

// Whether the store already holds any character, published or not.
Result<bool> ExampleInstallFindsCharacters(store::Store& store) {
  store::CharacterQuery query;
  query.page.limit = 1;
  TROUPE_ASSIGN_OR_RETURN(store::Page<store::Character> page, store.characters().List(query));
  return !page.items.empty();
}

// Creates one example, published; kConflict (its slug is taken) is reported as `false`.
Result<bool> ExampleInstallCreate(store::Store& store, const ExampleCard& example,
                                  const std::filesystem::path& data_dir) {
  Result<ImportedCard> card = ParseCardJson(example.json);
  if (!card.ok()) {
    return Status(card.status().code(), "example card " + std::string(example.stem) + ": " + card.status().message(),
                  card.status().field());
  }
  card->character.slug = std::string(example.stem);
  CardImportOptions options;
  options.data_dir = data_dir;
  options.publish = true;
  Result<store::Character> created = StoreImportedCard(store, std::move(card).value(), options);
  if (created.ok()) return true;
  if (created.status().code() == StatusCode::kConflict) return false;
  return Status(created.status().code(),
                "example card " + std::string(example.stem) + ": " + created.status().message(),
                created.status().field());
}

Status ExampleInstallRecord(store::Store& store, const ExampleInstallReport& report) {
  store::AuditEntry entry;
  entry.actor = "system";
  entry.action = std::string(kExampleInstallAction);
  entry.target_type = "character";
  entry.details_json = nlohmann::json{{"installed", report.installed}, {"present", report.present}}.dump();
  return store.audit().Record(std::move(entry)).status();
}

}  // namespace

Result<ExampleInstallReport> InstallExampleCharacters(store::Store& store, const std::filesystem::path& data_dir) {
  ExampleInstallReport report;
  TROUPE_ASSIGN_OR_RETURN(bool recorded, store.audit().HasAction(kExampleInstallAction));
  if (recorded) return report;
  report.first_run = true;
  TROUPE_ASSIGN_OR_RETURN(bool has_characters, ExampleInstallFindsCharacters(store));
  if (!has_characters) {
    for (const ExampleCard& example : ExampleCards()) {
      TROUPE_ASSIGN_OR_RETURN(bool created, ExampleInstallCreate(store, example, data_dir));
      (created ? report.installed : report.present).push_back(std::string(example.stem));
    }
  }
  TROUPE_RETURN_IF_ERROR(ExampleInstallRecord(store, report));
  return report;
}

}  // namespace troupe::chat
