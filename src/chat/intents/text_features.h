// TF-IDF features of short messages for the intent classifier: stemmed words, word pairs and
// character n-grams inside words (3 to 5 characters, with the word's edges marked), each kind
// weighted by sublinear term frequency times inverse document frequency and scaled to unit length,
// so a message's vector has length one whatever its size.
//
// Words are lowercased ASCII letters and digits plus every non-ASCII byte (so accented and
// non-Latin words stay whole); apostrophes inside a word are dropped ("what's" is "whats"). Words
// are stemmed with Snowball's English stemmer. Thread-safe once built: Vectorize is const.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace troupe::chat::intents {

// One non-zero feature of a message: its index in the vocabulary and its weight.
struct FeatureValue {
  int32_t index = 0;
  float value = 0;
};

// The feature strings of one text: "w:stem", "b:stem stem", "c:<chars>" (char n-grams), repeated as
// often as they occur. Exposed for the vocabulary's construction and for tests.
std::vector<std::string> FeatureStrings(std::string_view text);

class TextFeatures {
 public:
  struct Entry {
    std::string feature;
    float idf = 1;
  };

  TextFeatures() = default;
  // From a stored vocabulary (the order gives the indices).
  explicit TextFeatures(std::vector<Entry> vocabulary);

  // Learns the vocabulary and inverse document frequencies from `texts`. A word seen once is kept
  // (a small catalog needs every word); pairs and n-grams need `min_count` documents.
  static TextFeatures Fit(const std::vector<std::string>& texts, int min_count);

  // The unit-length TF-IDF vector of `text`, sorted by index; features outside the vocabulary are
  // ignored, so an empty vector means nothing of the text is known.
  std::vector<FeatureValue> Vectorize(std::string_view text) const;

  size_t size() const { return vocabulary_.size(); }
  const std::vector<Entry>& vocabulary() const { return vocabulary_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  void Index();

  std::vector<Entry> vocabulary_;
  std::unordered_map<std::string, int32_t, Hash, std::equal_to<>> index_;
};

}  // namespace troupe::chat::intents
