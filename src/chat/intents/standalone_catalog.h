// Intent catalogs kept as files beside the database rather than inside a card: under the intents
// directory (<data_dir>/intents), the file <slug>.yml or <slug>.yaml, or the directory <slug>/
// (every catalog, Rasa NLU, CSV and text<TAB>intent file in it, merged as LoadIntentCatalog does),
// is the catalog of the character with that slug when its card holds none of its own. Operators
// edit these files in place: the stamp changes with any file's modification, so a runtime that
// caches a router can tell when to build it again.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "chat/intents/intent_catalog.h"

namespace troupe::chat::intents {

struct StandaloneCatalog {
  IntentCatalog catalog;
  std::string path;   // the file or directory it was read from
  std::string stamp;  // changes whenever a file of it is written, added or removed
};

// The stamp of the catalog for `slug` under `directory`: "" when there is none (or `directory` is
// empty). Cheap: file metadata only.
std::string StandaloneCatalogStamp(const std::filesystem::path& directory, std::string_view slug);

// The catalog for `slug`, or nullopt when there is none. Errors are LoadIntentCatalog's, naming
// the file and line.
Result<std::optional<StandaloneCatalog>> LoadStandaloneCatalog(const std::filesystem::path& directory,
                                                              std::string_view slug);

}  // namespace troupe::chat::intents
