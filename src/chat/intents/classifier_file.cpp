// The intent classifier's file, little-endian:
//   "TROUPEIC"  u32 version (1)
//   u32 n, then n bytes of JSON: {"intents": [...], "temperature": T, "features": F}
//   F times: u16 length, the feature's bytes, f32 idf
//   (F + 1) x intents f32 weights, feature-major, the bias row last
// Everything is checked on load: a truncated, oversized or inconsistent file is refused with the
// byte offset where it went wrong.
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "chat/intents/intent_classifier.h"

namespace troupe::chat::intents {

namespace {

constexpr std::string_view kMagic = "TROUPEIC";
constexpr uint32_t kVersion = 1;
constexpr uint32_t kMaxHeaderBytes = 16U << 20;
constexpr size_t kMaxFeatures = 20'000'000;
constexpr size_t kMaxIntents = 100'000;

template <typename T>
void Put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

class Cursor {
 public:
  Cursor(std::string_view bytes, std::string_view name) : bytes_(bytes), name_(name) {}

  Status Fail(const std::string& what) const {
    return InvalidArgument(name_ + ": not an intent classifier file: " + what + " (byte " + std::to_string(at_) + ")");
  }

  template <typename T>
  Result<T> Take() {
    if (bytes_.size() - at_ < sizeof(T)) return Fail("it ends early");
    T value;
    std::memcpy(&value, bytes_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return value;
  }

  Result<std::string_view> TakeBytes(size_t count) {
    if (bytes_.size() - at_ < count) return Fail("it ends early");
    std::string_view taken = bytes_.substr(at_, count);
    at_ += count;
    return taken;
  }

  size_t remaining() const { return bytes_.size() - at_; }

 private:
  std::string_view bytes_;
  std::string name_;
  size_t at_ = 0;
};

Status CheckHeader(const nlohmann::json& header, Cursor& cursor) {
  if (!header.is_object() || !header.contains("intents") || !header["intents"].is_array() ||
      !header.contains("temperature") || !header["temperature"].is_number() || !header.contains("features") ||
      !header["features"].is_number_unsigned()) {
    return cursor.Fail("the header lacks intents, temperature or features");
  }
  const size_t intents = header["intents"].size();
  if (intents < 2 || intents > kMaxIntents) return cursor.Fail("it has " + std::to_string(intents) + " intents");
  for (const nlohmann::json& intent : header["intents"]) {
    if (!intent.is_string() || intent.get_ref<const std::string&>().empty()) {
      return cursor.Fail("an intent name is not a non-empty string");
    }
  }
  const double temperature = header["temperature"].get<double>();
  if (!std::isfinite(temperature) || temperature <= 0) return cursor.Fail("the temperature is not above 0");
  if (header["features"].get<uint64_t>() > kMaxFeatures) return cursor.Fail("too many features");
  return Status::Ok();
}

}  // namespace

std::string IntentClassifier::Serialize() const {
  std::string out(kMagic);
  Put<uint32_t>(out, kVersion);
  const nlohmann::json header = {{"intents", intents_}, {"temperature", temperature_}, {"features", features_.size()}};
  const std::string json = header.dump();
  Put<uint32_t>(out, static_cast<uint32_t>(json.size()));
  out += json;
  for (const TextFeatures::Entry& entry : features_.vocabulary()) {
    Put<uint16_t>(out, static_cast<uint16_t>(entry.feature.size()));
    out += entry.feature;
    Put<float>(out, entry.idf);
  }
  out.append(reinterpret_cast<const char*>(weights_.data()), weights_.size() * sizeof(float));
  return out;
}

Result<IntentClassifier> IntentClassifier::Deserialize(std::string_view bytes, std::string_view name) {
  Cursor cursor(bytes, name);
  TROUPE_ASSIGN_OR_RETURN(std::string_view magic, cursor.TakeBytes(kMagic.size()));
  if (magic != kMagic) return cursor.Fail("it does not begin with " + std::string(kMagic));
  TROUPE_ASSIGN_OR_RETURN(uint32_t version, cursor.Take<uint32_t>());
  if (version != kVersion) {
    return cursor.Fail("version " + std::to_string(version) + ", this Troupe reads version " +
                       std::to_string(kVersion));
  }
  TROUPE_ASSIGN_OR_RETURN(uint32_t header_bytes, cursor.Take<uint32_t>());
  if (header_bytes > kMaxHeaderBytes) return cursor.Fail("the header is too large");
  TROUPE_ASSIGN_OR_RETURN(std::string_view header_text, cursor.TakeBytes(header_bytes));
  const nlohmann::json header = nlohmann::json::parse(header_text, nullptr, /*allow_exceptions=*/false);
  TROUPE_RETURN_IF_ERROR(CheckHeader(header, cursor));

  IntentClassifier classifier;
  classifier.intents_ = header["intents"].get<std::vector<std::string>>();
  classifier.temperature_ = header["temperature"].get<double>();
  const auto features = header["features"].get<size_t>();
  const size_t classes = classifier.intents_.size();
  // Each feature takes at least 6 bytes, and the weights 4 per intent per row: a file far too
  // short for its header's counts is refused before anything is allocated for them.
  if (features > cursor.remaining() / 6 || (features + 1) > cursor.remaining() / sizeof(float) / classes) {
    return cursor.Fail("it is too short for " + std::to_string(features) + " features");
  }
  std::vector<TextFeatures::Entry> vocabulary;
  vocabulary.reserve(features);
  for (size_t f = 0; f < features; ++f) {
    TROUPE_ASSIGN_OR_RETURN(uint16_t length, cursor.Take<uint16_t>());
    TROUPE_ASSIGN_OR_RETURN(std::string_view feature, cursor.TakeBytes(length));
    TROUPE_ASSIGN_OR_RETURN(float idf, cursor.Take<float>());
    if (!std::isfinite(idf)) return cursor.Fail("a feature's weight is not a number");
    if (!vocabulary.empty() && !(vocabulary.back().feature < feature)) {
      return cursor.Fail("the features are not in order");
    }
    vocabulary.push_back({std::string(feature), idf});
  }
  const size_t weight_count = (features + 1) * classes;
  if (cursor.remaining() != weight_count * sizeof(float)) {
    return cursor.Fail("expected " + std::to_string(weight_count * sizeof(float)) + " bytes of weights, found " +
                       std::to_string(cursor.remaining()));
  }
  TROUPE_ASSIGN_OR_RETURN(std::string_view weight_bytes, cursor.TakeBytes(weight_count * sizeof(float)));
  classifier.weights_.resize(weight_count);
  std::memcpy(classifier.weights_.data(), weight_bytes.data(), weight_bytes.size());
  for (float weight : classifier.weights_) {
    if (!std::isfinite(weight)) return cursor.Fail("a weight is not a number");
  }
  classifier.features_ = TextFeatures(std::move(vocabulary));
  return classifier;
}

Status IntentClassifier::Save(const std::string& path) const {
  // Written beside and renamed over, so a reader never sees half a model.
  const std::string partial = path + ".partial";
  {
    std::ofstream file(partial, std::ios::binary | std::ios::trunc);
    if (!file) return Unavailable(path + ": cannot write");
    const std::string bytes = Serialize();
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!file.flush()) return Unavailable(path + ": cannot write");
  }
  std::error_code error;
  std::filesystem::rename(partial, path, error);
  if (error) return Unavailable(path + ": cannot write: " + error.message());
  return Status::Ok();
}

Result<IntentClassifier> IntentClassifier::Load(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return NotFound(path + ": cannot open the intent model");
  std::ostringstream bytes;
  bytes << file.rdbuf();
  return Deserialize(bytes.str(), path);
}

}  // namespace troupe::chat::intents
