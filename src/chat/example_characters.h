// The example characters that ship with Troupe (examples/characters/*.json, compiled in), and the
// first-run install that publishes them in a store that has never had them.
//
// "Never had" is kept in the store itself, as an audit entry with action kExampleInstallAction
// (actor "system"), so it holds for every node on the same database and survives restarts:
// deleting an example later does not bring it back. A store that already holds characters when the
// install first looks (an upgrade, or cards imported before the first `serve`) gets the entry and
// no examples, so an existing service never gains characters it did not choose.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/store.h"

namespace troupe::chat {

// One embedded card: the file's stem (pip_apprentice_wizard), which is also the slug the install
// gives the character, and the Character Card V3 JSON as in examples/characters.
struct ExampleCard {
  std::string_view stem;
  std::string_view json;
};

// Every example card, in file-name order. Never empty in a built binary.
std::span<const ExampleCard> ExampleCards();

inline constexpr std::string_view kExampleInstallAction = "examples.install";

struct ExampleInstallReport {
  bool first_run = false;              // false: the audit entry was there, nothing was looked at
  std::vector<std::string> installed;  // slugs this call created, published
  std::vector<std::string> present;    // slugs another node (or an earlier import) already holds
};

// Imports and publishes every example card (through card_store.h, so flows are checked as any
// import's) when the store has no kExampleInstallAction entry and no characters; then records the
// entry. With characters but no entry it only records the entry. Two nodes starting together
// create each example once: the slug is fixed, so the slower one's Create is a kConflict, counted
// as present. Errors: the store's (kUnavailable...), or an embedded card the importer refuses
// (kInvalidArgument naming the card); the entry is then not recorded, so the next start retries,
// and examples created before the error stay.
Result<ExampleInstallReport> InstallExampleCharacters(store::Store& store, const std::filesystem::path& data_dir);

}  // namespace troupe::chat
