// Intent catalogs and labelled examples from outside (operators' files, Rasa exports): the first
// byte picks the format (catalog or Rasa YAML, CSV, text<TAB>intent), the rest is the file. Any
// input gives a catalog or an error that names the file; a catalog's intents have valid, unique
// names and non-blank examples, and the featurizer takes every example to a unit-length vector.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "chat/intents/intent_catalog.h"
#include "chat/intents/text_features.h"

using namespace troupe::chat::intents;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr const char* kNames[] = {"f.yaml", "f.csv", "f.tsv"};
  const char* name = kNames[data[0] % 3];
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  troupe::Result<IntentCatalog> catalog = ParseIntentCatalog(text, name);
  if (!catalog.ok()) {
    if (catalog.status().message().rfind(name, 0) != 0) std::abort();
    return 0;
  }
  std::set<std::string> names;
  std::vector<std::string> texts;
  for (const Intent& intent : catalog->intents) {
    if (intent.name.empty() || intent.name.size() > 100 || !names.insert(intent.name).second) std::abort();
    for (const std::string& example : intent.examples) {
      if (example.empty() || example.size() > 10000 || example.front() == ' ' || example.back() == ' ') std::abort();
      texts.push_back(example);
    }
  }
  if (!(catalog->routing.llm <= catalog->routing.classifier)) std::abort();
  const TextFeatures features = TextFeatures::Fit(texts, 1);
  for (const std::string& example : texts) {
    double length = 0;
    for (const FeatureValue& value : features.Vectorize(example)) length += double{value.value} * value.value;
    if (length != 0 && std::abs(length - 1.0) > 1e-3) std::abort();
  }
  return 0;
}
