// The parsers behind intent_catalog.h, one per format, and the checks every example and intent
// name passes. Private to src/chat/intents.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "chat/intents/intent_catalog.h"

namespace troupe::chat::intents {

struct ParsedIntents {
  IntentCatalog catalog;
  std::vector<LabelledExample> examples;  // every example of `catalog`, in file order, with its line
};

// Longest example text, in bytes.
inline constexpr size_t kMaxExampleBytes = 10000;

// Adds an example to `parsed` (and its intent when new). Empty texts (after trimming) are skipped;
// a bad intent name or an over-long text is an error naming `source`.
Status AddExample(ParsedIntents& parsed, std::string text, std::string_view intent, std::string source);
// Intent names: 1-100 bytes, none of them whitespace or control characters.
Status CheckIntentName(std::string_view name, const std::string& source);

Result<ParsedIntents> ParseIntentTsv(std::string_view text, std::string_view name);
Result<ParsedIntents> ParseIntentCsv(std::string_view text, std::string_view name);
// Troupe's catalog, or Rasa NLU when the document has an `nlu:` key.
Result<ParsedIntents> ParseIntentYaml(std::string_view text, std::string_view name);

}  // namespace troupe::chat::intents
