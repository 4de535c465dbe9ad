#include "chat/intents/text_features.h"

#include <libstemmer.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <unordered_set>

namespace troupe::chat::intents {

namespace {

constexpr size_t kMinGram = 3;
constexpr size_t kMaxGram = 5;
// Longer "words" (URLs, base64, keyboard mashing) add nothing a shorter prefix does not.
constexpr size_t kMaxWordBytes = 40;

bool IsWordByte(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80; }

unsigned char Lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c + 32) : c; }

// Splits into lowercased words; an apostrophe between two word bytes joins them.
std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = Lower(static_cast<unsigned char>(text[i]));
    if (IsWordByte(c)) {
      if (word.size() < kMaxWordBytes) word.push_back(static_cast<char>(c));
    } else if (c == '\'' && !word.empty() && i + 1 < text.size() &&
               IsWordByte(Lower(static_cast<unsigned char>(text[i + 1])))) {
      continue;
    } else {
      flush();
    }
  }
  flush();
  return words;
}

// Snowball stemmers keep state between calls, so each thread has its own.
class Stemmer {
 public:
  Stemmer() : stemmer_(sb_stemmer_new("english", "UTF_8"), &sb_stemmer_delete) {}

  std::string Stem(const std::string& word) {
    // Non-ASCII words are kept as they are: the English stemmer has nothing to say about them.
    const bool ascii = std::all_of(word.begin(), word.end(), [](char c) { return (c & 0x80) == 0; });
    if (!ascii || stemmer_ == nullptr || word.size() < 3) return word;
    const sb_symbol* stemmed =
        sb_stemmer_stem(stemmer_.get(), reinterpret_cast<const sb_symbol*>(word.data()), static_cast<int>(word.size()));
    if (stemmed == nullptr) return word;
    return std::string(reinterpret_cast<const char*>(stemmed), static_cast<size_t>(sb_stemmer_length(stemmer_.get())));
  }

 private:
  std::unique_ptr<sb_stemmer, void (*)(sb_stemmer*)> stemmer_;
};

std::string StemOf(const std::string& word) {
  thread_local Stemmer stemmer;
  return stemmer.Stem(word);
}

enum class Kind { kWord, kChars };

// Calls visit(kind, feature) for every feature occurrence of `text`.
template <typename Visit>
void ForEachFeature(std::string_view text, Visit&& visit) {
  const std::vector<std::string> words = Words(text);
  std::string feature;
  std::string previous;
  for (const std::string& word : words) {
    const std::string stem = StemOf(word);
    feature.assign("w:").append(stem);
    visit(Kind::kWord, std::string_view(feature));
    if (!previous.empty()) {
      feature.assign("b:").append(previous).append(" ").append(stem);
      visit(Kind::kWord, std::string_view(feature));
    }
    previous = stem;

    const std::string marked = " " + word + " ";
    if (marked.size() <= kMaxGram) {
      feature.assign("c:").append(marked);
      visit(Kind::kChars, std::string_view(feature));
    }
    for (size_t n = kMinGram; n <= kMaxGram && n < marked.size(); ++n) {
      for (size_t start = 0; start + n <= marked.size(); ++start) {
        feature.assign("c:").append(marked, start, n);
        visit(Kind::kChars, std::string_view(feature));
      }
    }
  }
}

// Scales the values at [begin, end) to length `length`.
void Normalize(std::vector<FeatureValue>& values, size_t begin, size_t end, float length) {
  double sum = 0;
  for (size_t i = begin; i < end; ++i) sum += double{values[i].value} * values[i].value;
  if (sum <= 0) return;
  const float scale = length / static_cast<float>(std::sqrt(sum));
  for (size_t i = begin; i < end; ++i) values[i].value *= scale;
}

}  // namespace

std::vector<std::string> FeatureStrings(std::string_view text) {
  std::vector<std::string> features;
  ForEachFeature(text, [&](Kind, std::string_view feature) { features.emplace_back(feature); });
  return features;
}

TextFeatures::TextFeatures(std::vector<Entry> vocabulary) : vocabulary_(std::move(vocabulary)) { Index(); }

void TextFeatures::Index() {
  index_.clear();
  index_.reserve(vocabulary_.size());
  for (size_t i = 0; i < vocabulary_.size(); ++i) index_.emplace(vocabulary_[i].feature, static_cast<int32_t>(i));
}

TextFeatures TextFeatures::Fit(const std::vector<std::string>& texts, int min_count) {
  std::unordered_map<std::string, int, Hash, std::equal_to<>> documents;
  std::unordered_set<std::string_view> seen;
  std::vector<std::string> features;
  for (const std::string& text : texts) {
    features = FeatureStrings(text);
    seen.clear();
    for (const std::string& feature : features) {
      if (!seen.insert(feature).second) continue;
      auto found = documents.find(std::string_view(feature));
      if (found == documents.end()) {
        documents.emplace(feature, 1);
      } else {
        ++found->second;
      }
    }
  }
  std::vector<Entry> vocabulary;
  const double total = static_cast<double>(texts.size());
  for (const auto& [feature, count] : documents) {
    const bool word = feature.rfind("w:", 0) == 0;
    if (!word && count < min_count) continue;
    // Smoothed, as if one more document held every feature: never zero, never infinite.
    const double idf = std::log((1 + total) / (1 + count)) + 1;
    vocabulary.push_back({feature, static_cast<float>(idf)});
  }
  // Sorted, so the same examples give the same model byte for byte.
  std::sort(vocabulary.begin(), vocabulary.end(), [](const Entry& a, const Entry& b) { return a.feature < b.feature; });
  return TextFeatures(std::move(vocabulary));
}

std::vector<FeatureValue> TextFeatures::Vectorize(std::string_view text) const {
  std::vector<FeatureValue> words;
  std::vector<FeatureValue> chars;
  ForEachFeature(text, [&](Kind kind, std::string_view feature) {
    auto found = index_.find(feature);
    if (found == index_.end()) return;
    (kind == Kind::kWord ? words : chars).push_back({found->second, 1});
  });
  // Counts per feature, then 1 + log(count) times idf.
  auto collapse = [this](std::vector<FeatureValue>& values) {
    std::sort(values.begin(), values.end(), [](const FeatureValue& a, const FeatureValue& b) { return a.index < b.index; });
    size_t out = 0;
    for (size_t i = 0; i < values.size();) {
      size_t j = i;
      while (j < values.size() && values[j].index == values[i].index) ++j;
      const float tf = 1 + std::log(static_cast<float>(j - i));
      values[out++] = {values[i].index, tf * vocabulary_[static_cast<size_t>(values[i].index)].idf};
      i = j;
    }
    values.resize(out);
  };
  collapse(words);
  collapse(chars);
  // Each kind gets half of the unit length's square, so neither drowns the other.
  const float half = static_cast<float>(std::sqrt(0.5));
  const bool both = !words.empty() && !chars.empty();
  std::vector<FeatureValue> vector = std::move(words);
  const size_t split = vector.size();
  vector.insert(vector.end(), chars.begin(), chars.end());
  Normalize(vector, 0, split, both ? half : 1.0F);
  Normalize(vector, split, vector.size(), both ? half : 1.0F);
  std::sort(vector.begin(), vector.end(), [](const FeatureValue& a, const FeatureValue& b) { return a.index < b.index; });
  return vector;
}

}  // namespace troupe::chat::intents
