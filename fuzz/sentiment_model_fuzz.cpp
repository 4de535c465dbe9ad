// The linear sentiment model's loader (analytics/sentiment_linear.h) on any bytes: it refuses or
// loads, never crashes; a model it loads saves back to the very same bytes and scores any text
// to a finite probability.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "analytics/sentiment_linear.h"

using namespace troupe;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Result<analytics::SentimentLinearModel> model = analytics::SentimentLinearModel::FromBytes(bytes, "fuzz.model");
  if (!model.ok()) {
    if (model.status().message().empty()) std::abort();
    return 0;
  }
  if (model->ToBytes() != bytes) std::abort();
  const double probability = model->PositiveProbability("not bad at all, I'd buy it again");
  if (!std::isfinite(probability) || probability < 0 || probability > 1) std::abort();
  return 0;
}
