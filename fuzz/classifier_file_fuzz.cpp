// Intent classifier model files (`troupe intents train` writes them; operators copy them between
// machines): any bytes load or give an error naming the file; a model that loads classifies any
// text into its own intents with confidences that sum to one, and writes itself back as bytes
// that load to the same model.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "chat/intents/intent_classifier.h"

using namespace troupe::chat::intents;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  troupe::Result<IntentClassifier> model = IntentClassifier::Deserialize(bytes, "m.model");
  if (!model.ok()) {
    if (model.status().message().rfind("m.model: ", 0) != 0) std::abort();
    return 0;
  }
  double sum = 0;
  for (const IntentScore& score : model->Classify(bytes.substr(0, 200))) {
    if (!(score.confidence >= 0 && score.confidence <= 1)) std::abort();
    sum += score.confidence;
  }
  if (std::abs(sum - 1.0) > 1e-6) std::abort();
  const std::string again = model->Serialize();
  troupe::Result<IntentClassifier> reloaded = IntentClassifier::Deserialize(again, "m.model");
  if (!reloaded.ok() || reloaded->Serialize() != again) std::abort();
  return 0;
}
